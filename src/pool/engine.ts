/**
 * The pool engine: the task side. Queue, dispatch, the one place a task settles, what becomes of
 * a worker's tasks when it is gone, close and destroy. What each of a worker's task messages
 * does to its tasks is in task_messages.ts, timeout clocks and deadlines in task_clocks.ts, work
 * stealing in work_stealing.ts; the worker set, its lifecycle and supervision in
 * {@link Supervisor}. Nothing here touches a runtime API.
 */
import { type Adapter, loadAdapter, type WorkerExit } from "../adapter.ts";
import {
  PoolClosedError,
  PoolUnavailableError,
  QueueFullError,
  SerializationError,
  TaskTimeoutError,
  WorkerStartError,
} from "../errors.ts";
import type { FromWorker, ToWorker } from "../protocol.ts";
import type { Movable } from "../transfer.ts";
import { toWireError } from "../wire_error.ts";
import { CloseDeadline } from "./close_deadline.ts";
import { Counters, type SettleKind } from "./counters.ts";
import { DispatchWindow } from "./dispatch_window.ts";
import { runningTaskOutcome } from "./exit_outcome.ts";
import type { ResolvedOptions } from "./options.ts";
import type { Outcome } from "./outcome.ts";
import { ResultsChannel } from "./results.ts";
import type { PoolState, PoolStats } from "./stats.ts";
import { Supervisor, type SupervisorHost } from "./supervisor.ts";
import { Clock, MAX_REQUEUES, Task, TaskState } from "./task.ts";
import { TaskClocks } from "./task_clocks.ts";
import { onTaskMessages, type TaskMessagesHost } from "./task_messages.ts";
import { TaskQueue } from "./task_queue.ts";
import { stealFrom } from "./work_stealing.ts";
import { finalized, stopSent } from "./worker_lifecycle.ts";
import type { WorkerSlot } from "./worker_slot.ts";

/**
 * The clock, looked up once: on Node the global `performance` is an accessor, and reading it
 * costs a getter call on every `performance.now()` of the hot path.
 */
const clock = performance;
const now = (): number => clock.now();

type Emit = import("./events.ts").PoolEmit;

export class PoolEngine implements SupervisorHost {
  /** The adapter's channel moves transfer lists (threads, Web Workers); otherwise inputs are copied. */
  private adapterMoves = false;
  state: PoolState = "idle";
  readonly results = new ResultsChannel<Outcome>();
  private readonly queue: TaskQueue;
  private readonly clocks: TaskClocks;
  private readonly messages: TaskMessagesHost;
  readonly workers: Supervisor;
  private nextTaskId = 0;
  private startPromise: Promise<void> | undefined;
  /** close() or destroy() was called: no new task is taken, even while the pool still starts. */
  private closeRequested = false;
  private idleWaiters: (() => void)[] = [];
  private readonly window: DispatchWindow;
  /** Work arrived since the last "drain". */
  private busy = false;
  private inFlight = 0;
  private readonly counters = new Counters();
  private readonly closeDeadline = new CloseDeadline();
  /** Why the pool failed: what every task it can no longer run settles with. */
  private unavailable: PoolUnavailableError | undefined;

  constructor(
    readonly opts: ResolvedOptions,
    readonly emit: Emit,
  ) {
    this.workers = new Supervisor(opts, this);
    this.window = new DispatchWindow(opts.concurrency, opts.prefetch);
    this.queue = new TaskQueue(opts.queueSize, () => {
      this.busy = true;
      this.counters.submitted++;
    });
    this.clocks = new TaskClocks(opts, {
      settle: (task, ok, value, kind) => this.settle(task, ok, value, kind),
      send: (slot, msg) => this.send(slot, msg),
      workers: this.workers,
    });
    this.messages = {
      clocks: this.clocks,
      workers: this.workers,
      settle: (task, ok, value, kind, fromWorker) => this.settle(task, ok, value, kind, fromWorker),
      requeue: (tasks) => this.requeue(tasks),
      progress: (task, slot, value) => this.progress(task, slot, value),
    };
  }

  // ---------------------------------------------------------------- start

  start(): Promise<void> {
    this.startPromise ??= this.doStart();
    return this.startPromise;
  }

  private async doStart(): Promise<void> {
    if (this.state !== "idle") {
      throw this.state === "failed" ? new PoolUnavailableError() : new PoolClosedError();
    }
    this.state = "starting";
    let adapter: Adapter;
    try {
      const a = this.opts.adapter;
      adapter = typeof a === "string" ? (await loadAdapter(a))(this.opts) : a;
    } catch (cause) {
      const err = new WorkerStartError(`could not load adapter: ${(cause as Error)?.message ?? cause}`, { cause });
      this.fail(err);
      throw err;
    }
    if (this.state !== "starting") throw new PoolClosedError();
    this.adapterMoves = adapter.transfers === true;
    await this.workers.begin(adapter);
  }

  /** The first workers ran init (the supervisor tells). */
  onStarted(): void {
    this.state = "running";
  }

  // ---------------------------------------------------------------- submit

  /** Make a task, or reject at once (closed, failed, already aborted). */
  createTask(
    input: unknown,
    options:
      | {
          signal?: AbortSignal;
          name?: string;
          timeout?: number;
          priority?: number;
          onProgress?: (value: unknown) => void;
          transfer?: readonly Movable[];
        }
      | undefined,
    resolve: ((v: unknown) => void) | undefined,
    reject: ((e: unknown) => void) | undefined,
    rejectPut?: (e: unknown) => void,
  ): Task | undefined {
    const refuse = reject ?? rejectPut;
    if (this.closeRequested || this.state === "closing" || this.state === "closed") {
      refuse?.(new PoolClosedError());
      return undefined;
    }
    if (this.state === "failed") {
      refuse?.(new PoolUnavailableError());
      return undefined;
    }
    const signal = options?.signal;
    if (signal?.aborted) {
      refuse?.(signal.reason);
      return undefined;
    }
    if (this.state === "idle") this.start().catch(() => {});
    const task = new Task(
      ++this.nextTaskId,
      options?.name ?? null,
      input,
      options?.timeout ?? this.opts.taskTimeout,
      signal,
      resolve,
      reject,
      now(),
    );
    if (options?.onProgress !== undefined) task.onProgress = options.onProgress;
    if (options?.priority !== undefined) task.priority = options.priority;
    if (options?.transfer !== undefined && options.transfer.length > 0) task.moves = [...options.transfer];
    return task;
  }

  enqueue(task: Task, wait: boolean, queued?: () => void, rejectPut?: (e: unknown) => void): void {
    if (task.signal) {
      const signal = task.signal;
      task.abortListener = () => this.onAbort(task, signal.reason, rejectPut);
      signal.addEventListener("abort", task.abortListener, { once: true });
    }
    if (this.queue.full) {
      if (!wait) {
        this.unlisten(task);
        (rejectPut ?? task.reject)?.(new QueueFullError());
        return;
      }
      this.queue.wait({ task, queued, rejectPut });
      return;
    }
    this.queue.admit(task);
    queued?.();
    this.pump();
  }

  /** Tasks in the queue (the supervisor asks while closing). */
  get queuedCount(): number {
    return this.queue.count;
  }

  private onAbort(task: Task, reason: unknown, rejectPut?: (e: unknown) => void): void {
    switch (task.state) {
      case TaskState.Waiting:
        task.state = TaskState.Done;
        (rejectPut ?? task.reject)?.(reason);
        return;
      case TaskState.Queued:
        this.queue.removed(task);
        this.settle(task, false, reason, "cancelled");
        this.pump();
        return;
      case TaskState.Sent:
        if (task.abortSent === "abort") return;
        // A user abort overrides a pending soft timeout: the task ends as cancelled.
        task.abortSent = "abort";
        this.send(task.worker as WorkerSlot, { t: "abort", id: task.id, reason: toWireError(reason) });
        this.clocks.aborted(task);
    }
  }

  private readonly unlisten = (task: Task): void => {
    if (task.abortListener) {
      task.signal?.removeEventListener("abort", task.abortListener);
      task.abortListener = undefined;
    }
  };

  // ---------------------------------------------------------------- dispatch

  defaultWindow(): number {
    return Math.max(64, this.workers.size * (this.opts.concurrency + 16) * 2);
  }

  private pickWorker(limit: number): WorkerSlot | undefined {
    let best: WorkerSlot | undefined;
    for (const slot of this.workers.slots) {
      if (!slot.accepting || slot.outstanding.size >= limit) continue;
      if (slot.stuck && slot.outstanding.size >= this.opts.concurrency) continue;
      if (!best || slot.outstanding.size < best.outstanding.size) best = slot;
    }
    return best;
  }

  pump(): void {
    const limit = this.window.limit();
    for (;;) {
      while (this.queue.count > 0) {
        const slot = this.pickWorker(limit);
        if (!slot) break;
        const task = this.queue.next();
        if (task) this.dispatch(slot, task);
      }
      if (!this.queue.admitWaiters() || !this.pickWorker(limit)) break;
    }
    if (this.queue.count > 0) this.workers.elastic.pressure(this.queue.count);
    this.checkIdle();
  }

  private dispatch(slot: WorkerSlot, task: Task): void {
    task.state = TaskState.Sent;
    task.worker = slot;
    task.dispatchedAt = now();
    slot.outstanding.set(task.id, task);
    slot.tasksSent++;
    task.sendSeq = slot.tasksSent;
    this.inFlight++;
    // Inputs move only where the channel moves memory; elsewhere they are copied as always.
    if (task.moves === undefined || !this.adapterMoves) {
      this.send(slot, { t: "run", id: task.id, name: task.name, input: task.input });
    } else this.send(slot, { t: "run", id: task.id, name: task.name, input: task.input, moved: 1 }, task.moves);
    // A free lane goes to the first task in send order without a clock, which may be an earlier
    // one waiting for its start report: never to a task the worker cannot have started yet.
    this.clocks.promote(slot, task.dispatchedAt);
    if (slot.taskLimit !== Number.POSITIVE_INFINITY) {
      if (slot.tasksSent >= slot.taskLimit) this.workers.planRetire(slot, "maxTasks", false);
      else if (slot.replacement === null && slot.tasksSent >= slot.taskLimit - this.workers.leadTasks(slot)) {
        this.workers.prewarm(slot);
      }
    }
  }

  /** The task leaves its worker's books (settled or re-queued): its clock and deadlines go. */
  private leaveWorker(task: Task, slot: WorkerSlot): void {
    slot.outstanding.delete(task.id);
    this.inFlight--;
    this.clocks.leave(task, slot);
  }

  /** A running task's progress: its own callback, then the pool's `progress` event. */
  private progress(task: Task, slot: WorkerSlot, value: unknown): void {
    if (task.onProgress !== undefined) {
      try {
        task.onProgress(value);
      } catch (error) {
        this.emit("error", { error, taskId: task.id }); // a callback's throw never reaches the pool
      }
    }
    this.emit("progress", { taskId: task.id, workerId: slot.id, value });
  }

  send(slot: WorkerSlot, msg: ToWorker, moves?: readonly Movable[]): void {
    slot.outbox.push(msg);
    if (moves !== undefined) {
      slot.outboxMoves ??= new Map();
      slot.outboxMoves.set(msg, moves);
    }
    if (!slot.flushQueued) {
      slot.flushQueued = true;
      queueMicrotask(() => this.flush(slot));
    }
  }

  private flush(slot: WorkerSlot): void {
    const unsendable = slot.flushOutbox();
    if (unsendable.length === 0) return;
    // only the tasks whose input the channel cannot carry fail
    for (const { id, cause } of unsendable) {
      const task = slot.outstanding.get(id);
      if (!task) continue;
      const detail = (cause as Error)?.message ?? String(cause);
      this.settle(
        task,
        false,
        new SerializationError(`the task's input cannot be sent to the worker: ${detail}`, { cause }),
        "failed",
      );
    }
    this.pump();
  }

  // ---------------------------------------------------------------- settle

  /** The one place a task settles. Later calls for the same task do nothing. */
  private settle(task: Task, ok: boolean, value: unknown, kind: SettleKind, fromWorker = false): void {
    if (task.state === TaskState.Done) return;
    const t = now();
    const slot = task.worker;
    if (task.state === TaskState.Sent && slot) {
      if (task.clock !== Clock.None && task.started) this.window.observe(t - task.startedAt);
      this.leaveWorker(task, slot);
      slot.tasksDone++;
      slot.stuck = false; // it makes progress
      if (!slot.gone) {
        // The worker may still answer for a task the pool settled without its word.
        if (!fromWorker) slot.late.add(task.id);
        this.clocks.promote(slot);
        // Only a stopping worker has a stop timer to arm. Checked here so that the first time a
        // serving worker runs empty (a pool going idle) adds no new call to this hot, optimized
        // path: V8 would throw the optimized code away and compile it again.
        if (slot.outstanding.size === 0 && stopSent(slot.life)) this.workers.armStopTimer(slot);
      }
    } else this.clocks.drop(task); // leaveWorker dropped the deadlines of a task on a worker
    task.state = TaskState.Done;
    task.deadlineGen++;
    this.unlisten(task);
    if (kind === "completed") this.workers.restart.succeeded();
    const dispatched = task.dispatchedAt > 0;
    this.counters.settled(
      kind,
      value,
      dispatched ? task.dispatchedAt - task.submittedAt : -1,
      dispatched ? t - (task.startedAt || task.dispatchedAt) : -1,
    );
    if (ok) task.resolve?.(value);
    else task.reject?.(value);
    this.deliver(task, ok, value, t);
  }

  private deliver(task: Task, ok: boolean, value: unknown, t: number): void {
    const collector = this.opts.collector;
    const toResults = this.results.subscribers > 0 || (task.resolve === undefined && !collector);
    if (!collector && !toResults) return;
    const outcome = task.outcome(ok, value, t);
    if (collector) {
      try {
        collector(outcome as Outcome<never, never>);
      } catch (error) {
        this.emit("error", { error, taskId: task.id });
      }
    }
    if (toResults) this.results.push(outcome);
  }

  /**
   * Tasks leave their worker unfinished and go back to the front of the queue, in order. A task
   * whose signal was aborted meanwhile settles as cancelled instead (it must not run again), and
   * a pool that failed settles them as unavailable (no worker will take them).
   */
  private requeue(tasks: Task[]): void {
    for (let i = tasks.length - 1; i >= 0; i--) {
      const task = tasks[i] as Task;
      if (task.state !== TaskState.Sent) continue;
      const slot = task.worker as WorkerSlot;
      this.leaveWorker(task, slot);
      task.state = TaskState.Queued;
      task.worker = null;
      task.started = false;
      task.clock = Clock.None;
      task.dispatchedAt = 0;
      task.startedAt = 0;
      task.abortSent = null;
      task.putOff = false;
      task.timeoutAborted = false;
      task.deadlineGen++;
      if (task.signal?.aborted) {
        this.settle(task, false, task.signal.reason, "cancelled");
      } else if (this.state === "failed") {
        this.settle(task, false, this.unavailable ?? new PoolUnavailableError(), "failed");
      } else {
        this.queue.putBack(task);
      }
    }
  }

  // ---------------------------------------------------------------- workers

  /** A worker's task messages, in order (task_messages.ts says what each does to its tasks). */
  onTaskMessages(slot: WorkerSlot, msgs: FromWorker[]): void {
    onTaskMessages(this.messages, slot, msgs);
  }

  /** Workers may take tasks (the supervisor tells, after a batch or an exit). */
  onCapacity(): void {
    this.pump();
  }

  /** Each supervision tick: work stealing (see work_stealing.ts). */
  stealCheck(): void {
    if (this.state !== "running" && this.state !== "closing") return;
    for (const slot of stealFrom(this.workers.slots, this.opts.concurrency, this.window.runMs, now())) {
      slot.stuck = true; // no prefetch for it until one of its tasks settles
      slot.stealSent = true;
      this.send(slot, { t: "returnUnstarted" });
    }
  }

  /**
   * The worker is gone (the supervisor tells, before it reports the exit). Tasks on the worker:
   * those it said it started fail, the others go back to the queue.
   */
  onWorkerGone(slot: WorkerSlot, exit: WorkerExit): void {
    const done = finalized(slot.life);
    // Tasks on the worker: those it said it started fail, the others go back to the queue. A
    // worker that finalized had finished or handed back every task it received: whatever is
    // still outstanding never reached it.
    const back: Task[] = [];
    const started: Task[] = [];
    for (const task of slot.outstanding.values()) (task.started && !done ? started : back).push(task);
    for (const task of started) {
      // Killed for its own timeout before its start report came (a synchronous task blocks the
      // flush): the report arrived with the exit, and the outcome is still its timeout.
      if (task.timedOut) {
        this.settle(task, false, new TaskTimeoutError(task.timeout), "timeout");
        continue;
      }
      const { error, kind } = runningTaskOutcome(slot.id, slot.life, exit);
      this.settle(task, false, error, kind);
    }
    if (!done) {
      // It may have run without a word (its start report and result lost with the worker):
      // bounded, so a task that kills every worker it reaches cannot circle for ever.
      for (const task of back) {
        if (++task.requeues <= MAX_REQUEUES) continue;
        if (task.timedOut) this.settle(task, false, new TaskTimeoutError(task.timeout), "timeout");
        else {
          const { error, kind } = runningTaskOutcome(slot.id, slot.life, exit);
          this.settle(task, false, error, kind);
        }
      }
    }
    this.requeue(back);
  }

  /** The pool cannot run tasks any more: reject what waits, stop restarting. */
  fail(error: Error): void {
    if (this.state === "failed" || this.state === "closed") return;
    this.state = "failed";
    this.workers.cancelSpawns();
    const unavailable =
      error instanceof PoolUnavailableError ? error : new PoolUnavailableError(error.message, { cause: error });
    this.unavailable = unavailable;
    this.queue.refuseWaiters(unavailable, this.unlisten);
    for (const task of this.queue.drain()) this.settle(task, false, unavailable, "failed");
    this.emit("failed", { error: unavailable });
    for (const slot of this.workers.slots) if (slot.life.phase === "starting") this.workers.kill(slot, "start");
    this.checkIdle();
  }

  resize(workers: number): void {
    this.workers.resize(workers);
    this.pump();
  }

  recycle(workerId: number): boolean {
    return this.workers.recycle(workerId);
  }

  // ---------------------------------------------------------------- close / destroy

  /** When nothing is queued, waiting or running: emit "drain" (once per busy spell), wake close(). */
  private checkIdle(): void {
    if (this.queue.count !== 0 || this.inFlight !== 0 || this.queue.waiting !== 0) return;
    if (this.busy) {
      this.busy = false;
      this.emit("drain", { submitted: this.counters.submitted });
    }
    for (const w of this.idleWaiters.splice(0)) w();
  }

  private whenIdle(): Promise<void> {
    return new Promise((resolve) => {
      this.idleWaiters.push(resolve);
      this.checkIdle();
    });
  }

  async close(timeout: number | undefined, destroy: () => Promise<void>): Promise<void> {
    if (this.state === "idle") {
      this.state = "closed";
      this.results.end();
      return;
    }
    this.closeRequested = true;
    this.queue.refuseWaiters(new PoolClosedError(), this.unlisten);
    const deadline = this.closeDeadline.reached();
    this.tightenClose(timeout);
    const race = <T>(p: Promise<T>): Promise<T | "timeout"> => Promise.race([p, deadline]);
    try {
      if (this.state === "starting" && (await race(this.start().catch(() => {}))) === "timeout") return destroy();
      if ((this.state as PoolState) === "closed") return this.workers.whenEmpty();
      if (this.state !== "failed") this.state = "closing";
      if ((await race(this.whenIdle())) === "timeout") return destroy();
      if ((this.state as PoolState) !== "closed") {
        this.workers.stopAll();
      }
      if ((await race(this.workers.whenEmpty())) === "timeout") return destroy();
    } finally {
      this.closeDeadline.disarm();
    }
    this.finish();
  }

  /**
   * Give a pending close() a deadline `timeout` ms from now, if that is sooner than the one it
   * has (Infinity or undefined: none). At the deadline the pool is destroyed.
   */
  tightenClose(timeout: number | undefined): void {
    this.closeDeadline.tighten(timeout);
  }

  async destroy(): Promise<void> {
    this.closeRequested = true;
    if (this.state === "idle") {
      this.state = "closed";
      this.results.end();
      return;
    }
    this.state = "closed";
    this.workers.cancelSpawns();
    const closed = new PoolClosedError("the pool was destroyed");
    this.queue.refuseWaiters(closed, this.unlisten);
    for (const task of this.queue.drain()) this.settle(task, false, closed, "cancelled");
    for (const slot of this.workers.slots) {
      for (const task of [...slot.outstanding.values()]) this.settle(task, false, closed, "cancelled");
      this.workers.kill(slot, "destroy");
    }
    this.workers.abortStart(closed);
    this.checkIdle();
    await this.workers.whenEmpty();
    this.finish();
  }

  private finish(): void {
    if (this.state !== "failed") this.state = "closed";
    this.workers.end();
    this.clocks.clear();
    this.results.end();
  }

  // ---------------------------------------------------------------- stats

  stats(): PoolStats {
    const t = now();
    return {
      state: this.state,
      adapter:
        this.workers.adapter?.name ??
        (typeof this.opts.adapter === "string" ? this.opts.adapter : this.opts.adapter.name),
      size: this.workers.size,
      minWorkers: this.workers.elastic.minWorkers,
      maxWorkers: this.workers.elastic.maxWorkers,
      scaleUps: this.workers.elastic.scaleUps,
      scaleDowns: this.workers.elastic.scaleDowns,
      ...this.counters.snapshot(),
      queued: this.queue.count,
      running: this.inFlight,
      workersStarted: this.workers.workersStarted,
      retirements: { ...this.workers.retirements },
      zombies: this.workers.zombies,
      workers: [...this.workers.slots].map((s) => s.info(t)),
    };
  }
}
