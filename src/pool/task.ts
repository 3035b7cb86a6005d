/** One submitted task, as the pool tracks it. A class (not closures) to keep the hot path lean. */

import type { Movable } from "../transfer.ts";
import type { Deadline } from "./deadlines.ts";
import type { Outcome } from "./outcome.ts";
import type { WorkerSlot } from "./worker_slot.ts";

/** Waiting: for room in the queue. Sent: on a worker (running or prefetched there). */
export const TaskState = { Waiting: 0, Queued: 1, Sent: 2, Done: 3 } as const;
export type TaskState = (typeof TaskState)[keyof typeof TaskState];

/**
 * Where a sent task's timeout clock counts from. None: not started as far as the pool knows.
 * Inferred: the worker had room for it, so it has probably started (a safety net for a long
 * synchronous task whose start report is stuck behind it); never used to decide an outcome.
 * Exact: the worker said it started.
 */
export const Clock = { None: 0, Inferred: 1, Exact: 2 } as const;
export type Clock = (typeof Clock)[keyof typeof Clock];

/** Times a task may go back to the queue from a worker that died while it may have run. */
export const MAX_REQUEUES = 3;

export class Task {
  state: TaskState = TaskState.Waiting as TaskState;
  worker: WorkerSlot | null = null;
  /** The worker said it started this task (a `started` report, or its result). */
  started = false;
  clock: Clock = Clock.None;
  /** Times it went back to the queue from a worker that died before saying it started it. */
  requeues = 0;
  /** Its hard deadline passed while its worker was silent and had not said it started it. */
  timedOut = false;
  /** Its soft and hard deadlines in the heap, removed when it settles or leaves its worker. */
  soft: Deadline<Task> | undefined;
  hard: Deadline<Task> | undefined;
  /** A look, without a clock, at whether its worker fell silent while it waited to start. */
  check: Deadline<Task> | undefined;
  /** Its hard deadline, noticed late by a blocked host, was put off once to read what came meanwhile. */
  putOff = false;
  /** Its place among the `run` messages sent to its current worker (1: the first). */
  sendSeq = 0;
  submittedAt: number;
  dispatchedAt = 0;
  startedAt = 0;
  /** A soft timeout or user abort was sent to the worker; the value is why. */
  abortSent: "timeout" | "abort" | null = null;
  /**
   * A timeout's abort went to its current worker. It acts only if the task runs when the worker
   * reads it, which the pool may learn after the task's hard deadline let it wait unstarted: an
   * error with the abort's reason is then still the timeout's.
   */
  timeoutAborted = false;
  /** Bumped whenever the task's deadlines change, so stale timer entries are ignored. */
  deadlineGen = 0;
  abortListener: (() => void) | undefined;
  /** What its input moves to the worker (`transfer` of submit), on adapters that move. */
  moves: readonly Movable[] | undefined;
  /** Its place in the queue: lower runs first (-20 to 19, default 0). */
  priority = 0;
  /** `onProgress` of its submit: called with each progress report while it runs. */
  onProgress: ((value: unknown) => void) | undefined;

  constructor(
    readonly id: number,
    readonly name: string | null,
    /** Replaced when a worker hands a moved input back (its buffers came back with it). */
    public input: unknown,
    readonly timeout: number,
    readonly signal: AbortSignal | undefined,
    readonly resolve: ((value: unknown) => void) | undefined,
    readonly reject: ((error: unknown) => void) | undefined,
    now: number,
  ) {
    this.submittedAt = now;
  }

  /** What the pool reports for this task, settled at time `t`. */
  outcome(ok: boolean, value: unknown, t: number): Outcome {
    const dispatched = this.dispatchedAt > 0;
    const base = {
      taskId: this.id,
      name: this.name,
      input: this.input,
      workerId: this.worker?.id ?? null,
      queuedMs: dispatched ? this.dispatchedAt - this.submittedAt : t - this.submittedAt,
      runMs: dispatched ? t - (this.startedAt || this.dispatchedAt) : 0,
    };
    return ok ? { ...base, status: "ok", value } : { ...base, status: "error", error: value };
  }
}
