/** Every error mpms produces. Each class has a stable `code` string, `ERR_MPMS_*`. */

/** Base class of all mpms errors. */
export class MpmsError extends Error {
  /** Stable machine-readable code, `ERR_MPMS_*`. */
  readonly code: string;
  /** An error with `message`, `code` and an optional `cause`; its name is its class's. */
  constructor(message: string, code: string, options?: { cause?: unknown }) {
    super(message, options);
    this.code = code;
    this.name = new.target.name;
  }
}

/** The pool is closing or closed: the task was never queued, or was cancelled by `destroy()`. */
export class PoolClosedError extends MpmsError {
  /** An error with `message` (default "the pool is closed"). */
  constructor(message = "the pool is closed") {
    super(message, "ERR_MPMS_POOL_CLOSED");
  }
}

/** The queue was full and the caller chose not to wait (or its wait was aborted). */
export class QueueFullError extends MpmsError {
  /** An error with `message` (default "the task queue is full"). */
  constructor(message = "the task queue is full") {
    super(message, "ERR_MPMS_QUEUE_FULL");
  }
}

/** No worker can run tasks: the pool failed (crash loop) or could not start. */
export class PoolUnavailableError extends MpmsError {
  /** An error with `message` (default "the pool has no workers that can start") and an optional `cause`. */
  constructor(message = "the pool has no workers that can start", options?: { cause?: unknown }) {
    super(message, "ERR_MPMS_POOL_UNAVAILABLE", options);
  }
}

/** Why a worker stopped without being asked to. */
export type CrashReason = "exit" | "error" | "oom" | "unresponsive" | "start" | "channel" | "killed";

/**
 * The worker running the task died: `code` is "ERR_MPMS_WORKER_CRASHED"; `exitCode` and `signal`
 * are those of the exit, when known.
 */
export class WorkerCrashedError extends MpmsError {
  /** The worker's exit code (as in Node's `child.on("exit", (code, signal))`); null when killed by a signal, or unknown. */
  readonly exitCode: number | null;
  /** The signal that ended the worker, if any. */
  readonly signal: string | null;
  /** How it died: "exit", "error" (uncaught), "unresponsive" (heartbeat), "channel", … */
  readonly reason: CrashReason;
  /** The pool's id of the worker. */
  readonly workerId: number;
  /** The message, when left out, says which worker crashed and how. */
  constructor(init: {
    workerId: number;
    exitCode: number | null;
    signal: string | null;
    reason: CrashReason;
    message?: string;
    cause?: unknown;
  }) {
    const how = init.signal
      ? `signal ${init.signal}`
      : init.exitCode !== null
        ? `exit code ${init.exitCode}`
        : init.reason;
    super(init.message ?? `worker ${init.workerId} crashed (${how})`, "ERR_MPMS_WORKER_CRASHED", {
      cause: init.cause,
    });
    this.exitCode = init.exitCode;
    this.signal = init.signal;
    this.reason = init.reason;
    this.workerId = init.workerId;
  }
}

/** The task was still running when its worker was retired by force (hard age, graceful-die timeout). */
export class WorkerRetiredError extends MpmsError {
  /** Why the worker was retired ("maxAgeHard", "gracefulDie", …). */
  readonly reason: string;
  /** The message, when left out, names the reason. */
  constructor(reason: string, message = `worker retired (${reason}) while the task was running`) {
    super(message, "ERR_MPMS_WORKER_RETIRED");
    this.reason = reason;
  }
}

/** The task ran past its timeout plus the kill grace; its worker was killed. */
export class TaskTimeoutError extends MpmsError {
  /** The timeout (ms) the task ran past. */
  readonly timeout: number;
  /** An error whose message names `timeout` (ms). */
  constructor(timeout: number) {
    super(`task timed out after ${timeout} ms`, "ERR_MPMS_TASK_TIMEOUT");
    this.timeout = timeout;
  }
}

/** A worker could not start: its module failed to load, or `init` threw or timed out. */
export class WorkerStartError extends MpmsError {
  /** An error with `message` and an optional `cause` (what the module or `init` threw). */
  constructor(message: string, options?: { cause?: unknown }) {
    super(message, "ERR_MPMS_WORKER_START", options);
  }
}

/** A value could not cross the worker channel (structured clone or JSON). */
export class SerializationError extends MpmsError {
  /** An error with `message` and an optional `cause` (the runtime's own clone error). */
  constructor(message: string, options?: { cause?: unknown }) {
    super(message, "ERR_MPMS_SERIALIZATION", options);
  }
}

/**
 * What a task threw, rebuilt in the parent. `name`, `message`, `stack` and `cause` are the
 * original's; `code` is "ERR_MPMS_TASK"; the original's own `code` (if any) is `taskCode`, and
 * its other own enumerable properties are in `data`.
 */
export class TaskError extends MpmsError {
  /** The `code` of the error the task threw, if it had one. */
  readonly taskCode: unknown;
  /** The other own enumerable properties of the error the task threw, if any. */
  readonly data: Record<string, unknown> | undefined;
  /** Rebuild a task's error from its parts (as they came over the channel). */
  constructor(init: {
    name: string;
    message: string;
    stack?: string;
    cause?: unknown;
    hasCause?: boolean;
    taskCode?: unknown;
    data?: Record<string, unknown>;
  }) {
    super(init.message, "ERR_MPMS_TASK", init.hasCause ? { cause: init.cause } : undefined);
    this.name = init.name;
    if (init.stack !== undefined) this.stack = init.stack;
    this.taskCode = init.taskCode;
    this.data = init.data;
  }
}

/**
 * Throw this (or an error whose name is listed in `gracefulDie.errors`) from task code to retire
 * the worker: the task still rejects with it, the worker takes no new tasks and is replaced.
 */
export class WorkerGracefulDie extends Error {
  /** An error with `message` (default "worker asked to retire") and an optional `cause`. */
  constructor(message = "worker asked to retire", options?: { cause?: unknown }) {
    super(message, options);
    this.name = "WorkerGracefulDie";
  }
}
