/**
 * Event-loop lag of the host, measured with a timer only: a probe every `interval` ms notes how
 * much later than scheduled it ran. A blocked loop shows up once it unblocks; a probe that is
 * overdue right now counts too, so a scrape that lands just after a stall sees it.
 */

/** The host's event-loop lag over the last probes (/stats and the mpms_event_loop_lag_* metrics). */
export interface LagSnapshot {
  /** Lag of the latest probe, or how overdue the next one is (seconds). */
  last: number;
  /** Longest lag in the window (seconds). */
  max: number;
  /** Mean lag in the window (seconds). */
  mean: number;
  /** Probes in the window. */
  samples: number;
  /** How far back the window reaches (seconds). */
  windowSeconds: number;
}

/** Makes a timer not keep the process alive (runtime-specific; given by the entry module). */
export type UnrefTimer = (timer: unknown) => void;

export class LagSampler {
  readonly #interval: number;
  readonly #window: Float64Array;
  readonly #unref: UnrefTimer | undefined;
  #size = 0;
  #next = 0;
  #last = 0;
  #lastTick = 0;
  #timer: ReturnType<typeof setInterval> | undefined;

  /**
   * @param interval ms between probes
   * @param windowMs how far back `max` and `mean` look
   */
  constructor(interval = 50, windowMs = 10_000, unref?: UnrefTimer) {
    this.#interval = interval;
    this.#window = new Float64Array(Math.max(1, Math.round(windowMs / interval)));
    this.#unref = unref;
  }

  get running(): boolean {
    return this.#timer !== undefined;
  }

  start(): void {
    if (this.#timer !== undefined) return;
    this.#lastTick = performance.now();
    this.#timer = setInterval(() => this.#tick(), this.#interval);
    this.#unref?.(this.#timer);
  }

  stop(): void {
    if (this.#timer !== undefined) clearInterval(this.#timer);
    this.#timer = undefined;
  }

  /** Record one probe that ran `lagMs` late (also used by tests). */
  record(lagMs: number): void {
    const lag = Math.max(0, lagMs) / 1000;
    this.#last = lag;
    this.#window[this.#next] = lag;
    this.#next = (this.#next + 1) % this.#window.length;
    if (this.#size < this.#window.length) this.#size++;
  }

  #tick(): void {
    const t = performance.now();
    this.record(t - this.#lastTick - this.#interval);
    this.#lastTick = t;
  }

  snapshot(): LagSnapshot {
    let max = 0;
    let sum = 0;
    for (let i = 0; i < this.#size; i++) {
      const v = this.#window[i] as number;
      sum += v;
      if (v > max) max = v;
    }
    let last = this.#last;
    if (this.#timer !== undefined) {
      const overdue = (performance.now() - this.#lastTick - this.#interval) / 1000;
      if (overdue > last) last = overdue;
    }
    return {
      last,
      max: Math.max(max, last),
      mean: this.#size === 0 ? 0 : sum / this.#size,
      samples: this.#size,
      windowSeconds: (this.#window.length * this.#interval) / 1000,
    };
  }
}
