/**
 * A fixed-bucket latency histogram in seconds (Prometheus style: cumulative on export). Recording
 * is a short linear scan over a handful of bounds: cheap enough for every task.
 */

/** Upper bounds in seconds; the last bucket (+Inf) is implicit. */
export const LATENCY_BUCKETS: readonly number[] = [
  0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30, 60,
];

/** A snapshot: `counts[i]` is the number of samples <= `buckets[i]` (cumulative); `count` includes +Inf. */
export interface HistogramSnapshot {
  /** Upper bounds in seconds, ascending (the +Inf bucket is implicit). */
  buckets: number[];
  /** Cumulative counts, one per bound: samples <= `buckets[i]`. */
  counts: number[];
  /** Sum of all samples (seconds). */
  sum: number;
  /** Number of samples, the ones above the last bound included. */
  count: number;
}

export class Histogram {
  private readonly counts: number[];
  private sum = 0;
  private count = 0;

  constructor(private readonly bounds: readonly number[] = LATENCY_BUCKETS) {
    this.counts = new Array(bounds.length + 1).fill(0);
  }

  /** Record one sample given in milliseconds. */
  recordMs(ms: number): void {
    const s = ms / 1000;
    const bounds = this.bounds;
    let i = 0;
    while (i < bounds.length && s > (bounds[i] as number)) i++;
    this.counts[i] = (this.counts[i] as number) + 1;
    this.sum += s;
    this.count++;
  }

  snapshot(): HistogramSnapshot {
    const cumulative: number[] = [];
    let running = 0;
    for (let i = 0; i < this.bounds.length; i++) {
      running += this.counts[i] as number;
      cumulative.push(running);
    }
    return { buckets: [...this.bounds], counts: cumulative, sum: this.sum, count: this.count };
  }
}
