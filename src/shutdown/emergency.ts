/**
 * The emergency layer, the last of a safe exit's three (graceful phases → timed cuts →
 * emergency): synchronous last-resort hooks that run once, right before the process exits, on
 * every way out of a shutdown: a clean end, the deadline, a second signal, force(), an uncaught
 * exception or unhandled rejection. They write a state or pid file, flush a synchronous log,
 * remove a lock. Each is guarded (one that throws does not stop the next); they share a small
 * total budget, checked between hooks since a synchronous hook cannot be cut.
 */
import { describeThrown, safeGet } from "./describe.ts";

/** An emergency hook: synchronous; its return value is ignored (a promise would not be awaited). */
export type EmergencyFn = () => void;

/** Options of `shutdown.emergency(fn, options)`. */
export interface EmergencyOptions {
  /**
   * Name in logs and the report.
   * @default the function's name, else "emergency"
   */
  name?: string;
}

/** How an emergency hook ended: ran, threw (or returned a promise), or skipped for budget. */
export type EmergencyStatus = "ok" | "error" | "skipped";

/** One emergency hook in the report. */
export interface EmergencyReport {
  /** The hook's name. */
  name: string;
  /** How it ended. */
  status: EmergencyStatus;
  /** Milliseconds the hook took (0 when skipped). */
  ms: number;
  /** What it threw (status "error"). */
  error?: unknown;
  /** `error` described in one line. */
  message?: string;
}

/**
 * Total time (ms) for all emergency hooks, counted from the first one's start. Checked before
 * each hook: the hooks left once it is spent are skipped. Small, because on a forced end the
 * process should be gone within about 100 ms of the second signal.
 */
export const EMERGENCY_BUDGET = 100;

const AsyncFunction = (async () => {}).constructor;

interface EmergencyHook {
  name: string;
  fn: EmergencyFn;
}

const now = (): number => performance.now();

/** The registered emergency hooks and, once they ran, their reports. */
export class EmergencyHooks {
  readonly #hooks: EmergencyHook[] = [];
  #reports: EmergencyReport[] | undefined;

  /** The reports, once the hooks ran (undefined before). */
  get reports(): EmergencyReport[] | undefined {
    return this.#reports;
  }

  /** Register a hook; returns a function that removes it again. Throws once the hooks ran. */
  add(fn: unknown, options: unknown): () => void {
    if (typeof fn !== "function") {
      throw new TypeError(`mpms: shutdown.emergency(fn) needs a function, got ${describeThrown(fn)}`);
    }
    if (fn instanceof AsyncFunction) {
      throw new TypeError(
        "mpms: shutdown.emergency(fn) needs a synchronous function, got an async one: emergency hooks run " +
          'right before exit and are not awaited (use shutdown.add(name, fn, { phase: "final" }) for async work)',
      );
    }
    if (options !== undefined && (options === null || typeof options !== "object")) {
      throw new TypeError(`mpms: shutdown.emergency() options must be an object, got ${describeThrown(options)}`);
    }
    const explicit = safeGet(options, "name");
    if (explicit !== undefined && (typeof explicit !== "string" || explicit === "")) {
      throw new TypeError(`mpms: option "name" must be a non-empty string, got ${describeThrown(explicit)}`);
    }
    const fnName = safeGet(fn, "name");
    const base = explicit ?? (typeof fnName === "string" && fnName !== "" ? fnName : "emergency");
    if (this.#reports !== undefined) {
      throw new Error(`mpms: the emergency hooks have already run; "${base}" was added too late`);
    }
    let name = base;
    for (let n = 2; this.#hooks.some((h) => h.name === name); n++) name = `${base} ${n}`;
    const hook: EmergencyHook = { name, fn: fn as EmergencyFn };
    this.#hooks.push(hook);
    return () => {
      const i = this.#hooks.indexOf(hook);
      if (i >= 0) this.#hooks.splice(i, 1);
    };
  }

  /** Run every hook once, in registration order, within the budget; later calls return the same reports. */
  run(): EmergencyReport[] {
    if (this.#reports !== undefined) return this.#reports;
    const reports: EmergencyReport[] = [];
    this.#reports = reports; // first: a hook that ends up here again (through an exit path) runs nothing twice
    const start = now();
    for (const hook of [...this.#hooks]) {
      const t0 = now();
      if (t0 - start >= EMERGENCY_BUDGET) {
        reports.push({ name: hook.name, status: "skipped", ms: 0 });
        continue;
      }
      try {
        const result: unknown = hook.fn();
        const then = safeGet(result, "then");
        if (typeof then === "function") {
          try {
            then.call(result, undefined, () => {}); // not awaited; keep its rejection from becoming fatal
          } catch {
            // a thenable whose then() throws: nothing to wait for either way
          }
          const error = new TypeError(
            `emergency hook "${hook.name}" returned a promise; emergency hooks are synchronous and it was not awaited`,
          );
          reports.push({ name: hook.name, status: "error", ms: now() - t0, error, message: error.message });
          continue;
        }
        reports.push({ name: hook.name, status: "ok", ms: now() - t0 });
      } catch (error) {
        reports.push({ name: hook.name, status: "error", ms: now() - t0, error, message: describeThrown(error) });
      }
    }
    return reports;
  }
}

/** One log line, e.g. `mpms shutdown: emergency hooks: pidfile ok 0 ms, lock error 1 ms (Error: gone)`. */
export function formatEmergency(reports: readonly EmergencyReport[]): string {
  if (reports.length === 0) return "mpms shutdown: emergency hooks: none";
  const parts = reports.map((r) =>
    r.status === "skipped"
      ? `${r.name} skipped (budget of ${EMERGENCY_BUDGET} ms spent)`
      : `${r.name} ${r.status} ${Math.round(r.ms)} ms${r.message !== undefined ? ` (${r.message})` : ""}`,
  );
  return `mpms shutdown: emergency hooks: ${parts.join(", ")}`;
}
