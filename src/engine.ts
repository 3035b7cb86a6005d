/**
 * The pool engine: queue, dispatch, settle-once book-keeping, and the worker set. Supervision
 * (timeouts, retirements, restarts) is carried out here too. Nothing here touches a runtime
 * API: workers come from the adapter.
 */
import { type Adapter, loadAdapter, type WorkerExit } from "./adapter.ts";
import { type Deadline, Deadlines } from "./deadlines.ts";
import {
  PoolClosedError,
  PoolUnavailableError,
  QueueFullError,
  SerializationError,
  TaskTimeoutError,
  WorkerCrashedError,
  WorkerRetiredError,
  WorkerStartError,
} from "./errors.ts";
import type { BackoffDetail, RetireReason, WorkerExitDetail } from "./events.ts";
import { Histogram } from "./histogram.ts";
import type { ResolvedOptions } from "./options.ts";
import type { Outcome } from "./outcome.ts";
import { type FromWorker, PROTOCOL_VERSION, type ToWorker, type WorkerConfig } from "./protocol.ts";
import { Deque } from "./queue.ts";
import { ResultsChannel } from "./results.ts";
import type { PoolState, PoolStats } from "./stats.ts";
import { Task, TaskState } from "./task.ts";
import { fromWireError, toWireError } from "./wire_error.ts";
import { WorkerSlot } from "./worker_slot.ts";

const now = (): number => performance.now();

/** Deadline kinds. */
const SOFT = 0; // task timeout: abort ctx.signal
const HARD = 1; // timeout/abort + kill grace: settle, then kill the worker

/** Kills after which a running task is "retired" (the pool chose to stop it), not crashed. */
const RETIRING_KILLS = new Set<RetireReason>([
  "maxAgeHard",
  "gracefulDie",
  "timeout",
  "abort",
  "recycle",
  "resize",
  "close",
]);
/** Exits that count toward the restart intensity and back-off. */
const FAILURES = new Set<RetireReason>(["crash", "start", "heartbeat"]);

type Emit = (type: string, detail: unknown) => void;

/** Why failed tasks failed (stats().failures). */
export type FailureKind = "error" | "crash" | "timeout" | "retired" | "serialization" | "unavailable";

function failureKind(error: unknown): FailureKind {
  if (error instanceof WorkerRetiredError) return "retired";
  if (error instanceof SerializationError) return "serialization";
  if (error instanceof PoolUnavailableError) return "unavailable";
  if (error instanceof WorkerCrashedError) return "crash";
  if (error instanceof TaskTimeoutError) return "timeout";
  return "error";
}

interface Waiter {
  task: Task;
  queued?: () => void;
  rejectPut?: (e: unknown) => void;
}

export class PoolEngine {
  state: PoolState = "idle";
  readonly results = new ResultsChannel<Outcome>();
  private adapter: Adapter | undefined;
  private readonly queue = new Deque<Task>(64);
  private readonly waiters = new Deque<Waiter>();
  readonly slots = new Set<WorkerSlot>();
  private readonly deadlines: Deadlines<Task>;
  private size: number;
  private nextTaskId = 0;
  private nextWorkerId = 0;
  private startPromise: Promise<void> | undefined;
  private startSettle: { resolve: () => void; reject: (e: unknown) => void } | undefined;
  private idleWaiters: (() => void)[] = [];
  private exitWaiters: (() => void)[] = [];
  private tick: ReturnType<typeof setInterval> | undefined;
  private pendingSpawns = 0;
  private spawnTimers = new Set<ReturnType<typeof setTimeout>>();
  private recycling = 0;
  private readonly due: WorkerSlot[] = [];
  private failures: number[] = [];
  private consecutiveFailures = 0;
  private ewmaRunMs = -1;
  /** Work arrived since the last "drain". */
  private busy = false;
  // counters
  private submitted = 0;
  private queuedCount = 0;
  private inFlight = 0;
  private completed = 0;
  private failed = 0;
  private cancelled = 0;
  private crashed = 0;
  private timedOut = 0;
  private workersStarted = 0;
  private zombies = 0;
  private readonly retirements: Partial<Record<RetireReason, number>> = {};
  private readonly failures_: Partial<Record<FailureKind, number>> = {};
  private readonly waitTime = new Histogram();
  private readonly runTime = new Histogram();

  constructor(
    readonly opts: ResolvedOptions,
    private readonly emit: Emit,
  ) {
    this.size = opts.workers;
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
    try {
      const a = this.opts.adapter;
      this.adapter = typeof a === "string" ? (await loadAdapter(a))(this.opts) : a;
    } catch (cause) {
      const err = new WorkerStartError(`could not load adapter: ${(cause as Error)?.message ?? cause}`, { cause });
      this.fail(err);
      throw err;
    }
    if (this.state !== "starting") throw new PoolClosedError();
    const started = new Promise<void>((resolve, reject) => {
      this.startSettle = { resolve, reject };
    });
    for (let i = 0; i < this.size; i++) this.spawn();
    const interval = this.opts.heartbeatInterval > 0 ? Math.min(this.opts.heartbeatInterval, 1000) : 1000;
    this.tick = setInterval(() => this.supervise(), interval);
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
    if (this.state === "closing" || this.state === "closed") {
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
    if (this.queuedCount >= this.opts.queueSize || this.waiters.length > 0) {
      if (!wait) {
        this.unlisten(task);
        (rejectPut ?? task.reject)?.(new QueueFullError());
        return;
      }
      this.waiters.push({ task, queued, rejectPut });
      return;
    }
    this.admit(task);
    queued?.();
    this.pump();
  }

  private admit(task: Task): void {
    this.busy = true;
    task.state = TaskState.Queued;
    this.submitted++;
    this.queuedCount++;
    this.queue.push(task);
  }

  /** Move waiters into the queue while there is room. Returns true if any moved. */
  private admitWaiters(): boolean {
    let moved = false;
    while (this.waiters.length > 0 && this.queuedCount < this.opts.queueSize) {
      const w = this.waiters.shift() as Waiter;
      if (w.task.state !== TaskState.Waiting) continue; // aborted while waiting
      this.admit(w.task);
      w.queued?.();
      moved = true;
    }
    return moved;
  }

  private onAbort(task: Task, reason: unknown, rejectPut?: (e: unknown) => void): void {
    switch (task.state) {
      case TaskState.Waiting:
        task.state = TaskState.Done;
        (rejectPut ?? task.reject)?.(reason);
        return;
      case TaskState.Queued:
        this.queuedCount--;
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

  private unlisten(task: Task): void {
    if (task.abortListener) {
      task.signal?.removeEventListener("abort", task.abortListener);
      task.abortListener = undefined;
    }
  }

  // ---------------------------------------------------------------- dispatch

  private inFlightLimit(): number {
    const c = this.opts.concurrency;
    if (this.opts.prefetch !== "auto") return c + this.opts.prefetch;
    const ms = this.ewmaRunMs;
    if (ms < 0) return c;
    if (ms < 1) return c + Math.min(64, 16 * c);
    if (ms < 10) return c + 2 * c;
    if (ms < 100) return c + c;
    return c;
  }

  defaultWindow(): number {
    return Math.max(64, this.size * (this.opts.concurrency + 16) * 2);
  }

  private pickWorker(limit: number): WorkerSlot | undefined {
    let best: WorkerSlot | undefined;
    for (const slot of this.slots) {
      if (!slot.accepting || slot.outstanding.size >= limit) continue;
      if (!best || slot.outstanding.size < best.outstanding.size) best = slot;
    }
    return best;
  }

  pump(): void {
    const limit = this.inFlightLimit();
    for (;;) {
      while (this.queuedCount > 0) {
        const slot = this.pickWorker(limit);
        if (!slot) break;
        const task = this.queue.shift() as Task;
        if (task.state !== TaskState.Queued) continue; // aborted in the queue
        this.queuedCount--;
        this.dispatch(slot, task);
      }
      if (!this.admitWaiters() || !this.pickWorker(limit)) break;
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
    if (slot.tasksSent >= slot.taskLimit) this.planRetire(slot, "maxTasks", false);
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
    let i = 0;
    for (const task of slot.outstanding.values()) {
      if (i++ >= this.opts.concurrency) break;
      if (!task.running) this.markStarted(task);
    }
  }

  private send(slot: WorkerSlot, msg: ToWorker): void {
    slot.outbox.push(msg);
    if (!slot.flushQueued) {
      slot.flushQueued = true;
      queueMicrotask(() => this.flush(slot));
    }
  }

  private flush(slot: WorkerSlot): void {
    slot.flushQueued = false;
    const batch = slot.outbox;
    if (batch.length === 0 || slot.state === "exited" || slot.state === "zombie") {
      batch.length = 0;
      return;
    }
    slot.outbox = [];
    try {
      slot.handle.send(batch);
      return;
    } catch {
      // find the message the channel cannot carry; only its task fails
    }
    for (const msg of batch) {
      try {
        slot.handle.send([msg]);
      } catch (cause) {
        if (msg.t !== "run") continue;
        const task = slot.outstanding.get(msg.id);
        if (!task) continue;
        const detail = (cause as Error)?.message ?? String(cause);
        this.settle(
          task,
          false,
          new SerializationError(`the task's input cannot be sent to the worker: ${detail}`, { cause }),
          "failed",
        );
      }
    }
    this.pump();
  }

  // ---------------------------------------------------------------- settle

  /** The one place a task settles. Later calls for the same task do nothing. */
  private settle(
    task: Task,
    ok: boolean,
    value: unknown,
    kind: "completed" | "failed" | "cancelled" | "crashed" | "timeout",
  ): void {
    if (task.state === TaskState.Done) return;
    const t = now();
    const slot = task.worker;
    if (task.state === TaskState.Sent && slot) {
      slot.outstanding.delete(task.id);
      this.inFlight--;
      slot.tasksDone++;
      if (task.running) {
        const ms = t - task.startedAt;
        this.ewmaRunMs = this.ewmaRunMs < 0 ? ms : this.ewmaRunMs * 0.9 + ms * 0.1;
      }
      if (slot.state !== "exited" && slot.state !== "zombie") {
        this.promote(slot);
        if (slot.stopSent && slot.outstanding.size === 0) this.armStopTimer(slot);
      }
    }
    task.state = TaskState.Done;
    task.deadlineGen++;
    this.unlisten(task);
    switch (kind) {
      case "completed":
        this.completed++;
        this.consecutiveFailures = 0;
        break;
      case "cancelled":
        this.cancelled++;
        break;
      case "crashed":
        this.crashed++;
        this.failed++;
        break;
      case "timeout":
        this.timedOut++;
        this.failed++;
        break;
      default:
        this.failed++;
    }
    if (kind !== "completed" && kind !== "cancelled") {
      const why = failureKind(value);
      this.failures_[why] = (this.failures_[why] ?? 0) + 1;
    }
    if (task.dispatchedAt > 0) {
      this.waitTime.recordMs(task.dispatchedAt - task.submittedAt);
      this.runTime.recordMs(t - (task.startedAt || task.dispatchedAt));
    }
    if (ok) task.resolve?.(value);
    else task.reject?.(value);
    this.deliver(task, ok, value, t);
  }

  private deliver(task: Task, ok: boolean, value: unknown, t: number): void {
    const collector = this.opts.collector;
    const toResults = this.results.subscribers > 0 || (task.resolve === undefined && !collector);
    if (!collector && !toResults) return;
    const dispatched = task.dispatchedAt > 0;
    const base = {
      taskId: task.id,
      name: task.name,
      input: task.input as never,
      workerId: task.worker?.id ?? null,
      queuedMs: dispatched ? task.dispatchedAt - task.submittedAt : t - task.submittedAt,
      runMs: dispatched ? t - (task.startedAt || task.dispatchedAt) : 0,
    };
    const outcome: Outcome = ok ? { ...base, status: "ok", value } : { ...base, status: "error", error: value };
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
      task.state = TaskState.Queued;
      task.worker = null;
      task.running = false;
      task.dispatchedAt = 0;
      task.startedAt = 0;
      task.abortSent = null;
      task.deadlineGen++;
      this.queuedCount++;
      this.queue.unshift(task);
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
    this.kill(slot, task.abortSent === "abort" ? "abort" : "timeout");
  }

  // ---------------------------------------------------------------- workers

  private spawn(replaces?: WorkerSlot): WorkerSlot {
    const opts = this.opts;
    const t = now();
    const slot = new WorkerSlot(++this.nextWorkerId, t);
    if (opts.maxTasks !== Number.POSITIVE_INFINITY) {
      slot.taskLimit = opts.maxTasks + Math.floor(Math.random() * (opts.maxTasksJitter + 1));
    }
    if (replaces) {
      slot.replaces = replaces;
      replaces.replacement = slot;
    }
    this.slots.add(slot);
    try {
      slot.handle = (this.adapter as Adapter).spawn({
        workerId: slot.id,
        onMessages: (batch) => this.onMessages(slot, batch),
        onExit: (exit) => this.onExit(slot, exit),
      });
    } catch (error) {
      slot.handle = { pid: null, threadId: null, send() {}, kill() {} };
      queueMicrotask(() => this.onExit(slot, { code: null, signal: null, error }));
      return slot;
    }
    const config: WorkerConfig = {
      protocol: PROTOCOL_VERSION,
      module: opts.module.href,
      workerId: slot.id,
      concurrency: opts.concurrency,
      heartbeat: opts.heartbeatInterval,
      dieErrors: opts.gracefulDieErrors,
    };
    this.send(slot, { t: "init", config });
    slot.timers.push(
      setTimeout(() => {
        if (slot.state !== "starting") return;
        slot.startError = new WorkerStartError(`worker ${slot.id} did not start within ${opts.startTimeout} ms`);
        this.kill(slot, "start");
      }, opts.startTimeout),
    );
    return slot;
  }

  private onMessages(slot: WorkerSlot, batch: FromWorker[]): void {
    slot.lastSeen = now();
    for (const msg of batch) {
      switch (msg.t) {
        case "ok":
        case "err": {
          const task = slot.outstanding.get(msg.id);
          if (!task) break; // settled already (timeout, abort): exactly once
          if (msg.t === "ok") this.settle(task, true, msg.value, "completed");
          else if (task.abortSent === "abort") this.settle(task, false, task.signal?.reason, "cancelled");
          else if (task.abortSent === "timeout") {
            const err = new TaskTimeoutError(task.timeout);
            (err as { cause?: unknown }).cause = fromWireError(msg.error);
            this.settle(task, false, err, "timeout");
          } else this.settle(task, false, fromWireError(msg.error), "failed");
          if (msg.t === "err" && msg.die) this.gracefulDie(slot);
          break;
        }
        case "returned":
          this.requeue(msg.ids.map((id) => slot.outstanding.get(id)).filter((t): t is Task => t !== undefined));
          this.promote(slot);
          if (slot.stopSent && slot.outstanding.size === 0) this.armStopTimer(slot);
          break;
        case "hb":
          slot.memory = msg.mem;
          if (msg.mem > this.opts.maxMemoryBytes && now() - slot.spawnedAt >= this.opts.minAge) {
            this.planRetire(slot, "memory", true);
          }
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
          break;
      }
    }
    this.pump();
  }

  private onReady(slot: WorkerSlot): void {
    if (slot.state !== "starting") return;
    slot.state = slot.retiring ? "retiring" : "ready";
    this.workersStarted++;
    // Ages count from ready: start-up is bounded by startTimeout, and a worker must get to serve.
    const opts = this.opts;
    if (opts.maxAge !== Number.POSITIVE_INFINITY) {
      slot.timers.push(setTimeout(() => this.planRetire(slot, "maxAge", true), opts.maxAge));
    }
    if (opts.maxAgeHard !== Number.POSITIVE_INFINITY) {
      slot.timers.push(setTimeout(() => this.kill(slot, "maxAgeHard"), opts.maxAgeHard));
    }
    this.emit("workerstart", { workerId: slot.id, pid: slot.handle.pid, threadId: slot.handle.threadId });
    const old = slot.replaces;
    if (old) {
      slot.replaces = null;
      this.recycling--;
      this.stopWorker(old);
      this.nextDue();
    }
    if (this.state === "starting" && this.countReady() >= this.size) {
      this.state = "running";
      this.startSettle?.resolve();
    }
  }

  private countReady(): number {
    let n = 0;
    for (const s of this.slots) if (s.state === "ready") n++;
    return n;
  }

  private onExit(slot: WorkerSlot, exit: WorkerExit): void {
    if (slot.state === "exited" || (slot.state === "zombie" && slot.exitSeen)) return;
    slot.exitSeen = true;
    const wasStarting = slot.state === "starting";
    slot.state = slot.zombie ? "zombie" : "exited";
    slot.clearTimers();
    this.slots.delete(slot);
    const planned =
      slot.killReason === null
        ? slot.stopSent
        : RETIRING_KILLS.has(slot.killReason) || slot.killReason === "destroy" || slot.killReason === "maxAgeHard";
    let reason: RetireReason =
      slot.killReason ??
      (wasStarting ? "start" : slot.stopSent && slot.retiring ? slot.retiring : slot.stopSent ? "close" : "crash");
    if (wasStarting && reason !== "destroy" && reason !== "close") reason = "start";
    this.retirements[reason] = (this.retirements[reason] ?? 0) + 1;

    // Tasks on the worker: started ones fail, unstarted ones go back to the queue.
    const back: Task[] = [];
    const started: Task[] = [];
    for (const task of slot.outstanding.values()) (task.running ? started : back).push(task);
    for (const task of started) {
      if (slot.killReason === "destroy")
        this.settle(task, false, new PoolClosedError("the pool was destroyed"), "cancelled");
      else if (slot.killReason !== null && RETIRING_KILLS.has(slot.killReason)) {
        this.settle(task, false, new WorkerRetiredError(slot.killReason), "failed");
      } else {
        const crashReason =
          slot.killReason === "heartbeat" ? "unresponsive" : exit.error !== undefined ? "error" : "exit";
        this.settle(
          task,
          false,
          new WorkerCrashedError({
            workerId: slot.id,
            code: exit.code,
            signal: exit.signal,
            reason: crashReason,
            cause: exit.error,
          }),
          "crashed",
        );
      }
    }
    this.requeue(back);

    const detail: WorkerExitDetail = { workerId: slot.id, code: exit.code, signal: exit.signal, reason, planned };
    if (exit.error !== undefined) detail.error = exit.error;
    this.emit("workerexit", detail);
    if (slot.zombie) this.emit("workerzombie", { workerId: slot.id, reason });

    // A replacement that never became ready: let the worker it replaces stop anyway.
    if (slot.replaces) {
      const old = slot.replaces;
      slot.replaces = null;
      old.replacement = null;
      this.recycling--;
      this.stopWorker(old);
      this.nextDue();
    }
    if (slot.replacement === null && this.due.includes(slot)) this.due.splice(this.due.indexOf(slot), 1);

    if (wasStarting && this.state === "starting") {
      const err =
        (slot.startError as Error | undefined) ??
        new WorkerStartError(`worker ${slot.id} exited during start (code ${exit.code}, signal ${exit.signal})`, {
          cause: exit.error,
        });
      this.fail(err);
      this.startSettle?.reject(err);
      return;
    }
    if (FAILURES.has(reason) && this.state !== "closed") this.recordFailure(reason, slot.startError ?? exit.error);
    this.ensureCapacity();
    this.pump();
    this.checkExited();
  }

  /** Keep `size` workers that take tasks (or will, once started). */
  private ensureCapacity(): void {
    if (this.state !== "running" && this.state !== "closing" && this.state !== "starting") return;
    if (this.state === "closing" && this.queuedCount === 0) return;
    let effective = this.pendingSpawns;
    for (const s of this.slots) {
      if (s.killReason === null && (s.retiring === null || this.due.includes(s))) effective++;
    }
    // One crash restarts at once; back-off starts with the second failure in a row.
    const delay =
      this.consecutiveFailures > 1
        ? Math.min(
            this.opts.backoffMax,
            this.opts.backoffInitial * this.opts.backoffFactor ** (this.consecutiveFailures - 2),
          )
        : 0;
    for (; effective < this.size; effective++) {
      if (delay === 0) {
        this.spawn();
        continue;
      }
      this.pendingSpawns++;
      const detail: BackoffDetail = { delay, failures: this.consecutiveFailures };
      this.emit("backoff", detail);
      const timer = setTimeout(() => {
        this.spawnTimers.delete(timer);
        this.pendingSpawns--;
        if (this.state === "running" || this.state === "closing") {
          this.spawn();
        }
      }, delay);
      this.spawnTimers.add(timer);
    }
  }

  private recordFailure(reason: RetireReason, cause: unknown): void {
    this.consecutiveFailures++;
    const t = now();
    this.failures.push(t);
    while (this.failures.length > 0 && (this.failures[0] as number) < t - this.opts.restartPeriod)
      this.failures.shift();
    if (this.failures.length > this.opts.restartIntensity) {
      this.fail(
        new PoolUnavailableError(
          `workers failed ${this.failures.length} times within ${this.opts.restartPeriod} ms (last: ${reason}); the pool gave up`,
          { cause },
        ),
      );
    }
  }

  /** The pool cannot run tasks any more: reject what waits, stop restarting. */
  private fail(error: Error): void {
    if (this.state === "failed" || this.state === "closed") return;
    this.state = "failed";
    for (const timer of this.spawnTimers) clearTimeout(timer);
    this.spawnTimers.clear();
    this.pendingSpawns = 0;
    const unavailable =
      error instanceof PoolUnavailableError ? error : new PoolUnavailableError(error.message, { cause: error });
    for (const w of this.waiters.drain()) {
      if (w.task.state !== TaskState.Waiting) continue;
      w.task.state = TaskState.Done;
      this.unlisten(w.task);
      (w.rejectPut ?? w.task.reject)?.(unavailable);
    }
    for (const task of this.queue.drain()) {
      if (task.state !== TaskState.Queued) continue;
      this.queuedCount--;
      this.settle(task, false, unavailable, "failed");
    }
    this.emit("failed", { error: unavailable });
    for (const slot of this.slots) if (slot.state === "starting") this.kill(slot, "start");
    this.checkIdle();
  }

  // ---------------------------------------------------------------- retirement

  /** Planned retirement: the worker takes no new tasks; a replacement starts first. */
  planRetire(slot: WorkerSlot, reason: RetireReason, handBack: boolean): void {
    if (slot.retiring !== null || slot.killReason !== null || slot.state === "exited" || slot.state === "zombie")
      return;
    slot.retiring = reason;
    slot.handBack = handBack;
    if (slot.state === "ready") slot.state = "retiring";
    this.emit("workerretire", { workerId: slot.id, reason });
    const replace = reason !== "resize" && reason !== "close" && (this.state === "running" || this.state === "closing");
    if (!replace) {
      this.stopWorker(slot);
      return;
    }
    if (this.recycling >= this.opts.maxRecycling) {
      this.due.push(slot);
      return;
    }
    this.recycling++;
    this.spawn(slot);
  }

  private nextDue(): void {
    while (this.due.length > 0 && this.recycling < this.opts.maxRecycling) {
      const slot = this.due.shift() as WorkerSlot;
      if (slot.state === "exited" || slot.state === "zombie" || slot.killReason !== null) continue;
      if (this.state !== "running" && this.state !== "closing") {
        this.stopWorker(slot);
        continue;
      }
      this.recycling++;
      this.spawn(slot);
    }
  }

  /** Ask the worker to finish (handing back unstarted tasks if so retiring), finalize and exit. */
  private stopWorker(slot: WorkerSlot): void {
    if (slot.stopSent || slot.state === "exited" || slot.state === "zombie") return;
    slot.stopSent = true;
    if (slot.state !== "starting") slot.state = "stopping";
    this.send(slot, { t: "stop", handBack: slot.handBack });
    if (slot.outstanding.size === 0) this.armStopTimer(slot);
  }

  /** Graceful die: the worker already stopped taking tasks and handed back the unstarted ones. */
  private gracefulDie(slot: WorkerSlot): void {
    if (slot.retiring === "gracefulDie" || slot.killReason !== null) return;
    const wasDue = this.due.indexOf(slot);
    if (wasDue >= 0) this.due.splice(wasDue, 1);
    const hadReplacement = slot.retiring !== null && (slot.replacement !== null || slot.stopSent);
    slot.retiring = "gracefulDie";
    slot.stopSent = true;
    slot.state = "stopping";
    this.emit("workerretire", { workerId: slot.id, reason: "gracefulDie" });
    if (!hadReplacement && (this.state === "running" || this.state === "closing")) {
      this.recycling++;
      this.spawn(slot);
    }
    if (slot.outstanding.size === 0) this.armStopTimer(slot);
    slot.timers.push(
      setTimeout(() => {
        if (slot.outstanding.size > 0) this.kill(slot, "gracefulDie");
      }, this.opts.gracefulDieTimeout),
    );
  }

  /** The worker has nothing left to run: `finalize` and exit must happen within stopTimeout. */
  private armStopTimer(slot: WorkerSlot): void {
    if (slot.stopTimerArmed) return;
    slot.stopTimerArmed = true;
    slot.timers.push(
      setTimeout(() => {
        if (slot.state !== "exited" && slot.state !== "zombie") this.kill(slot, slot.retiring ?? "close", true);
      }, this.opts.stopTimeout),
    );
  }

  /** Kill a worker now. `keepReason`: a planned stop that overran keeps its retirement reason. */
  kill(slot: WorkerSlot, reason: RetireReason, keepReason = false): void {
    if (slot.state === "exited" || slot.state === "zombie" || slot.killSent) return;
    slot.killSent = true;
    if (!keepReason) slot.killReason = reason;
    if (!this.adapter?.canKillBusy && slot.outstanding.size > 0) {
      // The runtime cannot stop a busy worker: take it out of capacity and say so.
      slot.zombie = true;
      this.zombies++;
    }
    slot.handle.kill(reason === "destroy" ? 0 : Math.min(this.opts.killGrace, 1000));
    // A runtime that never reports the exit must not hold the pool: give up after a bound.
    slot.timers.push(
      setTimeout(() => {
        if (slot.state !== "exited" && !slot.exitSeen) {
          slot.zombie = true;
          if (!slot.zombieCounted) this.zombies++;
          slot.zombieCounted = true;
          this.onExit(slot, { code: null, signal: null, error: new Error("the worker did not exit after kill") });
        }
      }, Math.max(1000, this.opts.killGrace) + 1000),
    );
    if (slot.zombie) slot.zombieCounted = true;
  }

  /** Heartbeats (unresponsive workers are killed). */
  private supervise(): void {
    if (this.opts.heartbeatInterval <= 0) return;
    const t = now();
    for (const slot of this.slots) {
      if (slot.state === "starting" || slot.killSent) continue;
      if (t - slot.lastSeen > this.opts.heartbeatTimeout) this.kill(slot, "heartbeat");
    }
  }

  resize(workers: number): void {
    this.size = workers;
    if (this.state === "idle" || this.state === "starting") return;
    let accepting = 0;
    for (const s of this.slots) if (s.retiring === null && s.killReason === null) accepting++;
    if (accepting < workers) this.ensureCapacity();
    else {
      // Retire the least busy workers first.
      const candidates = [...this.slots]
        .filter((s) => s.retiring === null && s.killReason === null)
        .sort((a, b) => a.outstanding.size - b.outstanding.size);
      for (let i = 0; i < accepting - workers; i++) this.planRetire(candidates[i] as WorkerSlot, "resize", true);
    }
    this.pump();
  }

  recycle(workerId: number): boolean {
    for (const slot of this.slots) {
      if (slot.id === workerId && slot.retiring === null && slot.killReason === null) {
        this.planRetire(slot, "recycle", true);
        return true;
      }
    }
    return false;
  }

  // ---------------------------------------------------------------- close / destroy

  /** When nothing is queued, waiting or running: emit "drain" (once per busy spell), wake close(). */
  private checkIdle(): void {
    if (this.queuedCount !== 0 || this.inFlight !== 0 || this.waiters.length !== 0) return;
    if (this.busy) {
      this.busy = false;
      this.emit("drain", { submitted: this.submitted });
    }
    for (const w of this.idleWaiters.splice(0)) w();
  }

  private checkExited(): void {
    if (this.slots.size === 0 && this.pendingSpawns === 0) for (const w of this.exitWaiters.splice(0)) w();
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
    if (this.state === "starting") await this.startPromise?.catch(() => {});
    if (this.state === "closed") return this.whenExited();
    if (this.state !== "failed") this.state = "closing";
    for (const w of this.waiters.drain()) {
      if (w.task.state !== TaskState.Waiting) continue;
      w.task.state = TaskState.Done;
      this.unlisten(w.task);
      (w.rejectPut ?? w.task.reject)?.(new PoolClosedError());
    }
    let timer: ReturnType<typeof setTimeout> | undefined;
    const deadline =
      timeout === undefined
        ? undefined
        : new Promise<"timeout">((resolve) => {
            timer = setTimeout(() => resolve("timeout"), timeout);
          });
    const race = <T>(p: Promise<T>): Promise<T | "timeout"> => (deadline ? Promise.race([p, deadline]) : p);
    try {
      if ((await race(this.whenIdle())) === "timeout") return destroy();
      if ((this.state as PoolState) !== "closed") {
        for (const timer of this.spawnTimers) clearTimeout(timer);
        this.spawnTimers.clear();
        this.pendingSpawns = 0;
        for (const slot of this.slots) {
          if (slot.state === "starting") this.kill(slot, "close");
          else {
            if (slot.retiring === null) slot.retiring = "close";
            this.stopWorker(slot);
          }
        }
      }
      if ((await race(this.whenExited())) === "timeout") return destroy();
    } finally {
      if (timer !== undefined) clearTimeout(timer);
    }
    this.finish();
  }

  async destroy(): Promise<void> {
    if (this.state === "idle") {
      this.state = "closed";
      this.results.end();
      return;
    }
    this.state = "closed";
    for (const timer of this.spawnTimers) clearTimeout(timer);
    this.spawnTimers.clear();
    this.pendingSpawns = 0;
    const closed = new PoolClosedError("the pool was destroyed");
    for (const w of this.waiters.drain()) {
      if (w.task.state !== TaskState.Waiting) continue;
      w.task.state = TaskState.Done;
      this.unlisten(w.task);
      (w.rejectPut ?? w.task.reject)?.(closed);
    }
    for (const task of this.queue.drain()) {
      if (task.state !== TaskState.Queued) continue;
      this.queuedCount--;
      this.settle(task, false, closed, "cancelled");
    }
    for (const slot of this.slots) {
      for (const task of [...slot.outstanding.values()]) this.settle(task, false, closed, "cancelled");
      this.kill(slot, "destroy");
    }
    this.startSettle?.reject(closed);
    this.checkIdle();
    await this.whenExited();
    this.finish();
  }

  private finish(): void {
    if (this.state !== "failed") this.state = "closed";
    if (this.tick !== undefined) clearInterval(this.tick);
    this.tick = undefined;
    this.deadlines.clear();
    this.results.end();
  }

  // ---------------------------------------------------------------- stats

  stats(): PoolStats {
    const t = now();
    return {
      state: this.state,
      adapter:
        this.adapter?.name ?? (typeof this.opts.adapter === "string" ? this.opts.adapter : this.opts.adapter.name),
      size: this.size,
      submitted: this.submitted,
      queued: this.queuedCount,
      running: this.inFlight,
      completed: this.completed,
      failed: this.failed,
      cancelled: this.cancelled,
      crashed: this.crashed,
      timedOut: this.timedOut,
      workersStarted: this.workersStarted,
      retirements: { ...this.retirements },
      failures: { ...this.failures_ },
      waitTime: this.waitTime.snapshot(),
      runTime: this.runTime.snapshot(),
      zombies: this.zombies,
      workers: [...this.slots].map((s) => ({
        id: s.id,
        state: s.state,
        tasksDone: s.tasksDone,
        running: s.outstanding.size,
        age: t - s.spawnedAt,
        pid: s.handle.pid,
        threadId: s.handle.threadId,
        memory: s.memory,
        retiring: s.retiring,
      })),
    };
  }
}
