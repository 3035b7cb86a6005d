/**
 * How a Pool keeps a shutdown hook's deadline (the `closeWithin` protocol of
 * src/shutdown/closable.ts): it closes gracefully within the hook's time, less a reserve for
 * destroy(), and is destroyed at that time or when the hook is cut, even if the application had
 * already called close() without a timeout. The hook then ends as timed out, naming how many
 * tasks were cancelled.
 */
import type { HookContext } from "../shutdown/phase.ts";
import type { PoolStats } from "./stats.ts";

/**
 * Part of the pool's time kept back so destroy() (killing what is left) still fits in the hook's
 * budget: a fifth of the budget, at most this many ms. destroy() takes 5-25 ms on an idle machine,
 * much more on a loaded one.
 */
const POOL_DESTROY_RESERVE = 1_000;

/** What of a Pool this needs. */
export interface ClosingPool {
  close(options: { timeout: number }): Promise<void>;
  destroy(): Promise<void>;
  stats(): PoolStats;
}

export async function closePoolWithin(pool: ClosingPool, signal: AbortSignal, context: HookContext): Promise<void> {
  const destroy = (): Promise<void> => pool.destroy().catch(() => {});
  const onAbort = (): void => void destroy();
  signal.addEventListener("abort", onAbort, { once: true });
  const cancelledBefore = pool.stats().cancelled;
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
    await Promise.race([pool.close({ timeout }), giveUp]);
  } finally {
    clearTimeout(timer);
    signal.removeEventListener("abort", onAbort);
  }
  const cancelled = pool.stats().cancelled - cancelledBefore;
  if (destroyed || (cancelled > 0 && performance.now() - started >= timeout)) {
    // close() did not finish within its time and the pool was destroyed: report the hook as timed out
    throw new DOMException(
      `close() reached its ${Math.round(timeout)} ms; ${cancelled} tasks cancelled`,
      "TimeoutError",
    );
  }
}
