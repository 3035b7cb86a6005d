/**
 * The /metrics families: one snapshot of `pool.stats()` per pool becomes counters, gauges and
 * histograms in base units, every pool sample labelled pool="<name>". Label sets with a fixed
 * vocabulary (failure kinds, retirement reasons, states) are always complete, so that rate() and
 * alerts see a series from zero instead of a series that appears at its first event.
 */
import type { FailureKind } from "../pool/counters.ts";
import type { RetireReason } from "../pool/events.ts";
import type { PoolState, PoolStats, WorkerState } from "../pool/stats.ts";
import type { LagSnapshot } from "./lag.ts";
import type { Family, HistogramSample, Sample } from "./prometheus.ts";

export const FAILURE_KINDS: readonly FailureKind[] = [
  "error",
  "crash",
  "timeout",
  "retired",
  "serialization",
  "unavailable",
];

export const RETIRE_REASONS: readonly RetireReason[] = [
  "maxTasks",
  "maxAge",
  "maxAgeHard",
  "memory",
  "gracefulDie",
  "timeout",
  "abort",
  "heartbeat",
  "crash",
  "start",
  "recycle",
  "resize",
  "idle",
  "close",
  "destroy",
];

export const POOL_STATES: readonly PoolState[] = ["idle", "starting", "running", "closing", "closed", "failed"];

export const WORKER_STATES: readonly WorkerState[] = [
  "starting",
  "standby",
  "ready",
  "retiring",
  "stopping",
  "exited",
  "zombie",
];

/** The fixed vocabulary, plus any key the stats carry that this list does not know yet. */
function keysOf(known: readonly string[], seen: Record<string, number | undefined>): string[] {
  const keys = [...known];
  for (const key of Object.keys(seen)) if (!keys.includes(key)) keys.push(key);
  return keys;
}

type PoolSnapshot = readonly [name: string, stats: PoolStats];

function perPool(pools: readonly PoolSnapshot[], value: (s: PoolStats) => number): Sample[] {
  return pools.map(([pool, s]) => ({ labels: { pool }, value: value(s) }));
}

function byKey(
  pools: readonly PoolSnapshot[],
  label: string,
  known: readonly string[],
  counts: (s: PoolStats) => Record<string, number | undefined>,
): Sample[] {
  const out: Sample[] = [];
  for (const [pool, s] of pools) {
    const record = counts(s);
    for (const key of keysOf(known, record)) out.push({ labels: { pool, [label]: key }, value: record[key] ?? 0 });
  }
  return out;
}

function histograms(pools: readonly PoolSnapshot[], pick: (s: PoolStats) => PoolStats["runTime"]): HistogramSample[] {
  return pools.map(([pool, s]) => {
    const h = pick(s);
    return { labels: { pool }, buckets: h.buckets, counts: h.counts, sum: h.sum, count: h.count };
  });
}

/** Every family of /metrics, for one stats() snapshot per pool and the host's event-loop lag. */
export function metricFamilies(pools: readonly PoolSnapshot[], lag: LagSnapshot): Family[] {
  const workerStates = (s: PoolStats): Record<string, number> => {
    const counts: Record<string, number> = {};
    for (const w of s.workers) counts[w.state] = (counts[w.state] ?? 0) + 1;
    return counts;
  };
  const memory: Sample[] = [];
  for (const [pool, s] of pools) {
    for (const w of s.workers) {
      if (w.memory !== null) memory.push({ labels: { pool, worker: String(w.id) }, value: w.memory });
    }
  }
  return [
    {
      name: "mpms_pool_info",
      help: "Pool identity; always 1.",
      type: "gauge",
      samples: pools.map(([pool, s]) => ({ labels: { pool, adapter: s.adapter }, value: 1 })),
    },
    {
      name: "mpms_pool_state",
      help: "1 for the pool's current state, 0 for the others.",
      type: "gauge",
      samples: pools.flatMap(([pool, s]) =>
        keysOf(POOL_STATES, { [s.state]: 1 }).map((state) => ({
          labels: { pool, state },
          value: s.state === state ? 1 : 0,
        })),
      ),
    },
    {
      name: "mpms_tasks_submitted_total",
      help: "Tasks accepted into the queue.",
      type: "counter",
      samples: perPool(pools, (s) => s.submitted),
    },
    {
      name: "mpms_tasks_completed_total",
      help: "Tasks that returned a value.",
      type: "counter",
      samples: perPool(pools, (s) => s.completed),
    },
    {
      name: "mpms_tasks_failed_total",
      help: "Tasks that failed, by reason (error: the task threw; crash, timeout, retired, serialization, unavailable).",
      type: "counter",
      samples: byKey(pools, "reason", FAILURE_KINDS, (s) => s.failures),
    },
    {
      name: "mpms_tasks_cancelled_total",
      help: "Tasks aborted by the caller, or cancelled by destroy() or shutdown.",
      type: "counter",
      samples: perPool(pools, (s) => s.cancelled),
    },
    {
      name: "mpms_tasks_queued",
      help: "Tasks waiting in the queue for a worker.",
      type: "gauge",
      samples: perPool(pools, (s) => s.queued),
    },
    {
      name: "mpms_tasks_running",
      help: "Tasks on workers (running or prefetched).",
      type: "gauge",
      samples: perPool(pools, (s) => s.running),
    },
    {
      name: "mpms_task_wait_seconds",
      help: "Time from submit to dispatch to a worker, of settled tasks that reached a worker.",
      type: "histogram",
      samples: histograms(pools, (s) => s.waitTime),
    },
    {
      name: "mpms_task_run_seconds",
      help: "Time from start on a worker to settle, of settled tasks that reached a worker.",
      type: "histogram",
      samples: histograms(pools, (s) => s.runTime),
    },
    {
      name: "mpms_workers",
      help: "Workers by state.",
      type: "gauge",
      samples: byKey(pools, "state", WORKER_STATES, workerStates),
    },
    {
      name: "mpms_workers_target",
      help: "Target number of workers (the pool's size).",
      type: "gauge",
      samples: perPool(pools, (s) => s.size),
    },
    {
      name: "mpms_workers_min",
      help: "The elastic pool's minWorkers (equal to max for a fixed pool).",
      type: "gauge",
      samples: perPool(pools, (s) => s.minWorkers),
    },
    {
      name: "mpms_workers_max",
      help: "The elastic pool's maxWorkers (equal to min for a fixed pool).",
      type: "gauge",
      samples: perPool(pools, (s) => s.maxWorkers),
    },
    {
      name: "mpms_scale_ups_total",
      help: "Scale-up decisions of the elastic pool (queue pressure).",
      type: "counter",
      samples: perPool(pools, (s) => s.scaleUps),
    },
    {
      name: "mpms_scale_downs_total",
      help: "Scale-down decisions of the elastic pool (an idle worker retired).",
      type: "counter",
      samples: perPool(pools, (s) => s.scaleDowns),
    },
    {
      name: "mpms_worker_starts_total",
      help: "Workers started.",
      type: "counter",
      samples: perPool(pools, (s) => s.workersStarted),
    },
    {
      name: "mpms_worker_retirements_total",
      help: "Workers that stopped, by reason (planned retirements, kills and crashes).",
      type: "counter",
      samples: byKey(pools, "reason", RETIRE_REASONS, (s) => s.retirements),
    },
    {
      name: "mpms_worker_zombies_total",
      help: "Workers the runtime could not stop (a busy thread on Deno), taken out of capacity.",
      type: "counter",
      samples: perPool(pools, (s) => s.zombies),
    },
    {
      name: "mpms_worker_memory_bytes",
      help: "Last memory a worker reported: resident set size for process workers, heap used for thread workers.",
      type: "gauge",
      samples: memory,
    },
    {
      name: "mpms_event_loop_lag_seconds",
      help: "Host process: delay of the last event-loop lag probe beyond its schedule.",
      type: "gauge",
      samples: [{ labels: {}, value: lag.last }],
    },
    {
      name: "mpms_event_loop_lag_max_seconds",
      help: `Host process: longest event-loop lag seen in the last ${lag.windowSeconds} seconds.`,
      type: "gauge",
      samples: [{ labels: {}, value: lag.max }],
    },
  ];
}
