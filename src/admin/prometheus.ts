/**
 * Prometheus text exposition format 0.0.4: metric families with # HELP and # TYPE, escaped label
 * values, one line per sample. Pure string building; the caller decides the metrics.
 */

/** The Content-Type of the text format. */
export const PROMETHEUS_CONTENT_TYPE = "text/plain; version=0.0.4; charset=utf-8";

export type MetricType = "counter" | "gauge" | "histogram";

export type Labels = Readonly<Record<string, string>>;

export interface Sample {
  labels: Labels;
  value: number;
}

/** A histogram series: `counts[i]` is cumulative (samples <= `buckets[i]`); `count` includes +Inf. */
export interface HistogramSample {
  labels: Labels;
  buckets: readonly number[];
  counts: readonly number[];
  sum: number;
  count: number;
}

/**
 * One Prometheus metric family: name, help, type and samples (a histogram's with buckets).
 * @internal (what a {@link MetricSource} returns; rendered as the Prometheus text format)
 */
export type Family =
  | { name: string; help: string; type: "counter" | "gauge"; samples: Sample[] }
  | { name: string; help: string; type: "histogram"; samples: HistogramSample[] };

const METRIC_NAME = /^[a-zA-Z_:][a-zA-Z0-9_:]*$/;
const LABEL_NAME = /^[a-zA-Z_][a-zA-Z0-9_]*$/;

/** A sample value: integers as integers, +Inf/-Inf/NaN spelled as the format wants. */
export function formatValue(value: number): string {
  if (Number.isNaN(value)) return "NaN";
  if (value === Number.POSITIVE_INFINITY) return "+Inf";
  if (value === Number.NEGATIVE_INFINITY) return "-Inf";
  return String(value);
}

/** Label values escape backslash, double quote and line feed. */
export function escapeLabelValue(value: string): string {
  return value.replace(/\\/g, "\\\\").replace(/"/g, '\\"').replace(/\n/g, "\\n");
}

/** HELP text escapes backslash and line feed. */
export function escapeHelp(text: string): string {
  return text.replace(/\\/g, "\\\\").replace(/\n/g, "\\n");
}

function labelText(labels: Labels, extra?: [string, string]): string {
  const parts: string[] = [];
  for (const [name, value] of Object.entries(labels)) {
    if (!LABEL_NAME.test(name) || name.startsWith("__")) throw new Error(`mpms: invalid label name ${name}`);
    parts.push(`${name}="${escapeLabelValue(value)}"`);
  }
  if (extra) parts.push(`${extra[0]}="${escapeLabelValue(extra[1])}"`);
  return parts.length === 0 ? "" : `{${parts.join(",")}}`;
}

/** Render the families as one exposition text (ends with a line feed). */
export function renderFamilies(families: readonly Family[]): string {
  const lines: string[] = [];
  for (const family of families) {
    if (!METRIC_NAME.test(family.name)) throw new Error(`mpms: invalid metric name ${family.name}`);
    lines.push(`# HELP ${family.name} ${escapeHelp(family.help)}`);
    lines.push(`# TYPE ${family.name} ${family.type}`);
    if (family.type === "histogram") {
      for (const h of family.samples) {
        for (let i = 0; i < h.buckets.length; i++) {
          const le = formatValue(h.buckets[i] as number);
          lines.push(`${family.name}_bucket${labelText(h.labels, ["le", le])} ${formatValue(h.counts[i] as number)}`);
        }
        lines.push(`${family.name}_bucket${labelText(h.labels, ["le", "+Inf"])} ${formatValue(h.count)}`);
        lines.push(`${family.name}_sum${labelText(h.labels)} ${formatValue(h.sum)}`);
        lines.push(`${family.name}_count${labelText(h.labels)} ${formatValue(h.count)}`);
      }
    } else {
      for (const s of family.samples) lines.push(`${family.name}${labelText(s.labels)} ${formatValue(s.value)}`);
    }
  }
  return lines.length === 0 ? "" : `${lines.join("\n")}\n`;
}
