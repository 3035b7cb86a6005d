/** Shared pieces of option validation: every message names the option and shows the bad value. */
import { MAX_MS } from "./limits.ts";

/** {@link MAX_MS}, named for timers: every computed delay is clamped to it (Infinity: no timer). */
export const MAX_TIMER_MS = MAX_MS;

/** `ms` clamped to what setTimeout honours (for delays computed from several options). */
export function timerDelay(ms: number): number {
  return Math.min(MAX_TIMER_MS, Math.max(0, ms));
}

/** A value as it appears in an error message. */
export function show(value: unknown): string {
  if (typeof value === "string") return JSON.stringify(value);
  if (typeof value === "function") return "a function";
  if (typeof value === "number" || typeof value === "bigint" || typeof value === "symbol") return String(value);
  try {
    return JSON.stringify(value) ?? String(value);
  } catch {
    // a cycle, a BigInt inside, a throwing toJSON; String() itself throws for a null-prototype
    // object or a revoked proxy: the message must still be built
    try {
      return String(value);
    } catch {
      return "an unprintable value";
    }
  }
}

export function typeError(name: string, expected: string, value: unknown): TypeError {
  return new TypeError(`mpms: option "${name}" must be ${expected}, got ${show(value)}`);
}

export function rangeError(name: string, expected: string, value: unknown): RangeError {
  return new RangeError(`mpms: option "${name}" must be ${expected}, got ${show(value)}`);
}

/**
 * Throws a TypeError naming the first key of `options` that is not in `known`: a misspelt option
 * (`{ transfr: … }`) is an error, not a silent no-op. `scope` names whose options they are
 * ("submit", "shutdown"; "" for the pool's own).
 */
export function rejectUnknownKeys(options: object, known: ReadonlySet<string>, scope = ""): void {
  for (const key in options) {
    if (Object.hasOwn(options, key) && !known.has(key)) {
      throw new TypeError(`mpms: unknown ${scope === "" ? "" : `${scope} `}option "${key}"`);
    }
  }
}

/** The keys of an options interface, as a set; listing each key is checked by the compiler. */
export function keysOf<T>(keys: { [K in keyof Required<T>]: true }): ReadonlySet<string> {
  return new Set(Object.keys(keys));
}
