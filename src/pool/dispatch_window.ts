/**
 * How many tasks each worker may hold at once: `concurrency` running, plus a prefetch window that
 * hides the round trip. With `prefetch: "auto"` the window follows a moving average of run times.
 */
export class DispatchWindow {
  /** Moving average of task run times (ms); -1 before the first one. */
  private ewmaRunMs = -1;

  constructor(
    private readonly concurrency: number,
    private readonly prefetch: number | "auto",
  ) {}

  /** A task ran for `ms`. */
  observe(ms: number): void {
    this.ewmaRunMs = this.ewmaRunMs < 0 ? ms : this.ewmaRunMs * 0.9 + ms * 0.1;
  }

  /** The moving average of run times in ms (-1 before the first task). */
  get runMs(): number {
    return this.ewmaRunMs;
  }

  /** Tasks a worker may hold now. */
  limit(): number {
    const c = this.concurrency;
    if (this.prefetch !== "auto") return c + this.prefetch;
    const ms = this.ewmaRunMs;
    if (ms < 0) return c;
    // Sub-millisecond tasks: the round trip dominates, so keep a deep window on each worker.
    if (ms < 1) return c + Math.min(256, Math.max(64, 16 * c));
    if (ms < 10) return c + 2 * c;
    if (ms < 100) return c + c;
    return c;
  }
}
