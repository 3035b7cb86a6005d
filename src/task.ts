/** One submitted task, as the pool tracks it. A class (not closures) to keep the hot path lean. */
import type { Outcome } from "./outcome.ts";
import type { WorkerSlot } from "./worker_slot.ts";

/** Waiting: for room in the queue. Sent: on a worker (running or prefetched there). */
export const TaskState = { Waiting: 0, Queued: 1, Sent: 2, Done: 3 } as const;
export type TaskState = (typeof TaskState)[keyof typeof TaskState];

export class Task {
  state: TaskState = TaskState.Waiting as TaskState;
  worker: WorkerSlot | null = null;
  /** Parent's view: the worker has started it (it is among the worker's first `concurrency`). */
  running = false;
  submittedAt: number;
  dispatchedAt = 0;
  startedAt = 0;
  /** A soft timeout or user abort was sent to the worker; the value is why. */
  abortSent: "timeout" | "abort" | null = null;
  /** Bumped whenever the task's deadlines change, so stale timer entries are ignored. */
  deadlineGen = 0;
  abortListener: (() => void) | undefined;

  constructor(
    readonly id: number,
    readonly name: string | null,
    readonly input: unknown,
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
