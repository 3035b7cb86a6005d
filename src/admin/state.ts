/**
 * What the admin keeps between requests: the pools, a ring of recent worker exits per pool, a
 * per-pool history of throughput and latency sampled every second, and the event-loop lag
 * sampler. Its timers never keep the process alive (`unref`) and stop on close().
 */

import type { PoolState, PoolStats, WorkerStats } from "../pool/stats.ts";
import type { Shutdown } from "../shutdown/shutdown.ts";
import { ExitLog, type RecentExit } from "./exits.ts";
import { type HistoryPoint, PoolHistory } from "./history.ts";
import { HostPolicy } from "./hosts.ts";
import { LagSampler, type LagSnapshot, type UnrefTimer } from "./lag.ts";
import { type Liveness, liveness } from "./liveness.ts";
import type { AdminPool, ResolvedAdminOptions } from "./options.ts";
import { type QueueSource, type QueueView, queueViews } from "./queues.ts";
import { type Readiness, readiness } from "./readiness.ts";

/** Seconds between history points. */
export const HISTORY_INTERVAL = 1;
/** Points kept per pool: five minutes. */
export const HISTORY_POINTS = 300;
/** Worker exits kept per pool. */
export const EXITS_KEPT = 50;

/** One pool in GET /stats: its stats() snapshot and its last worker exits. */
export interface PoolReport extends PoolStats {
  /** The last worker exits, oldest first. */
  recentExits: RecentExit[];
}

/** The body of GET /stats. */
export interface StatsReport {
  /** ISO time of the snapshot. */
  time: string;
  /** Readiness, as GET /readyz answers it. */
  ready: boolean;
  /** Why not ready (empty when ready). */
  reasons: string[];
  /** The shutdown's readiness and state, or null without a shutdown. */
  shutdown: { ready: boolean; state: Shutdown["state"] } | null;
  /** True when a token is configured (the mutating routes are enabled). */
  controls: boolean;
  /** The host's event-loop lag. */
  eventLoopLag: LagSnapshot;
  /** Each pool, by name. */
  pools: Record<string, PoolReport>;
  /** The queues given to the admin (`queues` option); absent without that option. */
  queues?: QueueView[];
}

/** One worker of one pool, as GET /workers lists it. */
export interface WorkerRow extends WorkerStats {
  /** The pool's name. */
  pool: string;
}

/** The body of GET /history: each pool's recent points, for the dashboard's charts. */
export interface HistoryReport {
  /** Seconds between points. */
  interval: number;
  /** Each pool's points, oldest first, by name. */
  pools: Record<string, HistoryPoint[]>;
}

export class AdminState {
  readonly pools: Map<string, AdminPool>;
  readonly shutdown: Shutdown | undefined;
  readonly token: string | undefined;
  readonly failLivenessOnPoolFailure: boolean;
  /** The Host and Origin rules; serveAdmin() tells it the served address. */
  readonly hosts: HostPolicy;
  readonly metrics: ResolvedAdminOptions["metrics"];
  readonly queues: readonly QueueSource[] | undefined;
  readonly lag: LagSampler;
  readonly #exits = new Map<string, ExitLog>();
  readonly #history = new Map<string, PoolHistory>();
  #timer: ReturnType<typeof setInterval> | undefined;

  constructor(options: ResolvedAdminOptions, unref?: UnrefTimer) {
    this.pools = options.pools;
    this.shutdown = options.shutdown;
    this.token = options.token;
    this.failLivenessOnPoolFailure = options.failLivenessOnPoolFailure;
    this.hosts = new HostPolicy(options.allowedHosts);
    this.metrics = options.metrics;
    this.queues = options.queues;
    for (const [name, pool] of this.pools) {
      this.#exits.set(name, new ExitLog(pool, EXITS_KEPT));
      this.#history.set(name, new PoolHistory(HISTORY_POINTS));
    }
    this.lag = new LagSampler(50, 10_000, unref);
    this.lag.start();
    this.#sampleHistory();
    this.#timer = setInterval(() => this.#sampleHistory(), HISTORY_INTERVAL * 1000);
    unref?.(this.#timer);
  }

  #sampleHistory(): void {
    const at = performance.now();
    const t = Date.now();
    for (const [name, pool] of this.pools) {
      try {
        this.#history.get(name)?.sample(pool.stats(), at, t);
      } catch {
        // a timer callback must never take the host down; the point is simply missing
      }
    }
  }

  /** One stats() snapshot per pool, taken together. */
  snapshot(): [string, PoolStats][] {
    return [...this.pools].map(([name, pool]) => [name, pool.stats()]);
  }

  readiness(snapshot: readonly (readonly [string, PoolStats])[] = this.snapshot()): Readiness {
    return readiness(this.shutdown, snapshot);
  }

  /** Liveness from each pool's state (its `state` getter when it has one: no whole snapshot per probe). */
  liveness(): Liveness {
    const states: [string, PoolState][] = [];
    for (const [name, pool] of this.pools) {
      states.push([name, typeof pool.state === "string" ? pool.state : pool.stats().state]);
    }
    return liveness(states, this.failLivenessOnPoolFailure);
  }

  stats(): StatsReport {
    const snapshot = this.snapshot();
    const ready = this.readiness(snapshot);
    const pools: Record<string, PoolReport> = {};
    for (const [name, s] of snapshot) pools[name] = { ...s, recentExits: this.#exits.get(name)?.list() ?? [] };
    const report: StatsReport = {
      time: new Date().toISOString(),
      ready: ready.ready,
      reasons: ready.reasons,
      shutdown: this.shutdown ? { ready: this.shutdown.ready, state: this.shutdown.state } : null,
      controls: this.token !== undefined,
      eventLoopLag: this.lag.snapshot(),
      pools,
    };
    if (this.queues !== undefined) report.queues = queueViews(this.queues);
    return report;
  }

  workers(): WorkerRow[] {
    return this.snapshot().flatMap(([pool, s]) => s.workers.map((w) => ({ pool, ...w })));
  }

  history(): HistoryReport {
    const pools: Record<string, HistoryPoint[]> = {};
    for (const [name, h] of this.#history) pools[name] = h.points.toArray();
    return { interval: HISTORY_INTERVAL, pools };
  }

  /** Stop the timers and the event listeners. Idempotent. */
  close(): void {
    if (this.#timer !== undefined) clearInterval(this.#timer);
    this.#timer = undefined;
    this.lag.stop();
    for (const log of this.#exits.values()) log.detach();
  }
}
