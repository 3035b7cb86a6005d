/**
 * Test helpers for /metrics: the real parser (parse-prometheus-text-format), plus a strict check
 * of the text format 0.0.4 rules that parser is lenient about.
 */
import parsePrometheusTextFormat, { type ParsedFamily } from "parse-prometheus-text-format";

export type { ParsedFamily };

const NAME = "[a-zA-Z_:][a-zA-Z0-9_:]*";
const LABEL = '[a-zA-Z_][a-zA-Z0-9_]*="(?:[^"\\\\\\n]|\\\\[\\\\"n])*"';
const VALUE = "(?:[-+]?(?:\\d+\\.?\\d*(?:[eE][-+]?\\d+)?|\\.\\d+(?:[eE][-+]?\\d+)?)|[-+]Inf|NaN)";
const SAMPLE = new RegExp(`^(${NAME})(?:\\{((?:${LABEL})(?:,${LABEL})*)?\\})? (${VALUE})$`);
const HELP = new RegExp(`^# HELP (${NAME}) (.*)$`);
const TYPE = new RegExp(`^# TYPE (${NAME}) (counter|gauge|histogram|summary|untyped)$`);

function labelsOf(text: string | undefined): Record<string, string> {
  const out: Record<string, string> = {};
  if (!text) return out;
  for (const m of text.matchAll(/([a-zA-Z_][a-zA-Z0-9_]*)="((?:[^"\\\n]|\\[\\"n])*)"/g)) {
    const name = m[1] as string;
    if (name in out) throw new Error(`duplicate label ${name} in {${text}}`);
    out[name] = (m[2] as string).replace(/\\(["\\n])/g, (_, c: string) => (c === "n" ? "\n" : c));
  }
  return out;
}

const num = (v: string): number => (v === "+Inf" ? Infinity : v === "-Inf" ? -Infinity : Number(v));

/**
 * Throws on anything the format does not allow: a sample before its HELP/TYPE, a family split
 * or repeated, a counter not ending in _total, a duplicate series, a histogram without +Inf or
 * with decreasing buckets, a bad line, no final line feed.
 */
export function checkExposition(text: string): void {
  if (!text.endsWith("\n")) throw new Error("exposition must end with a line feed");
  const families = new Map<string, { help: boolean; type: string | null; done: boolean }>();
  const series = new Set<string>();
  const buckets = new Map<string, { le: number; count: number }[]>();
  const counts = new Map<string, number>();
  let current: string | null = null;
  const lines = text.slice(0, -1).split("\n");
  for (const [i, line] of lines.entries()) {
    const at = `line ${i + 1}: ${line}`;
    let m = HELP.exec(line);
    if (m) {
      const name = m[1] as string;
      if (families.has(name)) throw new Error(`family repeated: ${at}`);
      if (current) (families.get(current) as { done: boolean }).done = true;
      families.set(name, { help: true, type: null, done: false });
      current = name;
      continue;
    }
    m = TYPE.exec(line);
    if (m) {
      const family = families.get(m[1] as string);
      if (!family || m[1] !== current || family.type !== null) throw new Error(`TYPE without its HELP first: ${at}`);
      family.type = m[2] as string;
      if (family.type === "counter" && !current.endsWith("_total")) throw new Error(`counter without _total: ${at}`);
      continue;
    }
    if (line.startsWith("#")) throw new Error(`unexpected comment: ${at}`);
    m = SAMPLE.exec(line);
    if (!m) throw new Error(`not a valid sample line: ${at}`);
    const name = m[1] as string;
    const family = current ? families.get(current) : undefined;
    if (!current || !family || family.type === null) throw new Error(`sample before HELP and TYPE: ${at}`);
    const allowed =
      family.type === "histogram"
        ? [`${current}_bucket`, `${current}_sum`, `${current}_count`]
        : family.type === "summary"
          ? [current, `${current}_sum`, `${current}_count`]
          : [current];
    if (!allowed.includes(name)) throw new Error(`sample outside its family ${current}: ${at}`);
    const labels = labelsOf(m[2]);
    const key = `${name}${JSON.stringify(Object.entries(labels).sort())}`;
    if (series.has(key)) throw new Error(`duplicate series: ${at}`);
    series.add(key);
    if (family.type === "histogram") {
      const { le, ...rest } = labels;
      const id = `${current}${JSON.stringify(Object.entries(rest).sort())}`;
      if (name.endsWith("_bucket")) {
        if (le === undefined) throw new Error(`bucket without le: ${at}`);
        const list = buckets.get(id) ?? [];
        list.push({ le: num(le), count: num(m[3] as string) });
        buckets.set(id, list);
      } else if (name.endsWith("_count")) counts.set(id, num(m[3] as string));
    }
  }
  for (const [id, list] of buckets) {
    for (let i = 1; i < list.length; i++) {
      const a = list[i - 1] as { le: number; count: number };
      const b = list[i] as { le: number; count: number };
      if (!(b.le > a.le)) throw new Error(`${id}: buckets not in increasing le order`);
      if (b.count < a.count) throw new Error(`${id}: bucket counts decrease`);
    }
    const last = list[list.length - 1] as { le: number; count: number };
    if (last.le !== Infinity) throw new Error(`${id}: no le="+Inf" bucket`);
    if (counts.get(id) !== last.count) throw new Error(`${id}: _count differs from the +Inf bucket`);
  }
}

/** Parse with the real parser after the strict check. */
export function parseExposition(text: string): ParsedFamily[] {
  checkExposition(text);
  return parsePrometheusTextFormat(text);
}

/**
 * One histogram series parsed by the real parser. That parser (1.1.1) groups histogram lines by
 * "le" only and keeps _sum/_count only when they have no labels, so a labelled histogram comes out
 * merged across series and without sum and count. Hand it the lines of one pool's series with the
 * pool label taken off (the strict check has already validated the labels).
 */
export function parseHistogram(text: string, family: string, pool: string): ParsedFamily["metrics"][number] {
  const label = `pool="${pool}"`;
  const lines = text
    .split("\n")
    .filter((line) => line.startsWith(`${family}_`) && line.includes(label))
    .map((line) => line.replace(`${label},`, "").replace(label, "").replace("{}", ""));
  const parsed = parsePrometheusTextFormat(
    [`# HELP ${family} one series`, `# TYPE ${family} histogram`, ...lines, ""].join("\n"),
  );
  if (parsed.length !== 1 || parsed[0]?.metrics.length !== 1) {
    throw new Error(`${family}{${label}}: expected one histogram series, got ${JSON.stringify(parsed)}`);
  }
  return parsed[0].metrics[0] as ParsedFamily["metrics"][number];
}

/** The families by name. */
export function byName(families: ParsedFamily[]): Map<string, ParsedFamily> {
  return new Map(families.map((f) => [f.name, f]));
}

/** The value of the one sample of `family` whose labels include `labels`. */
export function sampleValue(families: Map<string, ParsedFamily>, name: string, labels: Record<string, string>): number {
  const family = families.get(name);
  if (!family) throw new Error(`no family ${name}`);
  const hits = family.metrics.filter((m) => Object.entries(labels).every(([k, v]) => m.labels?.[k] === v));
  if (hits.length !== 1) throw new Error(`${name}${JSON.stringify(labels)}: ${hits.length} samples`);
  return num((hits[0] as { value: string }).value);
}
