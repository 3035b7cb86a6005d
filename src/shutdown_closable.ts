/**
 * Hooks made from objects: a Pool closes gracefully within the hook's time (less a reserve for
 * destroy()) and is destroyed at that time, or when the hook is cut, even if the application had
 * already called close() without a timeout (the hook then ends as timed out, naming how many tasks
 * were cancelled); anything else with close() and/or destroy() is closed, and destroyed if cut.
 */
import { Pool } from "./pool.ts";
import type { HookFn } from "./shutdown_phase.ts";

/** Anything `shutdown.add(target)` accepts: it has close(), destroy(), or both. */
export interface Closable {
  /** Graceful: finish the work, then release; awaited within the hook's time. */
  close?(): unknown;
  /** Immediate: release now; called when the hook is cut (or when there is no close()). */
  destroy?(): unknown;
}

/**
 * Part of the pool's time kept back so destroy() (killing what is left) still fits in the hook's
 * budget: a fifth of the budget, at most this many ms. destroy() takes 5-25 ms on an idle machine,
 * much more on a loaded one.
 */
const POOL_DESTROY_RESERVE = 1_000;

export function isClosable(value: unknown): value is Closable {
  if (value === null || (typeof value !== "object" && typeof value !== "function")) return false;
  const v = value as Closable;
  return typeof v.close === "function" || typeof v.destroy === "function";
}

/** The default hook name of an object: "pool" for a Pool, else its class name in lower case. */
export function closableName(target: Closable): string {
  if (target instanceof Pool) return "pool";
  const ctor = (target as { constructor?: { name?: unknown } }).constructor?.name;
  return typeof ctor === "string" && ctor !== "" && ctor !== "Object" ? ctor.toLowerCase() : "resource";
}

/** A hook that closes `target` within its budget and destroys it when cut. */
export function closableHook(target: Closable): HookFn {
  if (target instanceof Pool) {
    return async (signal, context) => {
      const destroy = (): Promise<void> => target.destroy().catch(() => {});
      const onAbort = (): void => void destroy();
      signal.addEventListener("abort", onAbort, { once: true });
      const cancelledBefore = target.stats().cancelled;
      const left = context.timeLeft();
      const timeout = Math.max(0, left - Math.min(POOL_DESTROY_RESERVE, left / 5));
      const started = performance.now();
      // Our own timer as well as close()'s: if the application already called close() (without a
      // timeout, or with a longer one), this close() returns that pending close and its timeout
      // does not apply. Destroying at our timeout keeps the budget whatever close() came first.
      let timer: ReturnType<typeof setTimeout> | undefined;
      let destroyed = false;
      const giveUp = new Promise<void>((resolve) => {
        timer = setTimeout(() => {
          destroyed = true;
          resolve(destroy());
        }, timeout);
      });
      try {
        await Promise.race([target.close({ timeout }), giveUp]);
      } finally {
        clearTimeout(timer);
        signal.removeEventListener("abort", onAbort);
      }
      const cancelled = target.stats().cancelled - cancelledBefore;
      if (destroyed || (cancelled > 0 && performance.now() - started >= timeout)) {
        // close() did not finish within its time and the pool was destroyed: report the hook as timed out
        throw new DOMException(
          `close() reached its ${Math.round(timeout)} ms; ${cancelled} tasks cancelled`,
          "TimeoutError",
        );
      }
    };
  }
  return async (signal) => {
    const destroy = target.destroy;
    const onAbort = (): void => {
      try {
        void Promise.resolve(destroy?.call(target)).catch(() => {});
      } catch {
        // destroy() threw synchronously: the hook is already reported as cut
      }
    };
    if (typeof target.close !== "function") return await destroy?.call(target);
    if (typeof destroy === "function") signal.addEventListener("abort", onAbort, { once: true });
    try {
      await target.close();
    } finally {
      signal.removeEventListener("abort", onAbort);
    }
  };
}
