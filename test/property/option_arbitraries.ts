/**
 * Arbitraries for pool options: for each option, valid values, and wrong ones tagged with the
 * error class they must cause (TypeError for a wrong type, RangeError for a value out of range).
 * The rules mirror the documented ones in src/pool/options.ts.
 */
import fc from "fast-check";

export type Fault = "type" | "range";
export interface Bad {
  value: unknown;
  fault: Fault;
}
export interface OptionArb {
  good: fc.Arbitrary<unknown>;
  bad: fc.Arbitrary<Bad>;
}

const tag =
  (fault: Fault) =>
  (value: unknown): Bad => ({ value, fault });

/** Values of the wrong type for a number option (NaN counts as a wrong type). */
const notANumber = fc.constantFrom<unknown>("1", null, true, {}, [], Number.NaN, 1n, () => 1, Symbol("s"));

interface NumberRule {
  min: number;
  /** The value must be strictly above `min`. */
  exclusive?: boolean;
  max?: number;
  integer?: boolean;
  /** Infinity is accepted. */
  infinite?: boolean;
}

function numberOption(rule: NumberRule): OptionArb {
  const lo = rule.exclusive ? rule.min + (rule.integer ? 1 : 0.001) : rule.min;
  const hi = rule.max ?? (rule.integer ? 100_000 : 1e6);
  const inRange = rule.integer
    ? fc.integer({ min: lo, max: hi })
    : fc.double({ min: lo, max: hi, noNaN: true, noDefaultInfinity: true });
  // Below the minimum (the minimum itself when it is exclusive; -0 counts as 0 there).
  const below = rule.integer
    ? fc.integer({ min: -1_000_000, max: rule.exclusive ? rule.min : rule.min - 1 })
    : fc.double({ min: -1e9, max: rule.exclusive ? rule.min : rule.min - 0.001, noNaN: true });
  const ranges: fc.Arbitrary<unknown>[] = [below, fc.constant(Number.NEGATIVE_INFINITY)];
  if (rule.max !== undefined) ranges.push(fc.integer({ min: rule.max + 1, max: rule.max + 1_000 }));
  if (rule.integer) ranges.push(fc.double({ min: lo + 0.01, max: lo + 0.99, noNaN: true }));
  if (!rule.infinite) ranges.push(fc.constant(Number.POSITIVE_INFINITY));
  const goods: fc.Arbitrary<unknown>[] = [inRange];
  if (rule.infinite) goods.push(fc.constant(Number.POSITIVE_INFINITY));
  return {
    good: fc.oneof(...goods),
    bad: fc.oneof(notANumber.map(tag("type")), fc.oneof(...ranges).map(tag("range"))),
  };
}

/** An object option whose fields are options themselves. */
function objectOption(fields: Record<string, OptionArb>): OptionArb {
  const good = fc.record(Object.fromEntries(Object.entries(fields).map(([k, a]) => [k, a.good])), { requiredKeys: [] });
  const oneBadField = fc
    .tuple(good, fc.constantFrom(...Object.keys(fields)))
    .chain(([base, key]) =>
      (fields[key] as OptionArb).bad.map((b): Bad => ({ value: { ...base, [key]: b.value }, fault: b.fault })),
    );
  return {
    good,
    bad: fc.oneof(fc.constantFrom<unknown>(null, 1, "x", [], true).map(tag("type")), oneBadField),
  };
}

const choice = (good: unknown[], types: unknown[], ranges: unknown[] = []): OptionArb => ({
  good: fc.constantFrom(...good),
  bad: fc.oneof(
    fc.constantFrom(...types).map(tag("type")),
    ...(ranges.length > 0 ? [fc.constantFrom(...ranges).map(tag("range"))] : []),
  ),
});

const text = fc.string({ minLength: 1, maxLength: 10 });
const stringArray = fc.array(fc.string({ maxLength: 8 }), { maxLength: 3 });
const errorName = fc.oneof(text, fc.constant(TypeError), fc.constant(RangeError));

/** Every option but `module` and `adapter`, keyed by name. */
export const OPTIONS: Record<string, OptionArb> = {
  workers: numberOption({ min: 1, max: 1024, integer: true }),
  concurrency: numberOption({ min: 1, max: 10_000, integer: true }),
  prefetch: numberOption({ min: 0, max: 1024, integer: true }),
  queueSize: numberOption({ min: 1, integer: true, infinite: true }),
  maxTasks: numberOption({ min: 1, integer: true, infinite: true }),
  maxTasksJitter: numberOption({ min: 0, integer: true }),
  maxAge: numberOption({ min: 0, exclusive: true, infinite: true }),
  maxAgeHard: numberOption({ min: 0, exclusive: true, infinite: true }),
  maxMemoryMb: numberOption({ min: 0, exclusive: true, infinite: true }),
  minAge: numberOption({ min: 0 }),
  taskTimeout: numberOption({ min: 0, exclusive: true, infinite: true }),
  killGrace: numberOption({ min: 0 }),
  startTimeout: numberOption({ min: 0, exclusive: true }),
  stopTimeout: numberOption({ min: 0 }),
  maxRecycling: numberOption({ min: 1, integer: true }),
  collector: choice([() => {}], [1, "f", null, {}]),
  gracefulDie: objectOption({
    timeout: numberOption({ min: 0 }),
    errors: {
      good: fc.array(errorName, { maxLength: 3 }),
      bad: fc.constantFrom<unknown>("WorkerGracefulDie", [""], [1], {}, null).map(tag("type")),
    },
  }),
  heartbeat: (() => {
    const o = objectOption({ interval: numberOption({ min: 1 }), timeout: numberOption({ min: 1 }) });
    return { good: fc.oneof(fc.constant(false), o.good), bad: o.bad };
  })(),
  restart: objectOption({
    intensity: numberOption({ min: 0, integer: true, infinite: true }),
    period: numberOption({ min: 0, exclusive: true }),
    backoff: objectOption({
      initial: numberOption({ min: 0 }),
      max: numberOption({ min: 0 }),
      factor: numberOption({ min: 1 }),
    }),
  }),
  execPath: { good: text, bad: fc.constantFrom<unknown>("", 1, null).map(tag("type")) },
  execArgv: { good: stringArray, bad: fc.constantFrom<unknown>("--x", [1], null).map(tag("type")) },
  permissions: { good: stringArray, bad: fc.constantFrom<unknown>("--allow-all", [true], {}).map(tag("type")) },
  cwd: { good: text, bad: fc.constantFrom<unknown>("", 0, []).map(tag("type")) },
  env: {
    good: fc.dictionary(text, fc.string({ maxLength: 6 }), { maxKeys: 3 }),
    bad: fc.constantFrom<unknown>(null, [], "A=1", { A: 1 }, { B: null }).map(tag("type")),
  },
};

/**
 * Options that contradict each other when both are finite; each entry is the option the error
 * names. Defaults count: heartbeat interval 1000 / timeout 10000, back-off initial 100 / max 30000.
 */
export function contradictions(o: Record<string, unknown>): string[] {
  const out: string[] = [];
  const fin = (v: unknown): v is number => typeof v === "number" && Number.isFinite(v);
  const hb = o.heartbeat as { interval?: unknown; timeout?: unknown } | false | undefined;
  const backoff = (o.restart as { backoff?: { initial?: unknown; max?: unknown } } | undefined)?.backoff;
  if (fin(o.maxAge) && fin(o.maxAgeHard) && o.maxAge >= o.maxAgeHard) out.push("maxAge");
  if (fin(o.minAge) && fin(o.maxAge) && o.minAge >= o.maxAge) out.push("minAge");
  if (fin(o.minAge) && fin(o.maxAgeHard) && o.minAge >= o.maxAgeHard) out.push("minAge");
  if (hb && typeof hb === "object") {
    const interval = hb.interval ?? 1_000;
    const timeout = hb.timeout ?? 10_000;
    if (fin(interval) && fin(timeout) && interval >= timeout) out.push("heartbeat.interval");
  }
  if (backoff && typeof backoff === "object") {
    const initial = backoff.initial ?? 100;
    const max = backoff.max ?? 30_000;
    if (fin(initial) && fin(max) && initial > max) out.push("restart.backoff.initial");
  }
  return out;
}
