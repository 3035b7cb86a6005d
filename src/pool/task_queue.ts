/**
 * Where tasks wait for a worker: one FIFO per priority level, together bounded by `queueSize`,
 * and in front of them the line of submitters waiting for room (`put()`/`submit({ wait })`).
 * The lowest priority number runs first (as `nice`); every operation is O(1) in the number of
 * tasks (a scan over at most PRIORITY_LEVELS levels when one empties). Tasks aborted in the
 * queue are not searched for: they are skipped when they come up.
 */
import { Deque } from "../util/deque.ts";
import { type Task, TaskState } from "./task.ts";

/** A submitter waiting for room in the queue. */
export interface Waiter {
  task: Task;
  /** Called when the task enters the queue. */
  queued?: () => void;
  /** Rejects the submitter's promise instead of the task's (put() settles on admission). */
  rejectPut?: (e: unknown) => void;
}

/** Task priorities: integers from -20 (first) to 19 (last); 0 by default. */
export const PRIORITY_MIN = -20;
export const PRIORITY_MAX = 19;
const PRIORITY_LEVELS = PRIORITY_MAX - PRIORITY_MIN + 1;
const DEFAULT_LEVEL = -PRIORITY_MIN;

export class TaskQueue {
  /** One deque per level (index: priority - PRIORITY_MIN), made when first used. */
  private readonly levels: (Deque<Task> | undefined)[] = new Array(PRIORITY_LEVELS);
  /** Queued (not aborted) tasks per level. */
  private readonly live = new Array<number>(PRIORITY_LEVELS).fill(0);
  /** No level below this one has a queued task. */
  private first = PRIORITY_LEVELS;
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
    this.level(task).push(task);
    this.onAdmit(task);
  }

  /** The deque of the task's level, counting the task in. */
  private level(task: Task): Deque<Task> {
    const i = task.priority - PRIORITY_MIN;
    this.live[i] = (this.live[i] as number) + 1;
    if (i < this.first) this.first = i;
    let deque = this.levels[i];
    if (deque === undefined) {
      deque = new Deque<Task>(i === DEFAULT_LEVEL ? 64 : 16);
      this.levels[i] = deque;
    }
    return deque;
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
      const i = this.first;
      const deque = this.levels[i] as Deque<Task>;
      if (this.live[i] === 0) {
        deque.drain(); // only aborted tasks are left on this level
        this.first = this.nextLevel(i + 1);
        continue;
      }
      const task = deque.shift() as Task;
      if (task.state !== TaskState.Queued) continue; // aborted in the queue
      this.count--;
      this.live[i] = (this.live[i] as number) - 1;
      return task;
    }
    return undefined;
  }

  private nextLevel(from: number): number {
    for (let i = from; i < PRIORITY_LEVELS; i++) if ((this.live[i] as number) > 0) return i;
    return PRIORITY_LEVELS;
  }

  /** A queued task was aborted: it stays in its deque until it comes up, but no longer counts. */
  removed(task: Task): void {
    this.count--;
    const i = task.priority - PRIORITY_MIN;
    this.live[i] = (this.live[i] as number) - 1;
  }

  /** A task back from a worker goes to the front of its level. */
  putBack(task: Task): void {
    task.state = TaskState.Queued;
    this.count++;
    this.level(task).unshift(task);
  }

  /** Every task still queued, leaving the queue (in the order they would have run). */
  drain(): Task[] {
    const out: Task[] = [];
    for (let i = 0; i < PRIORITY_LEVELS; i++) {
      const deque = this.levels[i];
      if (deque === undefined) continue;
      for (const task of deque.drain()) if (task.state === TaskState.Queued) out.push(task);
      this.live[i] = 0;
    }
    this.first = PRIORITY_LEVELS;
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
