/**
 * The worker set and its supervision: spawning, keeping `size` workers, planned retirements
 * (replacement first, at most `maxRecycling` at once), graceful die, kills, heartbeats, crash-loop
 * back-off. Tasks are not its business: the engine settles them, through {@link SupervisorHost}.
 */
import type { Adapter, WorkerExit } from "./adapter.ts";
import { PoolUnavailableError, WorkerStartError } from "./errors.ts";
import type { BackoffDetail, RetireReason } from "./events.ts";
import type { ResolvedOptions } from "./options.ts";
import { PROTOCOL_VERSION, type ToWorker } from "./protocol.ts";
import { RestartPolicy } from "./restart_policy.ts";
import type { PoolState } from "./stats.ts";
import { timerDelay } from "./validate.ts";
import { WorkerSlot } from "./worker_slot.ts";

const now = (): number => performance.now();

/** A replacement starts this many spawn times early (spawn times vary under load). */
const PREWARM_MARGIN = 3;
/** The task rate of a worker counts once it served this long (ms). */
const PREWARM_MEASURE_MS = 50;

const isGone = (slot: WorkerSlot): boolean => slot.state === "exited" || slot.state === "zombie";

/** Exits that count toward the restart intensity and back-off. */
const FAILURES = new Set<RetireReason>(["crash", "start", "heartbeat", "channel"]);

/** What the supervisor needs from the engine. */
export interface SupervisorHost {
  readonly state: PoolState;
  readonly queuedCount: number;
  emit: import("./events.ts").PoolEmit;
  send(slot: WorkerSlot, msg: ToWorker): void;
  onMessages(slot: WorkerSlot, batch: unknown): void;
  /** The worker's channel carried something that is not a protocol batch. */
  onChannelError(slot: WorkerSlot, received: string): void;
  /** A message that is not mpms's arrived on a shared channel (ignored). */
  onForeignMessage(slot: WorkerSlot, received: string): void;
  onExit(slot: WorkerSlot, exit: WorkerExit): void;
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
  private tick: ReturnType<typeof setInterval> | undefined;
  private tickInterval = 0;
  private lastTick = 0;
  private skippedTick = false;
  /** close() stopped every worker: nothing new may start. */
  private stoppedAll = false;
  /** Moving average of spawn-to-ready times (ms): how early a replacement must start. */
  private spawnMs = -1;

  constructor(
    private readonly opts: ResolvedOptions,
    private readonly host: SupervisorHost,
  ) {
    this.size = opts.workers;
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

  begin(adapter: Adapter): void {
    this.adapter = adapter;
    for (let i = 0; i < this.size; i++) this.spawn().initial = true;
    const interval = this.opts.heartbeatInterval > 0 ? Math.min(this.opts.heartbeatInterval, 1000) : 0;
    if (interval > 0) {
      this.tickInterval = interval;
      this.lastTick = now();
      this.tick = setInterval(() => {
        this.checkHeartbeats();
        this.host.stealCheck();
      }, interval);
    }
  }

  end(): void {
    if (this.tick !== undefined) clearInterval(this.tick);
    this.tick = undefined;
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
        onMessages: (batch) => this.host.onMessages(slot, batch),
        onChannelError: (received) => this.host.onChannelError(slot, received),
        onForeignMessage: (received) => this.host.onForeignMessage(slot, received),
        onExit: (exit) => this.host.onExit(slot, exit),
      });
    } catch (error) {
      slot.handle = { pid: null, threadId: null, send() {}, kill() {} };
      queueMicrotask(() => this.host.onExit(slot, { code: null, signal: null, error }));
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
        if (slot.state !== "starting") return;
        slot.startError = new WorkerStartError(`worker ${slot.id} did not start within ${opts.startTimeout} ms`);
        this.kill(slot, "start");
      }, opts.startTimeout),
    );
    return slot;
  }

  /** The worker ran `init`. */
  ready(slot: WorkerSlot): void {
    if (slot.state !== "starting") return;
    const old = slot.replaces;
    // Started early for a worker that still serves: it waits, ready, until that one retires.
    const standby = old !== null && old.retiring === null && old.killReason === null && !isGone(old);
    slot.state = slot.retiring ? "retiring" : standby ? "standby" : "ready";
    this.workersStarted++;
    slot.readyAt = now();
    const took = slot.readyAt - slot.spawnedAt;
    this.spawnMs = this.spawnMs < 0 ? took : 0.8 * this.spawnMs + 0.2 * took;
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
  }

  /** Memory reported by a heartbeat: retire a worker over the limit (not before minAge). */
  memory(slot: WorkerSlot, bytes: number): void {
    slot.memory = bytes;
    if (bytes > this.opts.maxMemoryBytes && now() - slot.spawnedAt >= this.opts.minAge) {
      this.planRetire(slot, "memory", true);
    }
  }

  /** Why a worker that just exited stopped. */
  exitReason(slot: WorkerSlot, wasStarting: boolean): RetireReason {
    if (slot.killReason !== null && slot.killReason !== "heartbeat") return slot.killReason;
    if (wasStarting) return "start";
    if (slot.killReason) return slot.killReason;
    if (slot.stopSent) return slot.retiring ?? "close";
    return "crash";
  }

  /** Book-keeping after the engine settled the exited worker's tasks: replace it, count failures. */
  exited(slot: WorkerSlot, reason: RetireReason, cause: unknown): void {
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
    if (standby !== null && standby.state === "standby") this.takeOver(standby);
    const due = this.due.indexOf(slot);
    if (due >= 0) this.due.splice(due, 1);
    // A worker that served tasks and then stopped answering is no crash loop: do not count it.
    const failure = FAILURES.has(reason) && !(reason === "heartbeat" && slot.tasksDone > 0);
    if (failure && this.host.state !== "closed") {
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
      if (s.killReason === null && (s.retiring === null || this.due.includes(s))) effective++;
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
    if (slot.retiring !== null || slot.killReason !== null || slot.state === "exited" || slot.state === "zombie") {
      return;
    }
    slot.retiring = reason;
    slot.handBack = handBack;
    if (slot.state === "ready") slot.state = "retiring";
    this.host.emit("workerretire", { workerId: slot.id, reason });
    if (reason === "resize" || reason === "close" || !this.accepting(this.host.state)) {
      this.stopWorker(slot);
      return;
    }
    const early = slot.replacement;
    if (early !== null && !isGone(early) && early.killReason === null) {
      // Started early (prewarm): it takes over now if it is ready, else once it is (ready()).
      if (early.state === "standby") {
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
    if (slot.readyAt === 0 || this.spawnMs < 0) return 0;
    // Measured on settled tasks, over a while: the first sends fill the prefetch window at once.
    const served = now() - slot.readyAt;
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
    if (slot.replacement !== null || slot.retiring !== null || slot.killReason !== null) return;
    if (slot.state !== "ready" || !this.accepting(this.host.state) || this.host.state === "closing") return;
    if (this.recycling >= this.opts.maxRecycling) return;
    this.recycling++;
    this.spawn(slot);
  }

  /** A standby starts taking tasks (the engine pumps after the call that led here). */
  private takeOver(standby: WorkerSlot): void {
    standby.state = "ready";
    standby.replaces = null;
  }

  private nextDue(): void {
    while (this.due.length > 0 && this.recycling < this.opts.maxRecycling) {
      const slot = this.due.shift() as WorkerSlot;
      if (slot.state === "exited" || slot.state === "zombie" || slot.killReason !== null) continue;
      if (!this.accepting(this.host.state)) {
        this.stopWorker(slot);
        continue;
      }
      this.recycling++;
      this.spawn(slot);
    }
  }

  /** Ask the worker to finish (handing back unstarted tasks if so retiring), finalize and exit. */
  stopWorker(slot: WorkerSlot): void {
    if (slot.stopSent || slot.state === "exited" || slot.state === "zombie") return;
    if (slot.state === "starting") {
      // It has no task and has not run init: nothing to finish, so no finalize either.
      this.kill(slot, slot.retiring ?? "close");
      return;
    }
    slot.stopSent = true;
    slot.state = "stopping";
    this.host.send(slot, { t: "stop", handBack: slot.handBack });
    if (slot.outstanding.size === 0) this.armStopTimer(slot);
  }

  /** Graceful die: the worker already stopped taking tasks and handed back the unstarted ones. */
  gracefulDie(slot: WorkerSlot): void {
    if (slot.retiring === "gracefulDie" || slot.killReason !== null) return;
    const due = this.due.indexOf(slot);
    if (due >= 0) this.due.splice(due, 1);
    const early = slot.replacement;
    const hadReplacement =
      (early !== null && !isGone(early) && early.killReason === null) || (slot.retiring !== null && slot.stopSent);
    if (early !== null && early.state === "standby") this.takeOver(early);
    slot.retiring = "gracefulDie";
    slot.stopSent = true;
    slot.state = "stopping";
    this.host.emit("workerretire", { workerId: slot.id, reason: "gracefulDie" });
    if (!hadReplacement && this.accepting(this.host.state)) {
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
  armStopTimer(slot: WorkerSlot): void {
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
      slot.zombieCounted = true;
      this.zombies++;
    }
    // A runtime that never reports the exit must not hold the pool: give up after a bound. Armed
    // before kill(), since an exit reported from inside kill() clears the worker's timers.
    slot.timers.push(
      setTimeout(
        () => {
          if (slot.state === "exited" || slot.exitSeen) return;
          slot.zombie = true;
          if (!slot.zombieCounted) this.zombies++;
          slot.zombieCounted = true;
          this.host.onExit(slot, { code: null, signal: null, error: new Error("the worker did not exit after kill") });
        },
        timerDelay(Math.max(1000, this.opts.killGrace) + 1000),
      ),
    );
    // An unresponsive worker cannot run a SIGTERM handler (and a stopped one only gets SIGKILL).
    const grace = reason === "destroy" || reason === "heartbeat" ? 0 : Math.min(this.opts.killGrace, 1000);
    slot.handle.kill(grace);
  }

  /**
   * Whether the worker answered lately (a beat or any message within two beat periods). Unknown
   * without heartbeats: then it counts as not answering.
   */
  responsive(slot: WorkerSlot): boolean {
    const interval = this.opts.heartbeatInterval;
    return interval > 0 && now() - slot.lastSeen <= 2 * interval + 50;
  }

  /**
   * Liveness. A worker that holds tasks and misses beats is busy (a long synchronous task blocks
   * its event loop, which is what workers are for): it is killed only when its process is frozen
   * (stopped, as the adapter can tell), or past `heartbeat.maxBlocked` if set. An idle worker that
   * misses beats is stuck outside any task and is killed after `heartbeat.timeout`.
   */
  private checkHeartbeats(): void {
    const t = now();
    const late = t - this.lastTick > 2 * this.tickInterval + 50;
    this.lastTick = t;
    // The host's own event loop was blocked: beats that arrived meanwhile wait behind this timer,
    // so judge on the next tick, after they are read (once: a host that is always late still kills).
    if (late && !this.skippedTick) {
      this.skippedTick = true;
      return;
    }
    this.skippedTick = false;
    for (const slot of this.slots) {
      if (slot.state === "starting" || slot.killSent) continue;
      const silent = t - slot.lastSeen;
      if (silent <= this.opts.heartbeatTimeout) continue;
      // Busy and silent: only a process that does not run at all (stopped) is dead.
      if (slot.outstanding.size === 0 || silent > this.opts.heartbeatMaxBlocked || slot.handle.frozen?.() === true) {
        this.kill(slot, "heartbeat");
      }
    }
  }

  resize(workers: number): void {
    this.size = workers;
    const state = this.host.state;
    // Before the first workers are up, the new size applies once start() completes (started()).
    if (state === "idle" || state === "starting") return;
    const active = [...this.slots].filter((s) => s.retiring === null && s.killReason === null);
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
    const active = [...this.slots].filter((s) => s.retiring === null && s.killReason === null).length;
    if (active !== this.size) this.resize(this.size);
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

  /** close(): stop every worker after its tasks (starting ones are killed). */
  stopAll(): void {
    this.stoppedAll = true;
    this.cancelSpawns();
    for (const slot of this.slots) {
      if (slot.retiring === null) slot.retiring = "close";
      this.stopWorker(slot);
    }
  }
}
