/**
 * Task times for the summary's percentiles: a log-scale histogram with buckets 1% apart, so
 * memory stays fixed (about 20 KiB) however many tasks run, and a percentile is within 1% of
 * the exact one.
 */

const MIN_MS = 0.001;
const MAX_TIMING_MS = 1e9;
const RATIO = 1.01;
const LOG_RATIO = Math.log(RATIO);
const BUCKETS = Math.ceil(Math.log(MAX_TIMING_MS / MIN_MS) / LOG_RATIO) + 1;

export class Timings {
  readonly #counts = new Float64Array(BUCKETS);
  #count = 0;
  #sum = 0;
  #min = Number.POSITIVE_INFINITY;
  #max = 0;

  record(ms: number): void {
    if (!(ms >= 0) || !Number.isFinite(ms)) return;
    const clamped = Math.min(Math.max(ms, MIN_MS), MAX_TIMING_MS);
    const i = Math.min(BUCKETS - 1, Math.floor(Math.log(clamped / MIN_MS) / LOG_RATIO));
    this.#counts[i] = (this.#counts[i] as number) + 1;
    this.#count++;
    this.#sum += ms;
    if (ms < this.#min) this.#min = ms;
    if (ms > this.#max) this.#max = ms;
  }

  get count(): number {
    return this.#count;
  }

  get mean(): number {
    return this.#count === 0 ? Number.NaN : this.#sum / this.#count;
  }

  get max(): number {
    return this.#count === 0 ? Number.NaN : this.#max;
  }

  /** The q-quantile (0 < q <= 1) in ms; NaN when nothing was recorded. */
  quantile(q: number): number {
    if (this.#count === 0) return Number.NaN;
    const rank = Math.max(1, Math.ceil(q * this.#count));
    let seen = 0;
    for (let i = 0; i < BUCKETS; i++) {
      seen += this.#counts[i] as number;
      if (seen >= rank) {
        const middle = MIN_MS * RATIO ** (i + 0.5);
        return Math.min(Math.max(middle, this.#min), this.#max);
      }
    }
    return this.#max;
  }
}
