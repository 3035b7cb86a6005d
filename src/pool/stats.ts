import type { HistogramSnapshot } from "../util/histogram.ts";
import type { FailureKind } from "./counters.ts";
import type { RetireReason } from "./events.ts";

export type PoolState = "idle" | "starting" | "running" | "closing" | "closed" | "failed";

/** `standby`: a replacement started early, ready, taking tasks once the worker it replaces retires. */
export type WorkerState = "starting" | "standby" | "ready" | "retiring" | "stopping" | "exited" | "zombie";

export interface WorkerStats {
  id: number;
  state: WorkerState;
  /** Tasks settled by this worker. */
  tasksDone: number;
  /** Tasks on this worker now (running or prefetched). */
  running: number;
  /** Of those, the tasks the worker said it started (the rest are prefetched). */
  started: number;
  /** ms since spawn. */
  age: number;
  pid: number | null;
  threadId: number | null;
  /** Last reported memory in bytes (RSS for processes, heap for threads); null if not known yet. */
  memory: number | null;
  /** Why it is retiring, if it is. */
  retiring: RetireReason | null;
}

export interface PoolStats {
  state: PoolState;
  adapter: string;
  /** Target number of workers (between minWorkers and maxWorkers). */
  size: number;
  /** The elastic bounds (equal for a fixed pool). */
  minWorkers: number;
  maxWorkers: number;
  /** Scale decisions so far (`scaleup` / `scaledown` events). */
  scaleUps: number;
  scaleDowns: number;
  submitted: number;
  queued: number;
  /** Tasks on workers (running or prefetched). submitted = completed + failed + cancelled + running + queued. */
  running: number;
  completed: number;
  failed: number;
  /** Aborted by the caller, or cancelled by destroy()/shutdown. */
  cancelled: number;
  /** Failed because their worker crashed (a subset of failed). */
  crashed: number;
  timedOut: number;
  workersStarted: number;
  /** Worker exits by reason. */
  retirements: Partial<Record<RetireReason, number>>;
  /** Failed tasks by kind of failure (sums to `failed`). */
  failures: Partial<Record<FailureKind, number>>;
  /** Time from submit to dispatch of settled tasks that reached a worker (seconds buckets). */
  waitTime: HistogramSnapshot;
  /** Time from start to settle of those tasks (seconds buckets). */
  runTime: HistogramSnapshot;
  zombies: number;
  workers: WorkerStats[];
}
