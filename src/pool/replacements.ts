/**
 * Make before break: a planned retirement starts the replacement first and stops the old worker
 * only once the replacement is ready, so the workers taking tasks never drop below the target.
 * This file keeps the book of it: at most `maxRecycling` replacements in progress, the line of
 * workers due for one, replacements started early (prewarm, near `maxTasks` or `maxAge`), the
 * standby that waits, ready, for the worker it replaces, and its takeover. The supervisor owns the
 * lifecycles and does the spawning and stopping ({@link ReplacementHost}).
 */
import type { Lifecycle } from "./worker_lifecycle.ts";
import { alive, retireOf, serving, stopSent } from "./worker_lifecycle.ts";
import type { WorkerSlot } from "./worker_slot.ts";

const now = (): number => performance.now();

/** A replacement starts this many spawn times early (spawn times vary under load). */
const PREWARM_MARGIN = 3;
/** The task rate of a worker counts once it served this long (ms). */
const PREWARM_MEASURE_MS = 50;

/** What replacement planning needs from the supervisor. */
export interface ReplacementHost {
  readonly maxRecycling: number;
  /** Whether new workers may start (not once close() stopped them all). */
  accepting(): boolean;
  /** The pool is closing: no replacement starts early. */
  closing(): boolean;
  /** Start a worker that replaces `old`. */
  spawn(old: WorkerSlot): void;
  /** Ask a worker to finish, finalize and exit. */
  stopWorker(slot: WorkerSlot): void;
}

export class Replacements {
  /** Replacements in progress (started, not ready yet). */
  private recycling = 0;
  /** Workers due for a planned retirement, waiting for a recycling slot (still counted as capacity). */
  private readonly due: WorkerSlot[] = [];
  /** Moving average of spawn-to-ready times (ms): how early a replacement must start. */
  private spawnMs = -1;

  constructor(private readonly host: ReplacementHost) {}

  /** A worker took `ms` from spawn to ready. */
  spawnTook(ms: number): void {
    // Fast up, slow down: a slower spawn counts at once (a loaded machine), a faster one a
    // little at a time, so a replacement started early is ready in time.
    this.spawnMs = this.spawnMs < 0 ? ms : Math.max(ms, 0.8 * this.spawnMs + 0.2 * ms);
  }

  /** How long before its end a worker's replacement starts (ms): a margin of spawn times. */
  get lead(): number {
    return PREWARM_MARGIN * Math.max(this.spawnMs, 0);
  }

  /** Waits for a recycling slot: it still counts as capacity. */
  isDue(slot: WorkerSlot): boolean {
    return this.due.includes(slot);
  }

  /**
   * A retirement (marked already) that keeps the count: the replacement started early takes
   * over, or one starts now, or the worker waits in line for a recycling slot.
   */
  plan(slot: WorkerSlot): void {
    const early = slot.replacement;
    if (early !== null && alive(early.life)) {
      // Started early (prewarm): it takes over now if it is ready, else once it is (ready()).
      if (early.life.phase === "standby") {
        this.takeOver(early);
        this.host.stopWorker(slot);
      }
      return;
    }
    slot.replacement = null;
    if (this.recycling >= this.host.maxRecycling) {
      this.due.push(slot);
      return;
    }
    this.replace(slot);
  }

  /** Start the replacement of `slot` now (it counts toward `maxRecycling`). */
  replace(slot: WorkerSlot): void {
    this.recycling++;
    this.host.spawn(slot);
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
   * Start the replacement of a worker that will retire soon (near `maxTasks` or `maxAge`) while
   * it still serves, so that the workers taking tasks never drop below `workers`. Counts toward
   * `maxRecycling`; when no recycling slot is free, the retirement starts its replacement as before.
   */
  prewarm(slot: WorkerSlot): void {
    if (slot.replacement !== null || slot.life.phase !== "ready") return;
    if (!this.host.accepting() || this.host.closing()) return;
    if (this.recycling >= this.host.maxRecycling) return;
    this.replace(slot);
  }

  /** Whether a worker that is getting ready must wait as a standby: the one it replaces still serves. */
  standby(slot: WorkerSlot): boolean {
    const old = slot.replaces;
    return old !== null && serving(old.life);
  }

  /** A replacement ran init (`standby`: it waits until the worker it replaces retires). */
  ready(slot: WorkerSlot, old: WorkerSlot, standby: boolean): void {
    this.recycling--;
    if (!standby) {
      // The replacement is ready: only now does the worker it replaces stop.
      slot.replaces = null;
      this.host.stopWorker(old);
    }
    this.nextDue();
  }

  /** A worker exited: what it replaced, what waited for it, and its place in line. */
  gone(slot: WorkerSlot): void {
    if (slot.replaces) {
      // A replacement that never became ready (or a standby): a retiring worker it replaces
      // stops anyway; one that still serves gets a new replacement when it retires.
      const old = slot.replaces;
      slot.replaces = null;
      old.replacement = null;
      if (slot.readyAt === 0) this.recycling--; // a ready one was counted out at ready()
      if (old.retiring !== null) this.host.stopWorker(old);
      this.nextDue();
    }
    // The worker a standby waited for is gone: the standby takes over.
    const standby = slot.replacement;
    if (standby !== null && standby.life.phase === "standby") this.takeOver(standby);
    this.leaveLine(slot);
  }

  /**
   * A graceful die (the step taken already; `before`: its lifecycle before): its standby takes
   * over. Returns whether it has a replacement (started, or its stop was sent after one was ready).
   */
  dying(slot: WorkerSlot, before: Lifecycle): boolean {
    this.leaveLine(slot);
    const early = slot.replacement;
    const hadReplacement = (early !== null && alive(early.life)) || (retireOf(before) !== null && stopSent(before));
    if (early !== null && early.life.phase === "standby") this.takeOver(early);
    return hadReplacement;
  }

  /** A standby starts taking tasks (the engine pumps after the call that led here). */
  private takeOver(standby: WorkerSlot): void {
    standby.step({ e: "takeOver" });
    standby.servingSince = now();
    standby.replaces = null;
  }

  private leaveLine(slot: WorkerSlot): void {
    const due = this.due.indexOf(slot);
    if (due >= 0) this.due.splice(due, 1);
  }

  private nextDue(): void {
    while (this.due.length > 0 && this.recycling < this.host.maxRecycling) {
      const slot = this.due.shift() as WorkerSlot;
      if (!alive(slot.life)) continue;
      if (!this.host.accepting()) {
        this.host.stopWorker(slot);
        continue;
      }
      this.replace(slot);
    }
  }
}
