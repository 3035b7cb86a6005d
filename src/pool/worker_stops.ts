/**
 * How a worker is ended: the planned stop (finish its tasks, `finalize`, exit), the graceful die,
 * the stop timer, and the kill with its bound on an exit report that never comes. The supervisor
 * calls these (it owns the lifecycles) and hears of the exit through {@link StopHost}.
 */
import type { Adapter, WorkerExit } from "../adapter.ts";
import type { ToWorker } from "../protocol.ts";
import { timerDelay } from "../util/validate.ts";
import type { PoolEmit, RetireReason } from "./events.ts";
import type { ResolvedOptions } from "./options.ts";
import type { Replacements } from "./replacements.ts";
import { alive, type Lifecycle, retireOf } from "./worker_lifecycle.ts";
import type { WorkerSlot } from "./worker_slot.ts";

/** What ending a worker needs from the supervisor. */
export interface StopHost {
  adapter(): Adapter | undefined;
  readonly emit: PoolEmit;
  readonly replacements: Replacements;
  send(slot: WorkerSlot, msg: ToWorker): void;
  /** Whether replacements may start. */
  accepting(): boolean;
  /** A killed worker whose exit was never reported: handled as its exit. */
  gaveUp(slot: WorkerSlot, exit: WorkerExit): void;
}

export class WorkerStops {
  /** Workers the runtime could not stop (busy on a runtime that cannot kill busy workers, or no exit report). */
  zombies = 0;

  constructor(
    private readonly opts: ResolvedOptions,
    private readonly host: StopHost,
  ) {}

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
    const replacements = this.host.replacements;
    const hadReplacement = replacements.dying(slot, before);
    this.host.emit("workerretire", { workerId: slot.id, reason: "gracefulDie" });
    if (!hadReplacement && this.host.accepting()) replacements.replace(slot);
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
    const zombie = !this.host.adapter()?.canKillBusy && slot.outstanding.size > 0;
    slot.step({ e: "kill", reason: keepReason ? null : reason, zombie });
    if (zombie) this.zombies++;
    // A runtime that never reports the exit must not hold the pool: give up after a bound. Armed
    // before kill(), since an exit reported from inside kill() clears the worker's timers.
    slot.timers.push(
      setTimeout(
        () => {
          if (slot.gone) return;
          if (slot.life.phase !== "killed" || !slot.life.zombie) this.zombies++;
          this.host.gaveUp(slot, { code: null, signal: null, error: new Error("the worker did not exit after kill") });
        },
        timerDelay(Math.max(1000, this.opts.killGrace) + 1000),
      ),
    );
    // An unresponsive worker cannot run a SIGTERM handler (and a stopped one only gets SIGKILL).
    const grace = reason === "destroy" || reason === "heartbeat" ? 0 : Math.min(this.opts.killGrace, 1000);
    slot.handle.kill(grace);
  }
}
