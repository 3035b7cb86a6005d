/**
 * Where tasks wait for a worker: the FIFO queue, bounded by `queueSize`, and in front of it the line
 * of submitters waiting for room (`put()`/`submit({ wait })`). Tasks aborted in the queue are not
 * searched for: they are skipped when they come up.
 */
import { Deque } from "./queue.ts";
import { type Task, TaskState } from "./task.ts";

/** A submitter waiting for room in the queue. */
export interface Waiter {
  task: Task;
  /** Called when the task enters the queue. */
  queued?: () => void;
  /** Rejects the submitter's promise instead of the task's (put() settles on admission). */
  rejectPut?: (e: unknown) => void;
}

export class TaskQueue {
  private readonly tasks = new Deque<Task>(64);
  private readonly waiters = new Deque<Waiter>();
  /** Tasks in the queue that are still queued. */
  count = 0;

  constructor(
    private readonly limit: number,
    /** Called for each task that enters the queue for the first time. */
    private readonly onAdmit: (task: Task) => void,
  ) {}

  /** Submitters waiting for room. */
  get waiting(): number {
    return this.waiters.length;
  }

  /** No room for a newcomer: the queue is at its limit, or others wait before it. */
  get full(): boolean {
    return this.count >= this.limit || this.waiters.length > 0;
  }

  admit(task: Task): void {
    task.state = TaskState.Queued;
    this.count++;
    this.tasks.push(task);
    this.onAdmit(task);
  }

  wait(waiter: Waiter): void {
    this.waiters.push(waiter);
  }

  /** Move waiters into the queue while there is room. Returns true if any moved. */
  admitWaiters(): boolean {
    let moved = false;
    while (this.waiters.length > 0 && this.count < this.limit) {
      const w = this.waiters.shift() as Waiter;
      if (w.task.state !== TaskState.Waiting) continue; // aborted while waiting
      this.admit(w.task);
      w.queued?.();
      moved = true;
    }
    return moved;
  }

  /** The next queued task, leaving the queue. */
  next(): Task | undefined {
    while (this.count > 0) {
      const task = this.tasks.shift() as Task;
      if (task.state !== TaskState.Queued) continue; // aborted in the queue
      this.count--;
      return task;
    }
    return undefined;
  }

  /** A queued task was aborted: it stays in the deque until it comes up, but no longer counts. */
  removed(): void {
    this.count--;
  }

  /** A task back from a worker goes to the front. */
  putBack(task: Task): void {
    task.state = TaskState.Queued;
    this.count++;
    this.tasks.unshift(task);
  }

  /** Every task still queued, leaving the queue. */
  drain(): Task[] {
    const out: Task[] = [];
    for (const task of this.tasks.drain()) if (task.state === TaskState.Queued) out.push(task);
    this.count = 0;
    return out;
  }

  /** Refuse every waiting submitter with `error`; `release` undoes the task's abort listener. */
  refuseWaiters(error: unknown, release: (task: Task) => void): void {
    for (const w of this.waiters.drain()) {
      if (w.task.state !== TaskState.Waiting) continue;
      w.task.state = TaskState.Done;
      release(w.task);
      (w.rejectPut ?? w.task.reject)?.(error);
    }
  }
}
