/**
 * Events a Pool dispatches, typed by {@link PoolEventMap} (the DOM's `WindowEventMap` idiom):
 * `pool.addEventListener("workerexit", (e) => e.detail.reason)` knows `e` is a
 * `PoolEvent<WorkerExitDetail>`.
 */
import type { PoolUnavailableError } from "../errors.ts";

/** An event of a Pool. `detail` carries the data, as with CustomEvent. */
export class PoolEvent<T = unknown> extends Event {
  /** What the event reports (see {@link PoolEventMap} for each type's detail). */
  readonly detail: T;
  /** An event of type `type` carrying `detail`. */
  constructor(type: string, detail: T) {
    super(type);
    this.detail = detail;
  }
}

/** Why a worker stopped: planned retirements, kills, and crashes. */
export type RetireReason =
  | "maxTasks"
  | "maxAge"
  | "maxAgeHard"
  | "memory"
  | "gracefulDie"
  | "timeout"
  | "abort"
  | "heartbeat"
  | "channel"
  | "crash"
  | "start"
  | "recycle"
  | "resize"
  | "idle"
  | "close"
  | "destroy";

/** A worker ran `init` and takes tasks (`workerstart` event). */
export interface WorkerStartDetail {
  /** The pool's id of the worker (1, 2, …; never reused). */
  workerId: number;
  /** Its process id (process adapters), else null. */
  pid: number | null;
  /** Its thread id (thread adapters, when the runtime has one), else null. */
  threadId: number | null;
}

/** A worker ended (`workerexit` event). */
export interface WorkerExitDetail {
  /** The pool's id of the worker. */
  workerId: number;
  /** Its exit code, when known (null after a signal, and on the web). */
  code: number | null;
  /** The signal that ended it, if any. */
  signal: string | null;
  /** Why it stopped. */
  reason: RetireReason;
  /** True for planned retirements and pool shutdown. */
  planned: boolean;
  /** The error that came with the exit (an uncaught error in the worker), if any. */
  error?: unknown;
}

/** A planned retirement began (`workerretire` event). */
export interface WorkerRetireDetail {
  /** The pool's id of the worker. */
  workerId: number;
  /** What retires it. */
  reason: RetireReason;
}

/** Something on a worker's channel that is not an mpms message (`channel` event). */
export interface ChannelDetail {
  /** The pool's id of the worker. */
  workerId: number;
  /**
   * "foreign": ignored (a task's own message on a shared channel); "invalid": the worker was
   * killed; "lost": its beat showed a task neither held nor answered, the worker was killed.
   */
  kind: "foreign" | "invalid" | "lost";
  /** What arrived, truncated. */
  received: string;
}

/** Worker starts are delayed after consecutive failures (`backoff` event). */
export interface BackoffDetail {
  /** Delay before the next worker start (ms). */
  delay: number;
  /** Consecutive failures so far. */
  failures: number;
}

/** A running task's progress report (`progress` event): the `ctx.progress(value)` it sent. */
export interface ProgressDetail {
  /** The task that reported. */
  taskId: number;
  /** The pool's id of the worker running it. */
  workerId: number;
  /** What it passed to `ctx.progress()`. */
  value: unknown;
}

/** A worker the runtime could not stop (a busy Deno thread) or whose exit never came after a kill. */
export interface WorkerZombieDetail {
  /** The pool's id of the worker. */
  workerId: number;
  /** Why it was killed. */
  reason: RetireReason;
}

/** Nothing is queued or running any more (once per busy spell). */
export interface DrainDetail {
  /** Tasks submitted so far. */
  submitted: number;
}

/** The pool failed (crash loop, or a worker that cannot start): no task will run any more. */
export interface FailedDetail {
  /** What every task the pool can no longer run settles with. */
  error: PoolUnavailableError;
}

/**
 * A callback given to the pool threw (the `collector`, or a task's `onProgress`): the task's
 * outcome still counts, the error is reported here.
 */
export interface CallbackErrorDetail {
  /** What the callback threw. */
  error: unknown;
  /** The task it was called for (null: an event listener threw). */
  taskId: number | null;
  /** The event whose listener threw (absent for a task's callback). */
  event?: string;
}

/** The elastic pool changed its target (`scaleup` / `scaledown` events). */
export interface ScaleDetail {
  /** The new target number of workers. */
  workers: number;
  /** `queue`: tasks waited with no free capacity; `idle`: a worker was idle longer than idleTimeout. */
  reason: "queue" | "idle";
}

/** Every event a Pool dispatches, by type. */
export interface PoolEventMap {
  /** A worker ran `init` and takes tasks. */
  workerstart: PoolEvent<WorkerStartDetail>;
  /** A worker ended (planned or not). */
  workerexit: PoolEvent<WorkerExitDetail>;
  /** A planned retirement began (the worker finishes its tasks, then exits). */
  workerretire: PoolEvent<WorkerRetireDetail>;
  /** A worker the runtime could not stop: it is out of capacity and replaced. */
  workerzombie: PoolEvent<WorkerZombieDetail>;
  /** The elastic pool added workers (queue pressure). */
  scaleup: PoolEvent<ScaleDetail>;
  /** The elastic pool retires an idle worker (it finishes its tasks, hands back the rest). */
  scaledown: PoolEvent<ScaleDetail>;
  /** Worker starts are being delayed after consecutive failures. */
  backoff: PoolEvent<BackoffDetail>;
  /** Something on a worker's channel that is not an mpms message. */
  channel: PoolEvent<ChannelDetail>;
  /** The pool has nothing queued or running. */
  drain: PoolEvent<DrainDetail>;
  /** The pool cannot run tasks any more. */
  failed: PoolEvent<FailedDetail>;
  /** A running task reported progress (`ctx.progress(value)`). */
  progress: PoolEvent<ProgressDetail>;
  /** The `collector` or an `onProgress` callback threw. */
  error: PoolEvent<CallbackErrorDetail>;
}

/** The type of an event a Pool dispatches. */
export type PoolEventType = keyof PoolEventMap;

/** The `detail` of the Pool event of type `K`. */
export type PoolEventDetail<K extends PoolEventType> = PoolEventMap[K]["detail"];

/** How the engine reports an event to the Pool (which builds and dispatches it). */
export type PoolEmit = <K extends PoolEventType>(type: K, detail: PoolEventDetail<K>) => void;

/** A listener of the Pool event of type `K`: a function or an object with `handleEvent`. */
export type PoolEventListener<K extends PoolEventType> =
  | ((event: PoolEventMap[K]) => void)
  | { handleEvent(event: PoolEventMap[K]): void };
