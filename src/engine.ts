/**
 * The pool engine: the task side. Queue, dispatch, deadlines, the one place a task settles, a
 * worker's task messages, and what becomes of its tasks when it is gone. The worker set, its
 * lifecycle and supervision live in {@link Supervisor}. Nothing here touches a runtime API.
 */
import { type Adapter, loadAdapter, type WorkerExit } from "./adapter.ts";
import { Counters, type SettleKind } from "./counters.ts";
import { type Deadline, Deadlines } from "./deadlines.ts";
import { DispatchWindow } from "./dispatch_window.ts";
import {
  PoolClosedError,
  PoolUnavailableError,
  QueueFullError,
  SerializationError,
  TaskTimeoutError,
  WorkerStartError,
} from "./errors.ts";
import { runningTaskOutcome } from "./exit_outcome.ts";
import type { ResolvedOptions } from "./options.ts";
import type { Outcome } from "./outcome.ts";
import type { FromWorker, ToWorker } from "./protocol.ts";
import { ResultsChannel } from "./results.ts";
import type { PoolState, PoolStats } from "./stats.ts";
import { Supervisor, type SupervisorHost } from "./supervisor.ts";
import { Clock, MAX_REQUEUES, Task, TaskState } from "./task.ts";
import { TaskQueue } from "./task_queue.ts";
import { timerDelay } from "./validate.ts";
import { fromWireError, toWireError } from "./wire_error.ts";
import { finalized, mayStart } from "./worker_lifecycle.ts";
import type { WorkerSlot } from "./worker_slot.ts";

const now = (): number => performance.now();

/** Deadline kinds. */
const SOFT = 0; // task timeout: abort ctx.signal
const HARD = 1; // timeout/abort + kill grace: settle, then kill the worker
const CHECK = 2; // an unstarted task waited for its start report: is its worker silent now?
/** A hard deadline the host noticed this late (ms) was due while its event loop was blocked… */
const NOTICED_LATE_MS = 20;
/** …and is judged this long after (ms), once the messages that came meanwhile are read. */
const PUT_OFF_MS = 5;
/** Work stealing takes unstarted tasks from a worker busy this long at least… */
const STEAL_AFTER_MIN_MS = 200;
/** …and this many average run times. */
const STEAL_AFTER_RUNS = 4;

type Emit = (type: string, detail: unknown) => void;

export class PoolEngine implements SupervisorHost {
  state: PoolState = "idle";
  readonly results = new ResultsChannel<Outcome>();
  private readonly queue: TaskQueue;
  private readonly deadlines: Deadlines<Task>;
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
  /** close()'s deadline (performance.now() time; Infinity: none), its timer, and what ends it. */
  private closeAt = Number.POSITIVE_INFINITY;
  private closeTimer: ReturnType<typeof setTimeout> | undefined;
  private closeExpired: (() => void) | undefined;
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
    this.deadlines = new Deadlines(now, (entry) => this.onDeadline(entry));
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
    options: { signal?: AbortSignal; name?: string; timeout?: number } | undefined,
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
    return new Task(
      ++this.nextTaskId,
      options?.name ?? null,
      input,
      options?.timeout ?? this.opts.taskTimeout,
      signal,
      resolve,
      reject,
      now(),
    );
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
        this.queue.removed();
        this.settle(task, false, reason, "cancelled");
        this.pump();
        return;
      case TaskState.Sent:
        if (task.abortSent === "abort") return;
        // A user abort overrides a pending soft timeout: the task ends as cancelled.
        task.abortSent = "abort";
        this.send(task.worker as WorkerSlot, { t: "abort", id: task.id, reason: toWireError(reason) });
        this.deadlines.remove(task.hard);
        task.hard = this.deadlines.add(now() + this.opts.killGrace, task, HARD, task.deadlineGen);
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
    this.send(slot, { t: "run", id: task.id, name: task.name, input: task.input });
    // A free lane goes to the first task in send order without a clock, which may be an earlier
    // one waiting for its start report: never to a task the worker cannot have started yet.
    this.promoteClocks(slot);
    if (slot.taskLimit !== Number.POSITIVE_INFINITY) {
      if (slot.tasksSent >= slot.taskLimit) this.workers.planRetire(slot, "maxTasks", false);
      else if (slot.replacement === null && slot.tasksSent >= slot.taskLimit - this.workers.leadTasks(slot)) {
        this.workers.prewarm(slot);
      }
    }
  }

  /**
   * Start (or confirm) a task's timeout clock. An exact start keeps an inferred clock's time
   * (it is earlier by no more than the channel's latency); a task with no clock starts now.
   */
  private startClock(task: Task, clock: Clock, at: number): void {
    if (task.clock !== Clock.None) {
      if (clock === Clock.Exact) task.clock = Clock.Exact;
      return;
    }
    (task.worker as WorkerSlot).clocked++;
    task.clock = clock;
    task.startedAt = at;
    this.deadlines.remove(task.check);
    task.check = undefined;
    if (task.timeout !== Number.POSITIVE_INFINITY) {
      task.soft = this.deadlines.add(at + task.timeout, task, SOFT, task.deadlineGen);
    }
  }

  /** The task leaves its worker's books (settled or re-queued): its clock and deadlines go. */
  private leaveWorker(task: Task, slot: WorkerSlot): void {
    slot.outstanding.delete(task.id);
    this.inFlight--;
    if (task.clock !== Clock.None) slot.clocked--;
    this.deadlines.remove(task.soft);
    this.deadlines.remove(task.hard);
    this.deadlines.remove(task.check);
    task.soft = undefined;
    task.hard = undefined;
    task.check = undefined;
  }

  /**
   * When a task is sent to or leaves a live worker, the first ones in send order within
   * `concurrency` get an inferred clock: the worker has room for them, so they have probably
   * started (their start report may be stuck behind a long synchronous task). Only for
   * timeouts, never for outcomes.
   */
  private promoteClocks(slot: WorkerSlot): void {
    const limit = this.opts.concurrency;
    if (slot.clocked >= limit || !mayStart(slot.life)) return;
    const t = now();
    for (const task of slot.outstanding.values()) {
      if (slot.clocked >= limit) break;
      if (task.clock === Clock.None) this.startClock(task, Clock.Inferred, t);
    }
  }

  send(slot: WorkerSlot, msg: ToWorker): void {
    slot.outbox.push(msg);
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
        this.promoteClocks(slot);
        if (slot.outstanding.size === 0) this.workers.armStopTimer(slot);
      }
    }
    this.deadlines.remove(task.soft);
    this.deadlines.remove(task.hard);
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

  // ---------------------------------------------------------------- deadlines

  private onDeadline(entry: Deadline<Task>): void {
    const task = entry.item;
    if (task.state !== TaskState.Sent || entry.gen !== task.deadlineGen) return;
    const slot = task.worker as WorkerSlot;
    if (entry.kind === SOFT) {
      task.soft = undefined;
      if (task.abortSent !== null) return;
      task.abortSent = "timeout";
      task.timeoutAborted = true;
      const reason = toWireError(
        Object.assign(new Error(`task timed out after ${task.timeout} ms`), { name: "TimeoutError" }),
      );
      // ifStarted: a task the worker has not started (its clock was inferred) stays queued there.
      this.send(slot, { t: "abort", id: task.id, reason, ifStarted: true });
      task.hard = this.deadlines.add(now() + this.opts.killGrace, task, HARD, task.deadlineGen);
      return;
    }
    if (entry.kind === CHECK) {
      task.check = undefined;
      // A clock since (it started, or got a free lane) or an abort: their deadlines decide.
      if (!task.started && task.clock === Clock.None && task.abortSent === null) this.notStarted(task, slot);
      return;
    }
    task.hard = undefined;
    // Noticed late, the host's event loop was blocked: what the worker said meanwhile (a result,
    // a start) waits behind this timer. Judged once those are read (once: a host that is always
    // late still judges).
    const t = now();
    if (t - entry.at > NOTICED_LATE_MS && !task.putOff) {
      task.putOff = true;
      task.hard = this.deadlines.add(t + PUT_OFF_MS, task, HARD, task.deadlineGen);
      return;
    }
    // HARD: record the outcome first, so it never depends on the kill working.
    if (task.abortSent === "abort") {
      // Kill only for a task that runs, or may (silent, and no other task of ours blocks it): an
      // unstarted task is dropped by the worker when it reads the abort, and its neighbours must
      // not pay for it.
      const mayRun = task.started || (!this.workers.responsive(slot) && !this.otherStarted(slot, task));
      this.settle(task, false, task.signal?.reason, "cancelled");
      if (mayRun) this.workers.kill(slot, "abort");
      return;
    }
    if (task.started) {
      this.settle(task, false, new TaskTimeoutError(task.timeout), "timeout");
      this.workers.kill(slot, "timeout");
      return;
    }
    task.abortSent = null;
    this.notStarted(task, slot);
  }

  /**
   * A task's deadline passed and the worker never said it started it. If the worker is silent,
   * no task of it said it started, and this one holds a lane (the worker starts in send order),
   * this task is what blocks it, its start report stuck behind it: the worker is killed, the
   * task goes back to the queue, and after MAX_REQUEUES such rounds it fails with
   * TaskTimeoutError. Otherwise it has not started: the clock was early, and it waits for its
   * start report without one; a task that started decides by its own deadline, and if the
   * worker still answered, the pool looks again once silence would tell (a task that blocks the
   * worker just as its deadline comes). So no task that never started costs a neighbour its run.
   */
  private notStarted(task: Task, slot: WorkerSlot): void {
    const answers = this.workers.responsive(slot);
    if (!answers && !this.otherStarted(slot, task) && this.holdsLane(slot, task)) {
      task.timedOut = true;
      this.workers.kill(slot, "timeout");
      return;
    }
    if (task.clock !== Clock.None) {
      slot.clocked--;
      task.clock = Clock.None;
      task.startedAt = 0;
    }
    if (answers && task.timeout !== Number.POSITIVE_INFINITY) {
      task.check = this.deadlines.add(now() + this.workers.silentAfter + 1, task, CHECK, task.deadlineGen);
    }
  }

  /** Whether `task` is among the first `concurrency` tasks of its worker, in send order. */
  private holdsLane(slot: WorkerSlot, task: Task): boolean {
    let ahead = 0;
    for (const other of slot.outstanding.values()) {
      if (other === task) return true;
      if (++ahead >= this.opts.concurrency) return false;
    }
    return false;
  }

  /** Whether the worker said it started some task other than `task`. */
  private otherStarted(slot: WorkerSlot, task: Task): boolean {
    for (const other of slot.outstanding.values()) if (other !== task && other.started) return true;
    return false;
  }

  // ---------------------------------------------------------------- workers

  /** A worker's task messages, in order (the supervisor read the batch and handles the rest). */
  onTaskMessages(slot: WorkerSlot, msgs: FromWorker[]): void {
    for (const msg of msgs) {
      switch (msg.t) {
        case "started":
          for (const id of msg.ids) {
            const task = slot.outstanding.get(id);
            if (!task) continue; // settled already without the worker's word
            task.started = true;
            this.startClock(task, Clock.Exact, slot.lastSeen);
          }
          break;
        case "ok":
        case "err": {
          // A graceful die first: the worker starts nothing after it, so no task gets a clock.
          if (msg.t === "err" && msg.die) this.workers.gracefulDie(slot);
          const task = slot.outstanding.get(msg.id);
          if (!task) {
            slot.late.delete(msg.id); // settled already (timeout, abort): exactly once
            break;
          }
          task.started = true;
          if (msg.t === "ok") this.settle(task, true, msg.value, "completed", true);
          else if (task.abortSent === "abort") this.settle(task, false, task.signal?.reason, "cancelled", true);
          else if (task.abortSent === "timeout" || (task.timeoutAborted && msg.error.name === "TimeoutError")) {
            const err = new TaskTimeoutError(task.timeout);
            (err as { cause?: unknown }).cause = fromWireError(msg.error);
            this.settle(task, false, err, "timeout", true);
          } else this.settle(task, false, fromWireError(msg.error), "failed", true);
          break;
        }
        case "returned":
          slot.stealSent = false;
          this.requeue(msg.ids.map((id) => slot.outstanding.get(id)).filter((t): t is Task => t !== undefined));
          this.promoteClocks(slot);
          if (slot.outstanding.size === 0) this.workers.armStopTimer(slot);
          break;
        case "exiting":
          if (msg.id !== undefined) {
            // Its own exit: it was running, and ends with the worker.
            const task = slot.outstanding.get(msg.id);
            if (task) task.started = true;
          } else if (msg.wait === true) {
            // A stray exit from outside any task body: the worker finishes what runs, hands back
            // the rest and exits; the pool treats it as a graceful die (bounded, replaced first).
            this.workers.gracefulDie(slot);
          }
          break;
        case "hb":
          if (msg.runs !== undefined && msg.held !== undefined) this.checkHeld(slot, msg.runs, msg.held);
          break;
      }
    }
  }

  /** Workers may take tasks (the supervisor tells, after a batch or an exit). */
  onCapacity(): void {
    this.pump();
  }

  /**
   * Work stealing, on each supervision tick: while a worker is idle, a worker whose every lane
   * has run one task for far longer than tasks take gives back the tasks it has not started
   * (`returnUnstarted`), and they run on the idle one. Prefetch thus delays a task by at most
   * {@link STEAL_AFTER_MIN_MS} or a few run times, plus a tick, never by a neighbour's whole run.
   */
  stealCheck(): void {
    if (this.state !== "running" && this.state !== "closing") return;
    let idle = false;
    for (const slot of this.workers.slots) if (slot.accepting && slot.outstanding.size === 0) idle = true;
    if (!idle) return;
    const t = now();
    const after = Math.max(STEAL_AFTER_MIN_MS, STEAL_AFTER_RUNS * this.window.runMs);
    for (const slot of this.workers.slots) {
      if (slot.stealSent || slot.life.phase !== "ready" || slot.outstanding.size <= this.opts.concurrency) continue;
      let running = 0;
      let youngest = Number.POSITIVE_INFINITY;
      for (const task of slot.outstanding.values()) {
        if (!task.started || task.clock === Clock.None) continue;
        running++;
        youngest = Math.min(youngest, t - task.startedAt);
      }
      if (running < this.opts.concurrency || running === slot.outstanding.size || youngest < after) continue;
      slot.stuck = true;
      slot.stealSent = true;
      this.send(slot, { t: "returnUnstarted" });
    }
  }

  /**
   * A beat lists what the worker holds after it received its first `runs` tasks. Its answers
   * travel ahead of the beat on the same ordered channel, so a task among those that is neither
   * held nor answered was lost (a result the channel dropped): the worker ran it, so it fails
   * with the worker, which is killed as a broken channel. Bounds every task to the heartbeat.
   */
  private checkHeld(slot: WorkerSlot, runs: number, held: number[]): void {
    const lost: Task[] = [];
    for (const task of slot.outstanding.values()) {
      if (task.sendSeq <= runs && !held.includes(task.id)) lost.push(task);
    }
    if (lost.length === 0) return;
    for (const task of lost) task.started = true;
    this.workers.onChannelError(
      slot,
      `no answer for task${lost.length > 1 ? "s" : ""} ${lost.map((t) => t.id).join(", ")}`,
      "lost",
    );
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
    const deadline = new Promise<"timeout">((resolve) => {
      this.closeExpired = () => resolve("timeout");
    });
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
      if (this.closeTimer !== undefined) clearTimeout(this.closeTimer);
      this.closeTimer = undefined;
    }
    this.finish();
  }

  /**
   * Give a pending close() a deadline `timeout` ms from now, if that is sooner than the one it
   * has (Infinity or undefined: none). At the deadline the pool is destroyed.
   */
  tightenClose(timeout: number | undefined): void {
    if (timeout === undefined || timeout === Number.POSITIVE_INFINITY) return;
    const at = now() + timeout;
    if (at >= this.closeAt) return;
    this.closeAt = at;
    this.armCloseTimer();
  }

  private armCloseTimer(): void {
    if (this.closeTimer !== undefined) clearTimeout(this.closeTimer);
    const left = this.closeAt - now();
    // setTimeout fires at once past 2^31-1 ms: wait in steps, looking again after each.
    this.closeTimer = setTimeout(
      () => {
        this.closeTimer = undefined;
        if (now() >= this.closeAt) this.closeExpired?.();
        else this.armCloseTimer();
      },
      timerDelay(Math.ceil(left)),
    );
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
    this.deadlines.clear();
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
