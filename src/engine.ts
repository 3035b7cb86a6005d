/**
 * The pool engine: the task side. Queue, dispatch, deadlines, the one place a task settles, and the
 * adapter callbacks (a worker's messages and exit). The worker set and its supervision live in
 * {@link Supervisor}. Nothing here touches a runtime API: workers come from the adapter.
 */
import { type Adapter, loadAdapter, type WorkerExit } from "./adapter.ts";
import { checkBatch } from "./channel.ts";
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
import type { WorkerExitDetail } from "./events.ts";
import { plannedExit, runningTaskOutcome } from "./exit_outcome.ts";
import type { ResolvedOptions } from "./options.ts";
import type { Outcome } from "./outcome.ts";
import type { FromWorker, ToWorker } from "./protocol.ts";
import { ResultsChannel } from "./results.ts";
import type { PoolState, PoolStats } from "./stats.ts";
import { Supervisor, type SupervisorHost } from "./supervisor.ts";
import { Task, TaskState } from "./task.ts";
import { TaskQueue } from "./task_queue.ts";
import { fromWireError, toWireError } from "./wire_error.ts";
import type { WorkerSlot } from "./worker_slot.ts";

const now = (): number => performance.now();

/** Deadline kinds. */
const SOFT = 0; // task timeout: abort ctx.signal
const HARD = 1; // timeout/abort + kill grace: settle, then kill the worker

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
  /** First workers that have not yet run init. */
  private initialPending = 0;
  private startSettle: { resolve: () => void; reject: (e: unknown) => void } | undefined;
  private idleWaiters: (() => void)[] = [];
  private exitWaiters: (() => void)[] = [];
  private readonly window: DispatchWindow;
  /** Work arrived since the last "drain". */
  private busy = false;
  private inFlight = 0;
  private readonly counters = new Counters();

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
    const started = new Promise<void>((resolve, reject) => {
      this.startSettle = { resolve, reject };
    });
    this.initialPending = this.workers.size;
    this.workers.begin(adapter);
    await started;
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
        if (task.abortSent !== null) return;
        task.abortSent = "abort";
        this.send(task.worker as WorkerSlot, { t: "abort", id: task.id, reason: toWireError(reason) });
        this.deadlines.add(now() + this.opts.killGrace, task, HARD, task.deadlineGen);
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
    this.inFlight++;
    this.send(slot, { t: "run", id: task.id, name: task.name, input: task.input });
    if (slot.outstanding.size <= this.opts.concurrency) this.markStarted(task);
    if (slot.tasksSent >= slot.taskLimit) this.workers.planRetire(slot, "maxTasks", false);
  }

  private markStarted(task: Task): void {
    task.running = true;
    task.startedAt = now();
    if (task.timeout !== Number.POSITIVE_INFINITY) {
      this.deadlines.add(task.startedAt + task.timeout, task, SOFT, task.deadlineGen);
    }
  }

  /** After a task leaves a worker, the next ones in send order are the running ones. */
  private promote(slot: WorkerSlot): void {
    if (slot.retiring === "gracefulDie") return;
    let i = 0;
    for (const task of slot.outstanding.values()) {
      if (i++ >= this.opts.concurrency) break;
      if (!task.running) this.markStarted(task);
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
  private settle(task: Task, ok: boolean, value: unknown, kind: SettleKind): void {
    if (task.state === TaskState.Done) return;
    const t = now();
    const slot = task.worker;
    if (task.state === TaskState.Sent && slot) {
      slot.outstanding.delete(task.id);
      this.inFlight--;
      slot.tasksDone++;
      if (task.running) this.window.observe(t - task.startedAt);
      if (slot.state !== "exited" && slot.state !== "zombie") {
        this.promote(slot);
        if (slot.stopSent && slot.outstanding.size === 0) this.workers.armStopTimer(slot);
      }
    }
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

  private requeue(tasks: Task[]): void {
    for (let i = tasks.length - 1; i >= 0; i--) {
      const task = tasks[i] as Task;
      if (task.state !== TaskState.Sent) continue;
      const slot = task.worker as WorkerSlot;
      slot.outstanding.delete(task.id);
      this.inFlight--;
      task.worker = null;
      task.running = false;
      task.dispatchedAt = 0;
      task.startedAt = 0;
      task.abortSent = null;
      task.deadlineGen++;
      this.queue.putBack(task);
    }
  }

  // ---------------------------------------------------------------- deadlines

  private onDeadline(entry: Deadline<Task>): void {
    const task = entry.item;
    if (task.state !== TaskState.Sent || entry.gen !== task.deadlineGen) return;
    const slot = task.worker as WorkerSlot;
    if (entry.kind === SOFT) {
      if (task.abortSent !== null) return;
      task.abortSent = "timeout";
      const reason = toWireError(
        Object.assign(new Error(`task timed out after ${task.timeout} ms`), { name: "TimeoutError" }),
      );
      this.send(slot, { t: "abort", id: task.id, reason });
      this.deadlines.add(now() + this.opts.killGrace, task, HARD, task.deadlineGen);
      return;
    }
    // HARD: record the outcome first, so it never depends on the kill working.
    if (task.abortSent === "abort") this.settle(task, false, task.signal?.reason, "cancelled");
    else this.settle(task, false, new TaskTimeoutError(task.timeout), "timeout");
    this.workers.kill(slot, task.abortSent === "abort" ? "abort" : "timeout");
  }

  // ---------------------------------------------------------------- workers

  onMessages(slot: WorkerSlot, received: unknown): void {
    if (slot.exitSeen || slot.channelBroken) return;
    const problem = checkBatch(received, (id) => slot.outstanding.has(id) || slot.late.has(id));
    if (problem !== null) {
      this.onChannelError(slot, problem);
      return;
    }
    const batch = received as FromWorker[];
    slot.lastSeen = now();
    for (const msg of batch) {
      switch (msg.t) {
        case "ok":
        case "err": {
          // A graceful die first: the worker starts nothing after it, so no task gets promoted.
          if (msg.t === "err" && msg.die) this.workers.gracefulDie(slot);
          const task = slot.outstanding.get(msg.id);
          if (!task) {
            slot.late.delete(msg.id); // settled already (timeout, abort): exactly once
            break;
          }
          if (msg.t === "ok") this.settle(task, true, msg.value, "completed");
          else if (task.abortSent === "abort") this.settle(task, false, task.signal?.reason, "cancelled");
          else if (task.abortSent === "timeout") {
            const err = new TaskTimeoutError(task.timeout);
            (err as { cause?: unknown }).cause = fromWireError(msg.error);
            this.settle(task, false, err, "timeout");
          } else this.settle(task, false, fromWireError(msg.error), "failed");
          break;
        }
        case "returned":
          this.requeue(msg.ids.map((id) => slot.outstanding.get(id)).filter((t): t is Task => t !== undefined));
          this.promote(slot);
          if (slot.stopSent && slot.outstanding.size === 0) this.workers.armStopTimer(slot);
          break;
        case "hb":
          this.workers.memory(slot, msg.mem);
          break;
        case "ready":
          this.onReady(slot);
          break;
        case "initError":
          slot.startError = new WorkerStartError(`worker ${slot.id} failed to start: ${msg.error.message}`, {
            cause: fromWireError(msg.error),
          });
          break;
        case "stopped":
          slot.finalized = true;
          break;
      }
    }
    this.pump();
  }

  /** The channel carried something that is not a protocol batch: the worker is killed. */
  onChannelError(slot: WorkerSlot, received: string): void {
    if (slot.exitSeen || slot.channelBroken) return;
    slot.channelBroken = true;
    this.workers.channelErrors++;
    this.emit("channel", { workerId: slot.id, kind: "invalid", received });
    this.workers.kill(slot, "channel");
  }

  /** A task's own message on a channel mpms shares with it: ignored, counted, reported. */
  onForeignMessage(slot: WorkerSlot, received: string): void {
    this.workers.foreignMessages++;
    this.emit("channel", { workerId: slot.id, kind: "foreign", received });
  }

  private onReady(slot: WorkerSlot): void {
    if (slot.state !== "starting") return; // a duplicate "ready"
    this.workers.ready(slot);
    // start() resolves once each first worker has run init, even if one crashed since.
    if (slot.initial && this.state === "starting" && --this.initialPending === 0) {
      this.state = "running";
      this.startSettle?.resolve();
    }
  }

  onExit(slot: WorkerSlot, exit: WorkerExit): void {
    if (slot.exitSeen) return;
    slot.exitSeen = true;
    const wasStarting = slot.state === "starting";
    slot.state = slot.zombie ? "zombie" : "exited";
    slot.clearTimers();
    const reason = this.workers.exitReason(slot, wasStarting);
    const planned = plannedExit(slot);

    // Tasks on the worker: started ones fail, unstarted ones go back to the queue.
    const back: Task[] = [];
    const started: Task[] = [];
    // A worker that finalized had finished or handed back every task it received: whatever is
    // still outstanding never reached it, and goes back to the queue.
    for (const task of slot.outstanding.values()) (task.running && !slot.finalized ? started : back).push(task);
    for (const task of started) {
      const { error, kind } = runningTaskOutcome(slot, exit);
      this.settle(task, false, error, kind);
    }
    this.requeue(back);

    const detail: WorkerExitDetail = { workerId: slot.id, code: exit.code, signal: exit.signal, reason, planned };
    if (exit.error !== undefined) detail.error = exit.error;
    this.emit("workerexit", detail);
    if (slot.zombie) this.emit("workerzombie", { workerId: slot.id, reason });

    if (wasStarting && slot.initial && this.state === "starting" && reason !== "start") {
      // Retired before it ran init (recycle, resize): its replacement serves instead.
      if (--this.initialPending === 0) {
        this.state = "running";
        this.startSettle?.resolve();
      }
    }
    if (wasStarting && this.state === "starting" && reason === "start") {
      this.workers.exited(slot, reason, exit.error);
      const err =
        (slot.startError as Error | undefined) ??
        new WorkerStartError(`worker ${slot.id} exited during start (code ${exit.code}, signal ${exit.signal})`, {
          cause: exit.error,
        });
      this.fail(err);
      this.startSettle?.reject(err);
      this.checkExited();
      return;
    }
    this.workers.exited(slot, reason, slot.startError ?? exit.error);
    this.pump();
    this.checkExited();
  }

  /** The pool cannot run tasks any more: reject what waits, stop restarting. */
  fail(error: Error): void {
    if (this.state === "failed" || this.state === "closed") return;
    this.state = "failed";
    this.workers.cancelSpawns();
    const unavailable =
      error instanceof PoolUnavailableError ? error : new PoolUnavailableError(error.message, { cause: error });
    this.queue.refuseWaiters(unavailable, this.unlisten);
    for (const task of this.queue.drain()) this.settle(task, false, unavailable, "failed");
    this.emit("failed", { error: unavailable });
    for (const slot of this.workers.slots) if (slot.state === "starting") this.workers.kill(slot, "start");
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

  private checkExited(): void {
    if (this.workers.empty) for (const w of this.exitWaiters.splice(0)) w();
  }

  private whenIdle(): Promise<void> {
    return new Promise((resolve) => {
      this.idleWaiters.push(resolve);
      this.checkIdle();
    });
  }

  private whenExited(): Promise<void> {
    return new Promise((resolve) => {
      this.exitWaiters.push(resolve);
      this.checkExited();
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
    let timer: ReturnType<typeof setTimeout> | undefined;
    const deadline =
      timeout === undefined
        ? undefined
        : new Promise<"timeout">((resolve) => {
            timer = setTimeout(() => resolve("timeout"), timeout);
          });
    const race = <T>(p: Promise<T>): Promise<T | "timeout"> => (deadline ? Promise.race([p, deadline]) : p);
    try {
      if (this.state === "starting" && (await race(this.start().catch(() => {}))) === "timeout") return destroy();
      if ((this.state as PoolState) === "closed") return this.whenExited();
      if (this.state !== "failed") this.state = "closing";
      if ((await race(this.whenIdle())) === "timeout") return destroy();
      if ((this.state as PoolState) !== "closed") {
        this.workers.stopAll();
      }
      if ((await race(this.whenExited())) === "timeout") return destroy();
    } finally {
      if (timer !== undefined) clearTimeout(timer);
    }
    this.finish();
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
    this.startSettle?.reject(closed);
    this.checkIdle();
    await this.whenExited();
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
