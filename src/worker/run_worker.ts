/**
 * The worker side of the protocol, shared by every adapter: loads the task module, runs tasks
 * with bounded concurrency, reports results in batches, beats, and stops on request.
 * Adapters give it an {@link WorkerEndpoint}; it never touches a runtime API itself.
 */
import { SerializationError } from "../errors.ts";
import { type FromWorker, PROTOCOL_VERSION, type ToWorker, type WorkerConfig } from "../protocol.ts";
import { isDetached, isMovable, isTransfer, type Movable, movablesIn } from "../transfer.ts";
import { toWireError, type WireError } from "../wire_error.ts";
import { ExitRequest } from "./exit_request.ts";

/**
 * Below this average run time (ms) a worker batches task starts with their results; at or above
 * it (and for a worker's first tasks) it tells the pool about a start before running the task, so
 * that a long synchronous task is known to be running while it blocks the worker's event loop.
 */
const ACK_BEFORE_RUN_MS = 1;
/** Tasks a worker measures before it may batch starts. */
const WARMUP_TASKS = 8;
/**
 * The clock, looked up once: on Node the global `performance` is an accessor, and reading it
 * costs a getter call on each of the two clock readings per task.
 */
const clock = performance;

/** The channel to the parent, as an adapter's worker entry provides it. */
export interface WorkerEndpoint {
  /**
   * Send a batch; throws if a message cannot be serialized (then nothing was sent). `transfer`:
   * what to move with it (channels that cannot move ignore it and copy).
   */
  send(batch: FromWorker[], transfer?: readonly Movable[]): void;
  /** Deliver each batch from the parent to `handler`. */
  listen(handler: (batch: ToWorker[]) => void): void;
  /** Memory this worker is charged with, in bytes (RSS for a process, heap for a thread). */
  memory(): number;
  /** Flush what was sent, then end the worker with `code`. */
  exit(code: number): void;
  /**
   * For a channel whose writes can wait on the event loop (a socket): resolves once everything
   * sent so far is written, or returns undefined if nothing waits. A task that may block the
   * worker starts only then, so that what was sent before it is on its way while it runs.
   */
  unsent?(): Promise<void> | undefined;
}

/**
 * The context a task function receives, its second argument.
 *
 * @example
 * ```ts
 * import type { TaskContext } from "mpms";
 * export default async function resize(input: { url: string }, ctx: TaskContext): Promise<number> {
 *   const response = await fetch(input.url, { signal: ctx.signal }); // aborted on timeout or cancel
 *   ctx.progress(0.5);
 *   return (await response.arrayBuffer()).byteLength;
 * }
 * ```
 */
export interface TaskContext {
  /** Fires when the task is aborted: its timeout, the caller's `signal`, `destroy()`. */
  signal: AbortSignal;
  /** The task's id (as in its Outcome). */
  taskId: number;
  /** The id of the worker running it. */
  workerId: number;
  /**
   * Report progress to the host (`onProgress` of `submit`, the pool's `progress` event). Cheap
   * to call often: only the latest value per task is sent, once per event-loop turn, and
   * nothing is sent after the task settled. The value must be one the adapter's channel
   * carries (as a result must); one that cannot be sent is dropped.
   */
  progress(value: unknown): void;
}

/** The context `init` and `finalize` receive. */
export interface WorkerContext {
  /** The id of this worker. */
  workerId: number;
}

type TaskFn = (input: unknown, ctx: TaskContext) => unknown;
type Hook = (ctx: WorkerContext) => unknown;

/**
 * A running task's context. The AbortController is made only when the task reads `signal`: most
 * tasks never do, and one per task is measurable on the hot path.
 */
class RunningTask implements TaskContext {
  // Private fields: what the task function sees of its ctx is taskId, workerId and signal only.
  // `signal` is a prototype getter, so `{ ...ctx }` has no `signal` (an own getter per task, by
  // object literal or defineProperty, costs 0.2–0.8 µs per task on Node).
  #controller: AbortController | undefined;
  #aborted = false;
  #reason: unknown;
  readonly #runner: WorkerRunner;
  /** When it started (performance.now()), to measure its run time: a field, not a Map entry per task. */
  readonly #began = clock.now();

  constructor(
    readonly taskId: number,
    readonly workerId: number,
    runner: WorkerRunner,
  ) {
    this.#runner = runner;
  }

  progress(value: unknown): void {
    this.#runner.progress(this.taskId, value);
  }

  get signal(): AbortSignal {
    if (!this.#controller) {
      this.#controller = new AbortController();
      if (this.#aborted) this.#controller.abort(this.#reason);
    }
    return this.#controller.signal;
  }

  abort(reason: unknown): void {
    if (this.#aborted) return;
    this.#aborted = true;
    this.#reason = reason;
    this.#controller?.abort(reason);
  }

  /** How long `task` has run (ms). Static, so the task function's ctx shows no such method. */
  static ranMs(task: RunningTask): number {
    return clock.now() - task.#began;
  }
}

/**
 * A task received and not started yet: the `run` message itself (no copy per task). `moved: 1`:
 * its input was moved here (a transfer list), and handing it back moves it back.
 */
type Pending = Extract<ToWorker, { t: "run" }>;

/** What the entry's exit guard does with an exit called by task code. */
export type ExitVerdict = "now" | "deferred";

class WorkerRunner {
  private config: WorkerConfig | undefined;
  private mod: Record<string, unknown> | undefined;
  private readonly pending: Pending[] = [];
  private readonly running = new Map<number, RunningTask>();
  /** Tasks started since the last flush: reported as `started` unless they settled meanwhile. */
  private readonly unacked: number[] = [];
  /** Moving average of this worker's task run times (ms), and how many it measured. */
  private ewmaRunMs = 0;
  private measured = 0;
  /** The task whose function is running synchronously right now (an exit from it is its own). */
  private current: number | null = null;
  /** Exit requested by task code outside a task body: the code, once running tasks are done. */
  private exitCode: number | undefined;
  private exiting = false;
  private outbox: FromWorker[] = [];
  private flushQueued = false;
  private stopping = false;
  /** Stopping with unstarted tasks returned: start nothing more. */
  private handedBack = false;
  private stopped = false;
  private heartbeat: ReturnType<typeof setInterval> | undefined;
  /** `run` messages received, reported with each beat. */
  private runs = 0;

  constructor(private readonly endpoint: WorkerEndpoint) {}

  receive(batch: ToWorker[]): void {
    for (const msg of batch) {
      switch (msg.t) {
        case "init":
          void this.init(msg.config);
          break;
        case "run":
          this.runs++;
          // Sent before the pool learned that this worker is retiring: hand it straight back.
          if ((this.stopping && this.handedBack) || this.exitCode !== undefined) this.handBack([msg]);
          else this.pending.push(msg);
          break;
        case "abort":
          this.abort(msg.id, msg.reason, msg.ifStarted === true);
          break;
        case "stop":
          this.beginStop(msg.handBack);
          break;
        case "returnUnstarted":
          // Work stealing: the pool gives these to an idle worker.
          this.handBack(this.pending);
          this.pending.length = 0;
          break;
      }
    }
    this.pump();
  }

  private async init(config: WorkerConfig): Promise<void> {
    this.config = config;
    if (config.heartbeat > 0) {
      this.heartbeat = setInterval(() => this.beat(), config.heartbeat);
    }
    try {
      if (config.protocol !== PROTOCOL_VERSION) {
        throw new Error(
          `worker protocol ${PROTOCOL_VERSION} does not match the pool's ${config.protocol}: rebuild (npm run build)`,
        );
      }
      this.mod = (await import(config.module)) as Record<string, unknown>;
      const init = this.mod.init;
      if (typeof init === "function") await (init as Hook)({ workerId: config.workerId });
    } catch (err) {
      this.post({ t: "initError", error: toWireError(err) });
      this.flush();
      this.finish(1);
      return;
    }
    this.post({ t: "ready" });
    this.pump();
  }

  private beat(): void {
    const held = [...this.running.keys()];
    for (const p of this.pending) held.push(p.id);
    this.post({ t: "hb", mem: this.endpoint.memory(), runs: this.runs, held });
  }

  private pump(): void {
    const config = this.config;
    if (!config || !this.mod || (this.stopping && this.handedBack) || this.exitCode !== undefined) return;
    // While a start waits for its report to be written, nothing else starts: a start is
    // reported just before its task runs, never while another task may block the worker first.
    while (!this.startWaiting && this.running.size < config.concurrency && this.pending.length > 0) {
      const task = this.pending.shift() as Pending;
      this.start(task);
    }
  }

  /** A start waits for the channel to write its report (see WorkerEndpoint.unsent). */
  private startWaiting = false;

  private start(task: Pending): void {
    const config = this.config as WorkerConfig;
    const running = new RunningTask(task.id, config.workerId, this);
    this.running.set(task.id, running);
    this.unacked.push(task.id);
    // Slow tasks (or not measured yet): the pool hears of the start before the task can block us.
    if (this.measured < WARMUP_TASKS || this.ewmaRunMs >= ACK_BEFORE_RUN_MS) {
      this.flush();
      const unsent = this.endpoint.unsent?.();
      if (unsent !== undefined) {
        this.startWaiting = true;
        void unsent.then(() => {
          this.startWaiting = false;
          if (this.running.get(task.id) === running) this.run(task, running);
          this.pump();
        });
        return;
      }
    }
    this.run(task, running);
  }

  private run(task: Pending, running: RunningTask): void {
    const fn = (this.mod as Record<string, unknown>)[task.name ?? "default"];
    let result: unknown;
    this.current = task.id;
    try {
      if (typeof fn !== "function") {
        throw new TypeError(
          task.name === null
            ? `the task module has no default export function`
            : `the task module has no exported function ${JSON.stringify(task.name)}`,
        );
      }
      result = (fn as TaskFn)(task.input, running);
    } catch (err) {
      this.current = null;
      this.settle(task.id, false, err);
      return;
    }
    this.current = null;
    if (result !== null && typeof (result as PromiseLike<unknown>)?.then === "function") {
      (result as PromiseLike<unknown>).then(
        (value) => this.settle(task.id, true, value),
        (err) => this.settle(task.id, false, err),
      );
    } else {
      this.settle(task.id, true, result);
    }
  }

  private settle(id: number, ok: boolean, value: unknown): void {
    if (!ok && value instanceof ExitRequest && this.running.has(id)) {
      // The task's own async code called exit: it ends with the worker.
      this.exitNow(value.code, id);
      return;
    }
    const running = this.running.get(id);
    if (running === undefined) return;
    this.running.delete(id);
    const ms = RunningTask.ranMs(running);
    this.ewmaRunMs = this.measured === 0 ? ms : this.ewmaRunMs * 0.9 + ms * 0.1;
    this.measured++;
    if (ok) {
      if (!isTransfer(value)) this.post({ t: "ok", id, value });
      else if (value.list.some((item) => !isMovable(item) || isDetached(item))) {
        // postMessage would drop the message silently: the task fails clearly instead
        const problem = new SerializationError(
          "the task's result cannot be sent to the pool: its transfer list holds something that is not an ArrayBuffer or MessagePort, or was moved already",
        );
        this.post({ t: "err", id, error: toWireError(problem) });
      } else this.post({ t: "ok", id, value: value.value }, value.list);
    } else {
      const error = toWireError(value);
      const die = (this.config as WorkerConfig).dieErrors.includes(error.name);
      this.post(die ? { t: "err", id, error, die: true } : { t: "err", id, error });
      if (die) this.beginStop(true);
    }
    this.pump();
    if (this.exitCode !== undefined) {
      if (this.running.size === 0) this.exitNow(this.exitCode);
      return;
    }
    if (this.stopping) void this.maybeFinalize();
  }

  /**
   * Task code called exit. From a task's body (or its own async code) the worker exits now and
   * that task ends with it. From elsewhere (a timer a settled task left behind) the exit waits for
   * the running tasks, hands back the unstarted ones, and then happens: a neighbour's stray exit
   * never fails a task (the pool bounds the wait as for a graceful die).
   */
  exitRequested(code: number): ExitVerdict {
    if (this.exiting) return "now";
    if (this.current !== null || this.running.size === 0) {
      this.exitNow(code, this.current ?? undefined, false);
      return "now";
    }
    if (this.exitCode === undefined) {
      this.exitCode = code;
      this.post({ t: "exiting", code, wait: true });
      if (this.pending.length > 0) {
        this.handBack(this.pending);
        this.pending.length = 0;
      }
    }
    return "deferred";
  }

  /** Tell the pool, send everything, then exit with `code` (unless the caller exits itself). */
  private exitNow(code: number, culprit?: number, callExit = true): void {
    if (this.exiting) return;
    this.exiting = true;
    this.post(culprit === undefined ? { t: "exiting", code } : { t: "exiting", code, id: culprit });
    this.flush();
    if (callExit) this.finish(code);
  }

  private abort(id: number, reason: WireError, ifStarted: boolean): void {
    const index = ifStarted ? -1 : this.pending.findIndex((p) => p.id === id);
    if (index >= 0) {
      this.pending.splice(index, 1);
      this.post({ t: "err", id, error: reason });
      return;
    }
    const reasonError = Object.assign(new Error(reason.message), { name: reason.name });
    this.running.get(id)?.abort(reasonError);
  }

  private beginStop(handBack: boolean): void {
    if (this.stopping && (this.handedBack || !handBack)) return;
    this.stopping = true;
    this.handedBack = handBack;
    if (handBack && this.pending.length > 0) {
      this.handBack(this.pending);
      this.pending.length = 0;
    }
    void this.maybeFinalize();
  }

  private async maybeFinalize(): Promise<void> {
    if (this.running.size > 0 || this.pending.length > 0 || this.stopped || !this.mod) return;
    this.stopped = true;
    let error: WireError | undefined;
    const finalize = this.mod?.finalize;
    if (typeof finalize === "function") {
      try {
        await (finalize as Hook)({ workerId: (this.config as WorkerConfig).workerId });
      } catch (err) {
        error = toWireError(err);
      }
    }
    this.post(error ? { t: "stopped", error } : { t: "stopped" });
    this.flush();
    this.finish(0);
  }

  private finish(code: number): void {
    if (this.heartbeat !== undefined) clearInterval(this.heartbeat);
    this.endpoint.exit(code);
  }

  /** The latest progress of each running task since the last flush. */
  private readonly progressOf = new Map<number, unknown>();

  progress(id: number, value: unknown): void {
    if (!this.running.has(id)) return; // settled: never after its result
    this.progressOf.set(id, value);
    if (!this.flushQueued) {
      this.flushQueued = true;
      queueMicrotask(() => this.flush());
    }
  }

  /** Hand unstarted tasks back; moved inputs go back with their buffers, to be sent again. */
  private handBack(tasks: readonly Pending[]): void {
    const ids = tasks.map((p) => p.id);
    const moved = tasks.filter((p) => p.moved === 1);
    if (moved.length === 0) {
      this.post({ t: "returned", ids });
      return;
    }
    const inputs = moved.map((p) => ({ id: p.id, input: p.input }));
    this.post(
      { t: "returned", ids, inputs },
      moved.flatMap((p) => movablesIn(p.input)),
    );
  }

  /** What moves with a message of the outbox (moved results and inputs), by message. */
  private outboxMoves: Map<FromWorker, readonly Movable[]> | undefined;

  private post(msg: FromWorker, moves?: readonly Movable[]): void {
    this.outbox.push(msg);
    if (moves !== undefined && moves.length > 0) {
      this.outboxMoves ??= new Map();
      this.outboxMoves.set(msg, moves);
    }
    if (!this.flushQueued) {
      this.flushQueued = true;
      queueMicrotask(() => this.flush());
    }
  }

  /** Send the outbox; a message the channel cannot carry fails only its own task. */
  flush(): void {
    this.flushQueued = false;
    if (this.unacked.length > 0) {
      // Starts of tasks that settled meanwhile need no word: their result says it. Most fast
      // tasks settle before the flush, so the list is built only once one is still running.
      let ids: number[] | undefined;
      for (const id of this.unacked) {
        if (!this.running.has(id)) continue;
        if (ids === undefined) ids = [id];
        else ids.push(id);
      }
      this.unacked.length = 0;
      if (ids !== undefined) this.outbox.unshift({ t: "started", ids });
    }
    if (this.progressOf.size > 0) {
      // before the results: a task's progress never arrives after its own result
      const reports: FromWorker[] = [];
      for (const [id, value] of this.progressOf) if (this.running.has(id)) reports.push({ t: "progress", id, value });
      this.progressOf.clear();
      const at = this.outbox.length > 0 && this.outbox[0]?.t === "started" ? 1 : 0;
      this.outbox.splice(at, 0, ...reports);
    }
    if (this.outbox.length === 0) return;
    const batch = this.outbox;
    this.outbox = [];
    const moves = this.outboxMoves;
    this.outboxMoves = undefined;
    try {
      if (moves === undefined) this.endpoint.send(batch);
      else this.endpoint.send(batch, [...moves.values()].flat());
      return;
    } catch {
      // fall through: find the message(s) that cannot be sent
    }
    for (const msg of batch) {
      try {
        this.endpoint.send([msg], moves?.get(msg));
      } catch (err) {
        this.sendReplacement(msg, err);
      }
    }
  }

  private sendReplacement(msg: FromWorker, cause: unknown): void {
    const detail = cause instanceof Error ? cause.message : String(cause);
    if (msg.t === "ok" || msg.t === "err") {
      const what = msg.t === "ok" ? "result" : "error";
      const error = toWireError(new SerializationError(`the task's ${what} cannot be sent to the pool: ${detail}`));
      try {
        this.endpoint.send([{ t: "err", id: msg.id, error }]);
      } catch {
        // the channel itself is gone; the parent will see the exit
      }
    }
  }
}

/**
 * What an entry can do with a running worker side.
 * @internal (for the adapters' worker entries)
 */
export interface WorkerControl {
  /** Send everything posted so far now (call it before the worker exits abruptly). */
  flush(): void;
  /**
   * Task code called exit with `code`. "now": exit at once (everything was sent). "deferred":
   * do not exit; the worker exits by itself once its running tasks are done (the entry unwinds
   * the caller by throwing an {@link ExitRequest}).
   */
  exitRequested(code: number): ExitVerdict;
}

/** Run the worker side over `endpoint` until the parent stops it. */
export function runWorker(endpoint: WorkerEndpoint): WorkerControl {
  const runner = new WorkerRunner(endpoint);
  endpoint.listen((batch) => runner.receive(batch));
  return { flush: () => runner.flush(), exitRequested: (code) => runner.exitRequested(code) };
}
