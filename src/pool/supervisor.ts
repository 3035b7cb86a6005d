/**
 * The worker set and the owner of every worker's lifecycle (worker_lifecycle.ts): the adapter's
 * callbacks, the lifecycle messages and exits, keeping `size` workers, planned retirements. Its
 * parts live beside it: spawning (spawn_worker.ts), reading a batch (worker_batch.ts), the start
 * promise (start_gate.ts), make before break (replacements.ts), ages and memory (lifetimes.ts),
 * stops and kills (worker_stops.ts), what an exit reports (exit_report.ts), the target size
 * (elastic.ts), liveness (liveness.ts), back-off (restart_policy.ts). Tasks are not its business:
 * the engine gets the task messages and is told when a worker is gone ({@link SupervisorHost}).
 */
import type { Adapter, WorkerExit } from "../adapter.ts";
import type { FromWorker, ToWorker } from "../protocol.ts";
import { Elastic } from "./elastic.ts";
import type { BackoffDetail, PoolEmit, RetireReason } from "./events.ts";
import { exitReason, failedExit } from "./exit_outcome.ts";
import { exitDetail, gaveUp, startFailure } from "./exit_report.ts";
import { armLifetimes, overMemory } from "./lifetimes.ts";
import { responsive, SupervisionTick, silentAfter, silentWorkers } from "./liveness.ts";
import type { ResolvedOptions } from "./options.ts";
import { Replacements } from "./replacements.ts";
import { RestartPolicy } from "./restart_policy.ts";
import { DelayedSpawns, newSlot, startWorker, type WorkerCallbacks } from "./spawn_worker.ts";
import { StartGate } from "./start_gate.ts";
import type { PoolState } from "./stats.ts";
import { type BatchReader, readBatch } from "./worker_batch.ts";
import { alive, neverReady, serving } from "./worker_lifecycle.ts";
import type { WorkerSlot } from "./worker_slot.ts";
import { WorkerStops } from "./worker_stops.ts";

const now = (): number => performance.now();

/** What the supervisor needs from the engine (the task side). */
export interface SupervisorHost {
  readonly state: PoolState;
  readonly queuedCount: number;
  emit: PoolEmit;
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
  readonly emit: PoolEmit;
  workersStarted = 0;
  /** Workers killed because their channel carried something that is not a protocol batch. */
  channelErrors = 0;
  /** Messages on a shared channel that were not mpms's (ignored). */
  foreignMessages = 0;
  readonly retirements: Partial<Record<RetireReason, number>> = {};
  readonly restart: RestartPolicy;
  private nextWorkerId = 0;
  /** Spawns waiting out a back-off. */
  private readonly delayed = new DelayedSpawns();
  /** Make before break: replacements, standbys, the line for a recycling slot (replacements.ts). */
  private readonly replacements: Replacements;
  /** Stops, graceful dies and kills (worker_stops.ts). */
  private readonly stops: WorkerStops;
  private readonly tick = new SupervisionTick();
  /** close() stopped every worker: nothing new may start. */
  private stoppedAll = false;
  /** start() and whenEmpty() (start_gate.ts). */
  private readonly gate = new StartGate();
  /** The target size: resize(), and minWorkers .. maxWorkers (elastic.ts). */
  readonly elastic: Elastic;

  constructor(
    private readonly opts: ResolvedOptions,
    private readonly host: SupervisorHost,
  ) {
    this.emit = host.emit;
    this.elastic = new Elastic(opts, this);
    this.replacements = new Replacements({
      maxRecycling: opts.maxRecycling,
      accepting: () => this.accepting(),
      closing: () => host.state === "closing",
      spawn: (old) => this.spawn(old),
      stopWorker: (slot) => this.stopWorker(slot),
    });
    this.stops = new WorkerStops(opts, {
      adapter: () => this.adapter,
      emit: host.emit,
      replacements: this.replacements,
      send: (slot, msg) => host.send(slot, msg),
      accepting: () => this.accepting(),
      gaveUp: (slot, exit) => this.onExit(slot, exit, true),
    });
    this.restart = new RestartPolicy({
      intensity: opts.restartIntensity,
      period: opts.restartPeriod,
      initial: opts.backoffInitial,
      max: opts.backoffMax,
      factor: opts.backoffFactor,
    });
  }

  /** The target number of workers (elastic.ts moves it). */
  get size(): number {
    return this.elastic.size;
  }

  get state(): PoolState {
    return this.host.state;
  }

  /** Workers started for the target but not ready yet (spawned or waiting for back-off); not replacements. */
  starting(): number {
    let n = this.delayed.pending;
    for (const s of this.slots) if (s.life.phase === "starting" && s.replaces === null) n++;
    return n;
  }

  /** Workers the runtime could not stop, taken out of capacity. */
  get zombies(): number {
    return this.stops.zombies;
  }

  /** No worker is alive or about to be started. */
  get empty(): boolean {
    return this.slots.size === 0 && this.delayed.pending === 0;
  }

  /** Start the first workers: resolves once each ran init, rejects if one fails to start. */
  begin(adapter: Adapter): Promise<void> {
    this.adapter = adapter;
    const started = this.gate.begin();
    for (let i = 0; i < this.size; i++) this.gate.add(this.spawn());
    if (this.size === 0) {
      // minWorkers 0: running with no worker; the first submit scales up.
      this.host.onStarted();
      this.gate.resolve();
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
    this.gate.reject(error);
  }

  /** One of the first workers ran init, or retired before it did. */
  private initialDone(slot: WorkerSlot): void {
    if (!this.gate.done(slot, this.host.state === "starting")) return;
    this.host.onStarted();
    this.elastic.started();
    this.gate.resolve();
  }

  /** Resolves when no worker is alive or about to be started. */
  whenEmpty(): Promise<void> {
    return this.gate.whenEmpty(this.empty);
  }

  private checkEmpty(): void {
    this.gate.checkEmpty(this.empty);
  }

  end(): void {
    this.tick.stop();
    this.elastic.stop();
    this.cancelSpawns();
  }

  cancelSpawns(): void {
    this.delayed.cancel();
  }

  private spawn(replaces?: WorkerSlot): WorkerSlot {
    const slot = newSlot(++this.nextWorkerId, this.opts, now());
    if (replaces) {
      slot.replaces = replaces;
      replaces.replacement = slot;
    }
    this.slots.add(slot);
    const callbacks: WorkerCallbacks = {
      onMessages: (batch) => this.onMessages(slot, batch),
      onChannelError: (received) => this.onChannelError(slot, received),
      onForeignMessage: (received) => this.onForeignMessage(slot, received),
      onExit: (exit) => this.onExit(slot, exit),
    };
    startWorker(slot, this.adapter as Adapter, this.opts, callbacks, this.host.send.bind(this.host), () =>
      this.kill(slot, "start"),
    );
    return slot;
  }

  /** A batch from the worker (worker_batch.ts); then the engine may dispatch. */
  private onMessages(slot: WorkerSlot, received: unknown): void {
    if (slot.gone || slot.channelBroken) return;
    if (readBatch(slot, received, this.reader, now())) this.host.onCapacity();
  }

  private readonly reader: BatchReader = {
    channelError: (slot, problem) => this.onChannelError(slot, problem),
    ready: (slot) => this.ready(slot),
    memory: (slot, bytes) => this.memory(slot, bytes),
    tasks: (slot, msgs) => this.host.onTaskMessages(slot, msgs),
  };

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

    this.host.emit("workerexit", exitDetail(slot, exit, last, reason));
    if (slot.state === "zombie") this.host.emit("workerzombie", { workerId: slot.id, reason });

    const starting = this.host.state === "starting";
    // Retired before it ran init (recycle, resize): its replacement serves instead.
    if (wasStarting && starting && reason !== "start") this.initialDone(slot);
    if (wasStarting && starting && reason === "start") {
      this.exited(slot, reason, exit.error, ranTask);
      const err = startFailure(slot, exit);
      this.host.fail(err);
      this.gate.reject(err);
      this.checkEmpty();
      return;
    }
    this.exited(slot, reason, slot.startError ?? exit.error, ranTask);
    this.host.onCapacity();
    this.checkEmpty();
  }

  /** The worker ran `init`. */
  private ready(slot: WorkerSlot): void {
    const old = slot.replaces;
    // Started early for a worker that still serves: it waits, ready, until that one retires.
    const standby = this.replacements.standby(slot);
    if (!slot.step({ e: "ready", standby })) return; // a duplicate "ready"
    this.workersStarted++;
    slot.readyAt = now();
    if (!standby) slot.servingSince = slot.readyAt;
    this.replacements.spawnTook(slot.readyAt - slot.spawnedAt);
    armLifetimes(slot, this.opts, this.replacements.lead, this);
    this.host.emit("workerstart", { workerId: slot.id, pid: slot.handle.pid, threadId: slot.handle.threadId });
    if (old) this.replacements.ready(slot, old, standby);
    if (this.stoppedAll) this.stopWorker(slot); // started before close() stopped the others
    // start() resolves once each first worker has run init, even if one crashed since.
    this.initialDone(slot);
  }

  /** Memory reported by a heartbeat: retire a worker over the limit (not before minAge). */
  memory(slot: WorkerSlot, bytes: number): void {
    if (overMemory(slot, this.opts, bytes, now())) this.planRetire(slot, "memory", true);
  }

  /** Book-keeping after the engine settled the exited worker's tasks: replace it, count failures. */
  private exited(slot: WorkerSlot, reason: RetireReason, cause: unknown, ranTask: boolean): void {
    this.slots.delete(slot);
    this.retirements[reason] = (this.retirements[reason] ?? 0) + 1;
    this.replacements.gone(slot);
    if (failedExit(reason, slot.tasksDone, ranTask) && this.host.state !== "closed") {
      const failure = gaveUp(this.restart, now(), this.opts.restartPeriod, reason, cause);
      if (failure !== null) this.host.fail(failure);
    }
    this.ensureCapacity();
  }

  /** Whether replacements may start: not once close() has stopped the workers. */
  private accepting(state: PoolState = this.host.state): boolean {
    return !this.stoppedAll && (state === "running" || state === "closing" || state === "starting");
  }

  /** Keep `size` workers that take tasks (or will, once started). */
  ensureCapacity(): void {
    const state = this.host.state;
    if (!this.accepting(state)) return;
    if (state === "closing" && this.host.queuedCount === 0) return;
    let effective = this.delayed.pending;
    for (const s of this.slots) {
      if (alive(s.life) && (s.retiring === null || this.replacements.isDue(s))) effective++;
    }
    const delay = this.restart.delay();
    for (; effective < this.size; effective++) {
      if (delay === 0) {
        this.spawn();
        continue;
      }
      this.delayed.schedule(delay, () => {
        if (this.accepting()) this.spawn();
      });
      const detail: BackoffDetail = { delay, failures: this.restart.consecutive };
      this.host.emit("backoff", detail);
    }
  }

  /** Planned retirement: the worker takes no new tasks; a replacement starts first. */
  planRetire(slot: WorkerSlot, reason: RetireReason, handBack: boolean): void {
    if (!alive(slot.life) || !slot.step({ e: "retire", retire: { reason, handBack } })) return;
    this.host.emit("workerretire", { workerId: slot.id, reason });
    if (reason === "resize" || reason === "idle" || reason === "close" || !this.accepting()) {
      this.stopWorker(slot);
      return;
    }
    this.replacements.plan(slot);
  }

  /** Tasks a worker will still take while its replacement starts (see replacements.ts). */
  leadTasks(slot: WorkerSlot): number {
    return this.replacements.leadTasks(slot);
  }

  /** Make before break: start the replacement of a worker that will retire soon (replacements.ts). */
  prewarm(slot: WorkerSlot): void {
    this.replacements.prewarm(slot);
  }

  /** Ask the worker to finish, finalize and exit (worker_stops.ts). `close`: close() stops it. */
  stopWorker(slot: WorkerSlot, close = false): void {
    this.stops.stopWorker(slot, close);
  }

  /** Graceful die (worker_stops.ts); `boundRunning`: bound its running tasks by gracefulDie.timeout. */
  gracefulDie(slot: WorkerSlot, boundRunning = true): void {
    this.stops.gracefulDie(slot, boundRunning);
  }

  /** The worker has nothing left to run: `finalize` and exit must happen within stopTimeout. */
  armStopTimer(slot: WorkerSlot): void {
    this.stops.armStopTimer(slot);
  }

  /** Kill a worker now. `keepReason`: a planned stop that overran keeps its retirement reason. */
  kill(slot: WorkerSlot, reason: RetireReason, keepReason = false): void {
    this.stops.kill(slot, reason, keepReason);
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
    this.elastic.resize(workers);
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
