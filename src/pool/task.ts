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

/**
 * What only some tasks need (a requeue, a deadline past its soft one, an abort, a transfer, a
 * progress callback): kept off the Task itself, made on the first write of one of them. A flood
 * holds every Task alive at once, and each field of its own is 8 bytes the garbage collector
 * copies for each of them.
 */
class TaskExtra {
  requeues = 0;
  timedOut = false;
  hard: Deadline<Task> | undefined = undefined;
  check: Deadline<Task> | undefined = undefined;
  putOff = false;
  abortSent: "timeout" | "abort" | null = null;
  timeoutAborted = false;
  abortListener: (() => void) | undefined = undefined;
  moves: readonly Movable[] | undefined = undefined;
  onProgress: ((value: unknown) => void) | undefined = undefined;
}

export class Task {
  state: TaskState = TaskState.Waiting as TaskState;
  worker: WorkerSlot | null = null;
  /** The worker said it started this task (a `started` report, or its result). */
  started = false;
  clock: Clock = Clock.None;
  /** Its soft deadline in the heap, removed when it settles or leaves its worker. */
  soft: Deadline<Task> | undefined = undefined;
  /** Its place among the `run` messages sent to its current worker (1: the first). */
  sendSeq = 0;
  submittedAt: number;
  dispatchedAt = 0;
  startedAt = 0;
  /** Bumped whenever the task's deadlines change, so stale timer entries are ignored. */
  deadlineGen = 0;
  /** Its place in the queue: lower runs first (-20 to 19, default 0). */
  priority = 0;
  /** The rarely needed fields below (see {@link TaskExtra}); undefined while all are at rest. */
  private extra: TaskExtra | undefined = undefined;

  /** The record of the rare fields, made on the first write that is not a reset. */
  private more(): TaskExtra {
    if (this.extra === undefined) this.extra = new TaskExtra();
    return this.extra;
  }

  /** Times it went back to the queue from a worker that died before saying it started it. */
  get requeues(): number {
    return this.extra === undefined ? 0 : this.extra.requeues;
  }
  set requeues(v: number) {
    if (v !== 0 || this.extra !== undefined) this.more().requeues = v;
  }
  /** Its hard deadline passed while its worker was silent and had not said it started it. */
  get timedOut(): boolean {
    return this.extra === undefined ? false : this.extra.timedOut;
  }
  set timedOut(v: boolean) {
    if (v || this.extra !== undefined) this.more().timedOut = v;
  }
  /** Its hard deadline in the heap (soft + killGrace, or killGrace after an abort). */
  get hard(): Deadline<Task> | undefined {
    return this.extra === undefined ? undefined : this.extra.hard;
  }
  set hard(v: Deadline<Task> | undefined) {
    if (v !== undefined || this.extra !== undefined) this.more().hard = v;
  }
  /** A look, without a clock, at whether its worker fell silent while it waited to start. */
  get check(): Deadline<Task> | undefined {
    return this.extra === undefined ? undefined : this.extra.check;
  }
  set check(v: Deadline<Task> | undefined) {
    if (v !== undefined || this.extra !== undefined) this.more().check = v;
  }
  /** Its hard deadline, noticed late by a blocked host, was put off once to read what came meanwhile. */
  get putOff(): boolean {
    return this.extra === undefined ? false : this.extra.putOff;
  }
  set putOff(v: boolean) {
    if (v || this.extra !== undefined) this.more().putOff = v;
  }
  /** A soft timeout or user abort was sent to the worker; the value is why. */
  get abortSent(): "timeout" | "abort" | null {
    return this.extra === undefined ? null : this.extra.abortSent;
  }
  set abortSent(v: "timeout" | "abort" | null) {
    if (v !== null || this.extra !== undefined) this.more().abortSent = v;
  }
  /**
   * A timeout's abort went to its current worker. It acts only if the task runs when the worker
   * reads it, which the pool may learn after the task's hard deadline let it wait unstarted: an
   * error with the abort's reason is then still the timeout's.
   */
  get timeoutAborted(): boolean {
    return this.extra === undefined ? false : this.extra.timeoutAborted;
  }
  set timeoutAborted(v: boolean) {
    if (v || this.extra !== undefined) this.more().timeoutAborted = v;
  }
  get abortListener(): (() => void) | undefined {
    return this.extra === undefined ? undefined : this.extra.abortListener;
  }
  set abortListener(v: (() => void) | undefined) {
    if (v !== undefined || this.extra !== undefined) this.more().abortListener = v;
  }
  /** What its input moves to the worker (`transfer` of submit), on adapters that move. */
  get moves(): readonly Movable[] | undefined {
    return this.extra === undefined ? undefined : this.extra.moves;
  }
  set moves(v: readonly Movable[] | undefined) {
    if (v !== undefined || this.extra !== undefined) this.more().moves = v;
  }
  /** `onProgress` of its submit: called with each progress report while it runs. */
  get onProgress(): ((value: unknown) => void) | undefined {
    return this.extra === undefined ? undefined : this.extra.onProgress;
  }
  set onProgress(v: ((value: unknown) => void) | undefined) {
    if (v !== undefined || this.extra !== undefined) this.more().onProgress = v;
  }

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
