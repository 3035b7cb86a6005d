import type { HistogramSnapshot } from "../util/histogram.ts";
import type { FailureKind } from "./counters.ts";
import type { RetireReason } from "./events.ts";

/** A pool's life: idle (made) → starting → running → closing → closed; failed after a crash loop or a failed start. */
export type PoolState = "idle" | "starting" | "running" | "closing" | "closed" | "failed";

/** `standby`: a replacement started early, ready, taking tasks once the worker it replaces retires. */
export type WorkerState = "starting" | "standby" | "ready" | "retiring" | "stopping" | "exited" | "zombie";

/** One worker in `stats().workers`. */
export interface WorkerStats {
  /** The worker's id, unique within the pool (the one `recycle()` takes). */
  id: number;
  /** Where it is in its life (see {@link WorkerState}). */
  state: WorkerState;
  /** Tasks settled by this worker. */
  tasksDone: number;
  /** Tasks on this worker now (running or prefetched). */
  running: number;
  /** Of those, the tasks the worker said it started (the rest are prefetched). */
  started: number;
  /** ms since spawn. */
  age: number;
  /** Its process id (process adapters), or null. */
  pid: number | null;
  /** Its thread id (thread adapter), or null. */
  threadId: number | null;
  /** Last reported memory in bytes (RSS for processes, heap for threads); null if not known yet. */
  memory: number | null;
  /** Why it is retiring, if it is. */
  retiring: RetireReason | null;
}

/**
 * A snapshot of a pool, from `pool.stats()`.
 *
 * @example
 * ```ts
 * import { Pool } from "mpms";
 * const pool = new Pool({ module: new URL("./task.ts", import.meta.url) });
 * const { state, queued, running, completed, failed, workers } = pool.stats();
 * console.log(`${state}: ${queued} queued, ${running} running, ${completed} done, ${failed} failed`);
 * for (const w of workers) console.log(w.id, w.state, w.tasksDone, w.memory);
 * ```
 */
export interface PoolStats {
  /** The pool's state. */
  state: PoolState;
  /** The adapter's name ("thread", "process", …). */
  adapter: string;
  /** Target number of workers (between minWorkers and maxWorkers). */
  size: number;
  /** The fewest workers the pool keeps (equal to `maxWorkers` for a fixed pool). */
  minWorkers: number;
  /** The most workers the pool runs (equal to `minWorkers` for a fixed pool). */
  maxWorkers: number;
  /** Scale-ups so far (`scaleup` events). */
  scaleUps: number;
  /** Scale-downs so far (`scaledown` events). */
  scaleDowns: number;
  /** Tasks accepted so far. */
  submitted: number;
  /** Tasks in the queue, not yet sent to a worker. */
  queued: number;
  /** Tasks on workers (running or prefetched). submitted = completed + failed + cancelled + running + queued. */
  running: number;
  /** Tasks that returned. */
  completed: number;
  /** Tasks that failed (a throw, a timeout, a crash, …; see `failures`). */
  failed: number;
  /** Aborted by the caller, or cancelled by destroy()/shutdown. */
  cancelled: number;
  /** Failed because their worker crashed (a subset of failed). */
  crashed: number;
  /** Failed by their timeout (a subset of failed). */
  timedOut: number;
  /** Workers that became ready so far (replacements included). */
  workersStarted: number;
  /** Worker exits by reason. */
  retirements: Partial<Record<RetireReason, number>>;
  /** Failed tasks by kind of failure (sums to `failed`). */
  failures: Partial<Record<FailureKind, number>>;
  /** Time from submit to dispatch of settled tasks that reached a worker (seconds buckets). */
  waitTime: HistogramSnapshot;
  /** Time from start to settle of those tasks (seconds buckets). */
  runTime: HistogramSnapshot;
  /** Workers killed while busy on a runtime that cannot stop them (Deno threads), so far. */
  zombies: number;
  /** One row per worker. */
  workers: WorkerStats[];
}
