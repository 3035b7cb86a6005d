/**
 * The worker set and its supervision: spawning, the start promise, keeping `size` workers,
 * planned retirements (replacement first, at most `maxRecycling` at once), graceful die, kills,
 * liveness (liveness.ts), crash-loop back-off. It owns every worker's lifecycle (worker_lifecycle.ts): the
 * adapter's callbacks come here, and the lifecycle messages (`ready`, `initError`, `hb`,
 * `stopped`) and exits are handled here. Tasks are not its business: the engine gets the task
 * messages and is told when a worker is gone, through {@link SupervisorHost}.
 */
import type { Adapter, WorkerExit } from "../adapter.ts";
import { PoolUnavailableError, WorkerStartError } from "../errors.ts";
import { type FromWorker, PROTOCOL_VERSION, type ToWorker } from "../protocol.ts";
import { timerDelay } from "../util/validate.ts";
import { fromWireError } from "../wire_error.ts";
import { checkBatch } from "./channel.ts";
import { Elastic } from "./elastic.ts";
import type { BackoffDetail, RetireReason, WorkerExitDetail } from "./events.ts";
import { exitReason, failedExit, plannedExit } from "./exit_outcome.ts";
import { responsive, SupervisionTick, silentAfter, silentWorkers } from "./liveness.ts";
import type { ResolvedOptions } from "./options.ts";
import { RestartPolicy } from "./restart_policy.ts";
import type { PoolState } from "./stats.ts";
import { alive, type Lifecycle, neverReady, retireOf, serving, stopSent } from "./worker_lifecycle.ts";
import { WorkerSlot } from "./worker_slot.ts";

const now = (): number => performance.now();

/** A replacement starts this many spawn times early (spawn times vary under load). */
const PREWARM_MARGIN = 3;
/** The task rate of a worker counts once it served this long (ms). */
const PREWARM_MEASURE_MS = 50;

/** What the supervisor needs from the engine (the task side). */
export interface SupervisorHost {
  readonly state: PoolState;
  readonly queuedCount: number;
  emit: import("./events.ts").PoolEmit;
  send(slot: WorkerSlot, msg: ToWorker): void;
  /**
   * A worker's task messages, in order: `started`, `ok`, `err`, `returned`, `exiting`, and `hb`
   * (for its list of held tasks). Lifecycle messages between them were handled already.
   */
  onTaskMessages(slot: WorkerSlot, msgs: FromWorker[]): void;
  /** The worker exited (its lifecycle says how): settle or re-queue its tasks. */
  onWorkerGone(slot: WorkerSlot, exit: WorkerExit): void;
  /** Workers may take tasks now: dispatch. */
  onCapacity(): void;
  /** The first workers ran init: the pool runs. */
  onStarted(): void;
  /** Each supervision tick (with heartbeats on): take prefetched tasks from stuck workers. */
  stealCheck(): void;
  /** The pool can no longer run tasks. */
  fail(error: Error): void;
}

export class Supervisor {
  readonly slots = new Set<WorkerSlot>();
  adapter: Adapter | undefined;
  size: number;
  workersStarted = 0;
  zombies = 0;
  /** Workers killed because their channel carried something that is not a protocol batch. */
  channelErrors = 0;
  /** Messages on a shared channel that were not mpms's (ignored). */
  foreignMessages = 0;
  readonly retirements: Partial<Record<RetireReason, number>> = {};
  readonly restart: RestartPolicy;
  private nextWorkerId = 0;
  private pendingSpawns = 0;
  private readonly spawnTimers = new Set<ReturnType<typeof setTimeout>>();
  private recycling = 0;
  /** Workers due for a planned retirement, waiting for a recycling slot (still counted as capacity). */
  private readonly due: WorkerSlot[] = [];
  private readonly tick = new SupervisionTick();
  /** close() stopped every worker: nothing new may start. */
  private stoppedAll = false;
  /** Moving average of spawn-to-ready times (ms): how early a replacement must start. */
  private spawnMs = -1;
  /** The first workers, until each ran init (or retired before): start() waits for them. */
  private readonly initial = new Set<WorkerSlot>();
  private startWait: { resolve: () => void; reject: (e: unknown) => void } | undefined;
  private emptyWaiters: (() => void)[] = [];
  /** minWorkers .. maxWorkers: moves `size` (elastic.ts). */
  readonly elastic: Elastic;

  constructor(
    private readonly opts: ResolvedOptions,
    private readonly host: SupervisorHost,
  ) {
    this.size = opts.workers;
    const sup = this; // the elastic logic's view of the worker set
    this.elastic = new Elastic(opts.minWorkers, opts.maxWorkers, opts.idleTimeout, {
      get size() {
        return sup.size;
      },
      set size(n: number) {
        sup.size = n;
      },
      slots: this.slots,
      get state() {
        return host.state;
      },
      concurrency: opts.concurrency,
      emit: host.emit,
      starting: () => {
        let n = this.pendingSpawns;
        for (const s of this.slots) if (s.life.phase === "starting" && s.replaces === null) n++;
        return n;
      },
      ensureCapacity: () => this.ensureCapacity(),
      retireIdle: (slot) => this.planRetire(slot, "idle", true),
    });
    this.restart = new RestartPolicy({
      intensity: opts.restartIntensity,
      period: opts.restartPeriod,
      initial: opts.backoffInitial,
      max: opts.backoffMax,
      factor: opts.backoffFactor,
    });
  }

  /** No worker is alive or about to be started. */
  get empty(): boolean {
    return this.slots.size === 0 && this.pendingSpawns === 0;
  }

  /** Start the first workers: resolves once each ran init, rejects if one fails to start. */
  begin(adapter: Adapter): Promise<void> {
    this.adapter = adapter;
    const started = new Promise<void>((resolve, reject) => {
      this.startWait = { resolve, reject };
    });
    for (let i = 0; i < this.size; i++) this.initial.add(this.spawn());
    if (this.size === 0) {
      // minWorkers 0: running with no worker; the first submit scales up.
      this.host.onStarted();
      this.startWait?.resolve();
    }
    this.tick.start(
      this.opts.heartbeatInterval,
      (t) => {
        for (const slot of silentWorkers(this.slots, this.opts, t)) this.kill(slot, "heartbeat");
      },
      () => this.host.stealCheck(),
    );
    return started;
  }

  /** start() fails with `error` (destroy() while starting). */
  abortStart(error: unknown): void {
    this.startWait?.reject(error);
  }

  /** One of the first workers ran init, or retired before it did. */
  private initialDone(slot: WorkerSlot): void {
    if (!this.initial.delete(slot) || this.host.state !== "starting" || this.initial.size > 0) return;
    this.host.onStarted();
    this.started();
    this.startWait?.resolve();
  }

  /** Resolves when no worker is alive or about to be started. */
  whenEmpty(): Promise<void> {
    return new Promise((resolve) => {
      this.emptyWaiters.push(resolve);
      this.checkEmpty();
    });
  }

  private checkEmpty(): void {
    if (this.empty) for (const w of this.emptyWaiters.splice(0)) w();
  }

  end(): void {
    this.tick.stop();
    this.elastic.stop();
    this.cancelSpawns();
  }

  cancelSpawns(): void {
    for (const timer of this.spawnTimers) clearTimeout(timer);
    this.spawnTimers.clear();
    this.pendingSpawns = 0;
  }

  private spawn(replaces?: WorkerSlot): WorkerSlot {
    const opts = this.opts;
    const slot = new WorkerSlot(++this.nextWorkerId, now());
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
        onChannelError: (received) => this.onChannelError(slot, received),
        onForeignMessage: (received) => this.onForeignMessage(slot, received),
        onExit: (exit) => this.onExit(slot, exit),
      });
    } catch (error) {
      slot.handle = { pid: null, threadId: null, send() {}, kill() {} };
      queueMicrotask(() => this.onExit(slot, { code: null, signal: null, error }));
      return slot;
    }
    this.host.send(slot, {
      t: "init",
      config: {
        protocol: PROTOCOL_VERSION,
        module: opts.module.href,
        workerId: slot.id,
        concurrency: opts.concurrency,
        heartbeat: opts.heartbeatInterval,
        dieErrors: opts.gracefulDieErrors,
      },
    });
    slot.timers.push(
      setTimeout(() => {
        if (slot.life.phase !== "starting") return;
        slot.startError = new WorkerStartError(`worker ${slot.id} did not start within ${opts.startTimeout} ms`);
        this.kill(slot, "start");
      }, opts.startTimeout),
    );
    return slot;
  }

  // ---------------------------------------------------------------- the adapter's callbacks

  /**
   * A batch from the worker: checked (the channel is hostile input), then read in order, the
   * lifecycle messages here and the runs of task messages between them by the engine.
   */
  private onMessages(slot: WorkerSlot, received: unknown): void {
    if (slot.gone || slot.channelBroken) return;
    const problem = checkBatch(received, (id) => slot.outstanding.has(id) || slot.late.has(id));
    if (problem !== null) {
      this.onChannelError(slot, problem);
      return;
    }
    slot.lastSeen = now();
    let tasks: FromWorker[] = [];
    const handOver = (): void => {
      if (tasks.length === 0) return;
      this.host.onTaskMessages(slot, tasks);
      tasks = [];
    };
    for (const msg of received as FromWorker[]) {
      switch (msg.t) {
        case "ready":
          handOver();
          this.ready(slot);
          break;
        case "initError":
          slot.startError = new WorkerStartError(`worker ${slot.id} failed to start: ${msg.error.message}`, {
            cause: fromWireError(msg.error),
          });
          break;
        case "stopped":
          handOver();
          slot.step({ e: "stopped" });
          break;
        case "hb":
          handOver();
          this.memory(slot, msg.mem);
          if (msg.held !== undefined) tasks.push(msg); // what it holds: the engine's to check
          break;
        default:
          tasks.push(msg);
      }
    }
    handOver();
    this.host.onCapacity();
  }

  /** The channel carried something that is not a protocol batch: the worker is killed. */
  onChannelError(slot: WorkerSlot, received: string, kind: "invalid" | "lost" = "invalid"): void {
    if (slot.gone || slot.channelBroken) return;
    slot.channelBroken = true;
    this.channelErrors++;
    this.host.emit("channel", { workerId: slot.id, kind, received });
    this.kill(slot, "channel");
  }

  /** A task's own message on a channel mpms shares with it: ignored, counted, reported. */
  private onForeignMessage(slot: WorkerSlot, received: string): void {
    this.foreignMessages++;
    this.host.emit("channel", { workerId: slot.id, kind: "foreign", received });
  }

  /**
   * The worker is gone (or given up on after a kill: `gaveUp`). The engine settles or re-queues
   * its tasks first; then the exit is reported, counted, and the worker replaced.
   */
  private onExit(slot: WorkerSlot, exit: WorkerExit, gaveUp = false): void {
    const last = slot.life;
    if (!slot.step({ e: "exit", zombie: gaveUp })) return;
    slot.clearTimers();
    const wasStarting = neverReady(last);
    const reason = exitReason(last);
    // Read before the engine settles them: a crash while running a task is that task's outcome.
    const ranTask = slot.runsTask;
    this.host.onWorkerGone(slot, exit);

    const detail: WorkerExitDetail = {
      workerId: slot.id,
      code: exit.code,
      signal: exit.signal,
      reason,
      planned: plannedExit(last),
    };
    if (exit.error !== undefined) detail.error = exit.error;
    this.host.emit("workerexit", detail);
    if (slot.state === "zombie") this.host.emit("workerzombie", { workerId: slot.id, reason });

    const starting = this.host.state === "starting";
    // Retired before it ran init (recycle, resize): its replacement serves instead.
    if (wasStarting && starting && reason !== "start") this.initialDone(slot);
    if (wasStarting && starting && reason === "start") {
      this.exited(slot, reason, exit.error, ranTask);
      const err =
        (slot.startError as Error | undefined) ??
        new WorkerStartError(`worker ${slot.id} exited during start (code ${exit.code}, signal ${exit.signal})`, {
          cause: exit.error,
        });
      this.host.fail(err);
      this.startWait?.reject(err);
      this.checkEmpty();
      return;
    }
    this.exited(slot, reason, slot.startError ?? exit.error, ranTask);
    this.host.onCapacity();
    this.checkEmpty();
  }

  // ---------------------------------------------------------------- lifecycle

  /** The worker ran `init`. */
  private ready(slot: WorkerSlot): void {
    const old = slot.replaces;
    // Started early for a worker that still serves: it waits, ready, until that one retires.
    const standby = old !== null && serving(old.life);
    if (!slot.step({ e: "ready", standby })) return; // a duplicate "ready"
    this.workersStarted++;
    slot.readyAt = now();
    if (!standby) slot.servingSince = slot.readyAt;
    const took = slot.readyAt - slot.spawnedAt;
    // Fast up, slow down: a slower spawn counts at once (a loaded machine), a faster one a
    // little at a time, so a replacement started early is ready in time.
    this.spawnMs = this.spawnMs < 0 ? took : Math.max(took, 0.8 * this.spawnMs + 0.2 * took);
    // Ages count from ready: start-up is bounded by startTimeout, and a worker must get to serve.
    const opts = this.opts;
    if (opts.maxAge !== Number.POSITIVE_INFINITY) {
      // make before break: the replacement starts early enough to be ready at maxAge
      const early = opts.maxAge - PREWARM_MARGIN * Math.max(this.spawnMs, 0);
      if (early > 0) slot.timers.push(setTimeout(() => this.prewarm(slot), early));
      slot.timers.push(setTimeout(() => this.planRetire(slot, "maxAge", true), opts.maxAge));
    }
    if (opts.maxAgeHard !== Number.POSITIVE_INFINITY) {
      slot.timers.push(setTimeout(() => this.kill(slot, "maxAgeHard"), opts.maxAgeHard));
    }
    this.host.emit("workerstart", { workerId: slot.id, pid: slot.handle.pid, threadId: slot.handle.threadId });
    if (old) {
      this.recycling--;
      if (!standby) {
        // The replacement is ready: only now does the worker it replaces stop.
        slot.replaces = null;
        this.stopWorker(old);
      }
      this.nextDue();
    }
    if (this.stoppedAll) this.stopWorker(slot); // started before close() stopped the others
    // start() resolves once each first worker has run init, even if one crashed since.
    this.initialDone(slot);
  }

  /** Memory reported by a heartbeat: retire a worker over the limit (not before minAge). */
  memory(slot: WorkerSlot, bytes: number): void {
    slot.memory = bytes;
    if (bytes > this.opts.maxMemoryBytes && now() - slot.spawnedAt >= this.opts.minAge) {
      this.planRetire(slot, "memory", true);
    }
  }

  /** Book-keeping after the engine settled the exited worker's tasks: replace it, count failures. */
  private exited(slot: WorkerSlot, reason: RetireReason, cause: unknown, ranTask: boolean): void {
    this.slots.delete(slot);
    this.retirements[reason] = (this.retirements[reason] ?? 0) + 1;
    if (slot.replaces) {
      // A replacement that never became ready (or a standby): a retiring worker it replaces
      // stops anyway; one that still serves gets a new replacement when it retires.
      const old = slot.replaces;
      slot.replaces = null;
      old.replacement = null;
      if (slot.readyAt === 0) this.recycling--; // a ready one was counted out at ready()
      if (old.retiring !== null) this.stopWorker(old);
      this.nextDue();
    }
    // The worker a standby waited for is gone: the standby takes over.
    const standby = slot.replacement;
    if (standby !== null && standby.life.phase === "standby") this.takeOver(standby);
    const due = this.due.indexOf(slot);
    if (due >= 0) this.due.splice(due, 1);
    if (failedExit(reason, slot.tasksDone, ranTask) && this.host.state !== "closed") {
      const count = this.restart.failed(now());
      if (count > 0) {
        this.host.fail(
          new PoolUnavailableError(
            `workers failed ${count} times within ${this.opts.restartPeriod} ms (last: ${reason}); the pool gave up`,
            { cause },
          ),
        );
      }
    }
    this.ensureCapacity();
  }

  /** Whether replacements may start: not once close() has stopped the workers. */
  private accepting(state: PoolState): boolean {
    return !this.stoppedAll && (state === "running" || state === "closing" || state === "starting");
  }

  /** Keep `size` workers that take tasks (or will, once started). */
  ensureCapacity(): void {
    const state = this.host.state;
    if (!this.accepting(state)) return;
    if (state === "closing" && this.host.queuedCount === 0) return;
    let effective = this.pendingSpawns;
    for (const s of this.slots) {
      if (alive(s.life) && (s.retiring === null || this.due.includes(s))) effective++;
    }
    const delay = this.restart.delay();
    for (; effective < this.size; effective++) {
      if (delay === 0) {
        this.spawn();
        continue;
      }
      this.pendingSpawns++;
      const detail: BackoffDetail = { delay, failures: this.restart.consecutive };
      this.host.emit("backoff", detail);
      const timer = setTimeout(() => {
        this.spawnTimers.delete(timer);
        this.pendingSpawns--;
        if (this.accepting(this.host.state)) this.spawn();
      }, delay);
      this.spawnTimers.add(timer);
    }
  }

  /** Planned retirement: the worker takes no new tasks; a replacement starts first. */
  planRetire(slot: WorkerSlot, reason: RetireReason, handBack: boolean): void {
    if (!alive(slot.life) || !slot.step({ e: "retire", retire: { reason, handBack } })) return;
    this.host.emit("workerretire", { workerId: slot.id, reason });
    if (reason === "resize" || reason === "idle" || reason === "close" || !this.accepting(this.host.state)) {
      this.stopWorker(slot);
      return;
    }
    const early = slot.replacement;
    if (early !== null && alive(early.life)) {
      // Started early (prewarm): it takes over now if it is ready, else once it is (ready()).
      if (early.life.phase === "standby") {
        this.takeOver(early);
        this.stopWorker(slot);
      }
      return;
    }
    slot.replacement = null;
    if (this.recycling >= this.opts.maxRecycling) {
      this.due.push(slot);
      return;
    }
    this.recycling++;
    this.spawn(slot);
  }

  /**
   * Tasks a worker will still take while its replacement starts (its task rate times the
   * measured spawn time, with a margin): a worker this close to `maxTasks` gets one now.
   */
  leadTasks(slot: WorkerSlot): number {
    if (slot.servingSince === 0 || this.spawnMs < 0) return 0;
    // Measured on settled tasks, over a while: the first sends fill the prefetch window at once.
    // From when it began to serve: a standby's wait would make its rate look slow and its
    // replacement start late.
    const served = now() - slot.servingSince;
    if (served < PREWARM_MEASURE_MS || slot.tasksDone < 2) return 0;
    return Math.ceil((slot.tasksDone / served) * this.spawnMs * PREWARM_MARGIN) + 1;
  }

  /**
   * Make before break: start the replacement of a worker that will retire soon (near
   * `maxTasks` or `maxAge`) while it still serves, so that the workers taking tasks never drop
   * below `workers`. Counts toward `maxRecycling`; when no recycling slot is free, the
   * retirement starts its replacement as before.
   */
  prewarm(slot: WorkerSlot): void {
    if (slot.replacement !== null || slot.life.phase !== "ready") return;
    if (!this.accepting(this.host.state) || this.host.state === "closing") return;
    if (this.recycling >= this.opts.maxRecycling) return;
    this.recycling++;
    this.spawn(slot);
  }

  /** A standby starts taking tasks (the engine pumps after the call that led here). */
  private takeOver(standby: WorkerSlot): void {
    standby.step({ e: "takeOver" });
    standby.servingSince = now();
    standby.replaces = null;
  }

  private nextDue(): void {
    while (this.due.length > 0 && this.recycling < this.opts.maxRecycling) {
      const slot = this.due.shift() as WorkerSlot;
      if (!alive(slot.life)) continue;
      if (!this.accepting(this.host.state)) {
        this.stopWorker(slot);
        continue;
      }
      this.recycling++;
      this.spawn(slot);
    }
  }

  /**
   * Ask the worker to finish (handing back unstarted tasks if so retiring), finalize and exit.
   * `close`: close() stops it, its retirement if it had none.
   */
  stopWorker(slot: WorkerSlot, close = false): void {
    if (!alive(slot.life)) return;
    if (slot.life.phase === "starting") {
      // It has no task and has not run init: nothing to finish, so no finalize either.
      this.kill(slot, slot.retiring ?? "close");
      return;
    }
    if (!slot.step({ e: "stop", close })) return; // stopping already
    this.host.send(slot, { t: "stop", handBack: retireOf(slot.life)?.handBack ?? false });
    if (slot.outstanding.size === 0) this.armStopTimer(slot);
  }

  /**
   * Graceful die: the worker already stopped taking tasks and handed back the unstarted ones.
   * `boundRunning`: kill it if its running tasks outlast gracefulDie.timeout. A stray exit (a
   * settled task's timer called exit) passes false: the tasks still running there did nothing
   * wrong, so only their own timeouts (and liveness) bound them, as on any other worker.
   */
  gracefulDie(slot: WorkerSlot, boundRunning = true): void {
    const before: Lifecycle = slot.life;
    // Killed meanwhile: only its record changes (it stops by itself, which the exit will tell).
    if (!slot.step({ e: "gracefulDie" }) || !alive(before)) return;
    const due = this.due.indexOf(slot);
    if (due >= 0) this.due.splice(due, 1);
    const early = slot.replacement;
    const hadReplacement = (early !== null && alive(early.life)) || (retireOf(before) !== null && stopSent(before));
    if (early !== null && early.life.phase === "standby") this.takeOver(early);
    this.host.emit("workerretire", { workerId: slot.id, reason: "gracefulDie" });
    if (!hadReplacement && this.accepting(this.host.state)) {
      this.recycling++;
      this.spawn(slot);
    }
    if (slot.outstanding.size === 0) this.armStopTimer(slot);
    if (!boundRunning) return;
    slot.timers.push(
      setTimeout(() => {
        if (slot.outstanding.size > 0) this.kill(slot, "gracefulDie");
      }, this.opts.gracefulDieTimeout),
    );
  }

  /** The worker has nothing left to run: `finalize` and exit must happen within stopTimeout. */
  armStopTimer(slot: WorkerSlot): void {
    if (slot.life.phase !== "stopping" || !slot.step({ e: "armStop" })) return;
    slot.timers.push(
      setTimeout(() => {
        if (!slot.gone) this.kill(slot, slot.retiring ?? "close", true);
      }, this.opts.stopTimeout),
    );
  }

  /** Kill a worker now. `keepReason`: a planned stop that overran keeps its retirement reason. */
  kill(slot: WorkerSlot, reason: RetireReason, keepReason = false): void {
    if (!alive(slot.life)) return;
    // The runtime cannot stop a busy worker: take it out of capacity and say so.
    const zombie = !this.adapter?.canKillBusy && slot.outstanding.size > 0;
    slot.step({ e: "kill", reason: keepReason ? null : reason, zombie });
    if (zombie) this.zombies++;
    // A runtime that never reports the exit must not hold the pool: give up after a bound. Armed
    // before kill(), since an exit reported from inside kill() clears the worker's timers.
    slot.timers.push(
      setTimeout(
        () => {
          if (slot.gone) return;
          if (slot.life.phase !== "killed" || !slot.life.zombie) this.zombies++;
          this.onExit(slot, { code: null, signal: null, error: new Error("the worker did not exit after kill") }, true);
        },
        timerDelay(Math.max(1000, this.opts.killGrace) + 1000),
      ),
    );
    // An unresponsive worker cannot run a SIGTERM handler (and a stopped one only gets SIGKILL).
    const grace = reason === "destroy" || reason === "heartbeat" ? 0 : Math.min(this.opts.killGrace, 1000);
    slot.handle.kill(grace);
  }

  /** Whether the worker answered lately (see {@link responsive}). */
  responsive(slot: WorkerSlot): boolean {
    return responsive(slot, this.opts.heartbeatInterval);
  }

  /** How long a worker may say nothing and still count as answering (ms). */
  get silentAfter(): number {
    return silentAfter(this.opts.heartbeatInterval);
  }

  resize(workers: number): void {
    this.elastic.resized(workers);
    this.size = workers;
    const state = this.host.state;
    // Before the first workers are up, the new size applies once start() completes (started()).
    if (state === "idle" || state === "starting") return;
    const active = [...this.slots].filter((s) => serving(s.life));
    if (active.length < workers) {
      this.ensureCapacity();
      return;
    }
    // Retire the least busy workers first.
    active.sort((a, b) => a.outstanding.size - b.outstanding.size);
    for (let i = 0; i < active.length - workers; i++) this.planRetire(active[i] as WorkerSlot, "resize", true);
  }

  /** The first workers are up: apply a resize() that came while the pool was starting. */
  started(): void {
    const active = [...this.slots].filter((s) => serving(s.life)).length;
    if (active !== this.size) this.resize(this.size);
  }

  recycle(workerId: number): boolean {
    for (const slot of this.slots) {
      if (slot.id === workerId && serving(slot.life)) {
        this.planRetire(slot, "recycle", true);
        return true;
      }
    }
    return false;
  }

  /** close(): stop every worker after its tasks (starting ones are killed). */
  stopAll(): void {
    this.stoppedAll = true;
    this.elastic.stop();
    this.cancelSpawns();
    for (const slot of this.slots) this.stopWorker(slot, true);
  }
}
