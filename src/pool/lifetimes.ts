/**
 * When a worker is due for a planned retirement by its age or memory: `maxAge` (its replacement
 * started early enough to be ready by then), `maxAgeHard` (a kill), and memory over
 * `maxMemoryMb` once it is `minAge` old. `maxTasks` is counted on dispatch, by the engine.
 */
import type { RetireReason } from "./events.ts";
import type { ResolvedOptions } from "./options.ts";
import type { WorkerSlot } from "./worker_slot.ts";

/** What a lifetime's end does to the worker. */
export interface LifetimeActions {
  /** Start its replacement now (make before break). */
  prewarm(slot: WorkerSlot): void;
  planRetire(slot: WorkerSlot, reason: RetireReason, handBack: boolean): void;
  kill(slot: WorkerSlot, reason: RetireReason): void;
}

/**
 * The worker ran init: ages count from now (start-up is bounded by startTimeout, and a worker must
 * get to serve). `lead`: how long before maxAge its replacement starts (ms).
 */
export function armLifetimes(slot: WorkerSlot, opts: ResolvedOptions, lead: number, act: LifetimeActions): void {
  if (opts.maxAge !== Number.POSITIVE_INFINITY) {
    // make before break: the replacement starts early enough to be ready at maxAge
    const early = opts.maxAge - lead;
    if (early > 0) slot.timers.push(setTimeout(() => act.prewarm(slot), early));
    slot.timers.push(setTimeout(() => act.planRetire(slot, "maxAge", true), opts.maxAge));
  }
  if (opts.maxAgeHard !== Number.POSITIVE_INFINITY) {
    slot.timers.push(setTimeout(() => act.kill(slot, "maxAgeHard"), opts.maxAgeHard));
  }
}

/** Memory reported by a heartbeat: whether the worker is over the limit and old enough to retire for it. */
export function overMemory(slot: WorkerSlot, opts: ResolvedOptions, bytes: number, at: number): boolean {
  slot.memory = bytes;
  return bytes > opts.maxMemoryBytes && at - slot.spawnedAt >= opts.minAge;
}
