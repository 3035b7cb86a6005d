/** Events a Pool dispatches. `detail` carries the data, as with CustomEvent. */

export class PoolEvent<T = unknown> extends Event {
  readonly detail: T;
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
  | "close"
  | "destroy";

export interface WorkerStartDetail {
  workerId: number;
  pid: number | null;
  threadId: number | null;
}

export interface WorkerExitDetail {
  workerId: number;
  code: number | null;
  signal: string | null;
  reason: RetireReason;
  /** True for planned retirements and pool shutdown. */
  planned: boolean;
  error?: unknown;
}

export interface WorkerRetireDetail {
  workerId: number;
  reason: RetireReason;
}

/** Something on a worker's channel that is not an mpms message (`channel` event). */
export interface ChannelDetail {
  workerId: number;
  /**
   * "foreign": ignored (a task's own message on a shared channel); "invalid": the worker was
   * killed; "lost": its beat showed a task neither held nor answered, the worker was killed.
   */
  kind: "foreign" | "invalid" | "lost";
  /** What arrived, truncated. */
  received: string;
}

export interface BackoffDetail {
  /** Delay before the next worker start (ms). */
  delay: number;
  /** Consecutive failures so far. */
  failures: number;
}

/** A running task's progress report (`progress` event): the `ctx.progress(value)` it sent. */
export interface ProgressDetail {
  taskId: number;
  workerId: number;
  value: unknown;
}
