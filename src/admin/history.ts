/**
 * Throughput and latency over the last minutes, for the dashboard's charts: every `interval` the
 * admin takes one stats() snapshot per pool and keeps the difference to the previous one (rates
 * and the latency quantiles of the tasks settled in between) in a fixed ring.
 */

import type { PoolStats } from "../pool/stats.ts";
import type { HistogramSnapshot } from "../util/histogram.ts";
import { Ring } from "./ring.ts";

/** One point of a pool's history. Rates are per second; latencies are seconds (null: no task settled). */
export interface HistoryPoint {
  /** Epoch ms at the end of the interval. */
  t: number;
  /** Tasks completed per second over the interval. */
  completed: number;
  /** Tasks failed per second over the interval. */
  failed: number;
  /** Tasks cancelled per second over the interval. */
  cancelled: number;
  /** Tasks submitted per second over the interval. */
  submitted: number;
  /** Tasks queued at the end of the interval. */
  queued: number;
  /** Tasks running at the end of the interval. */
  running: number;
  /** Workers in state "ready" at the end of the interval. */
  readyWorkers: number;
  /** Mean run time of the tasks settled in the interval (s). */
  runMean: number | null;
  /** Median run time of the tasks settled in the interval (s). */
  runP50: number | null;
  /** 95th percentile run time of the tasks settled in the interval (s). */
  runP95: number | null;
  /** 95th percentile queue wait of the tasks dispatched in the interval (s). */
  waitP95: number | null;
}

/**
 * The q-quantile of the samples in `now` minus `before` (cumulative buckets), interpolated linearly
 * inside the bucket as Prometheus' histogram_quantile does; samples above the last bound report
 * that bound. Null when no sample fell in between.
 */
export function quantileBetween(before: HistogramSnapshot | null, now: HistogramSnapshot, q: number): number | null {
  const total = now.count - (before?.count ?? 0);
  if (total <= 0) return null;
  const rank = q * total;
  let lowerBound = 0;
  let lowerCount = 0;
  for (let i = 0; i < now.buckets.length; i++) {
    const upper = now.buckets[i] as number;
    const count = (now.counts[i] as number) - ((before?.counts[i] as number | undefined) ?? 0);
    if (count >= rank) {
      const inBucket = count - lowerCount;
      if (inBucket <= 0) return upper;
      return lowerBound + ((upper - lowerBound) * (rank - lowerCount)) / inBucket;
    }
    lowerBound = upper;
    lowerCount = count;
  }
  return lowerBound;
}

/** The point for the interval between two snapshots of one pool, `seconds` apart. */
export function historyPoint(before: PoolStats | null, now: PoolStats, seconds: number, t: number): HistoryPoint {
  const rate = (pick: (s: PoolStats) => number): number =>
    seconds > 0 ? Math.max(0, pick(now) - (before ? pick(before) : 0)) / seconds : 0;
  const runCount = now.runTime.count - (before?.runTime.count ?? 0);
  const runSum = now.runTime.sum - (before?.runTime.sum ?? 0);
  return {
    t,
    completed: rate((s) => s.completed),
    failed: rate((s) => s.failed),
    cancelled: rate((s) => s.cancelled),
    submitted: rate((s) => s.submitted),
    queued: now.queued,
    running: now.running,
    readyWorkers: now.workers.filter((w) => w.state === "ready").length,
    runMean: runCount > 0 ? runSum / runCount : null,
    runP50: quantileBetween(before?.runTime ?? null, now.runTime, 0.5),
    runP95: quantileBetween(before?.runTime ?? null, now.runTime, 0.95),
    waitP95: quantileBetween(before?.waitTime ?? null, now.waitTime, 0.95),
  };
}

/** The history of one pool. */
export class PoolHistory {
  readonly points: Ring<HistoryPoint>;
  #previous: PoolStats | null = null;
  #previousAt = 0;

  constructor(capacity: number) {
    this.points = new Ring(capacity);
  }

  /** Take a snapshot at `at` (performance.now() ms) and `t` (epoch ms). The first one only sets the base. */
  sample(stats: PoolStats, at: number, t: number): void {
    if (this.#previous !== null) {
      this.points.push(historyPoint(this.#previous, stats, (at - this.#previousAt) / 1000, t));
    }
    this.#previous = stats;
    this.#previousAt = at;
  }
}
