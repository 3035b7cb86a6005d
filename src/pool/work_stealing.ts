/**
 * Work stealing, on each supervision tick: while a worker is idle, a worker whose every lane has
 * run one task for far longer than tasks take gives back the tasks it has not started
 * (`returnUnstarted`), and they run on the idle one. Prefetch thus delays a task by at most
 * {@link STEAL_AFTER_MIN_MS} or a few run times, plus a tick, never by a neighbour's whole run.
 */
import { Clock } from "./task.ts";
import type { WorkerSlot } from "./worker_slot.ts";

/** Work stealing takes unstarted tasks from a worker busy this long at least… */
export const STEAL_AFTER_MIN_MS = 200;
/** …and this many average run times. */
const STEAL_AFTER_RUNS = 4;

/**
 * The workers to take unstarted tasks from at time `t`, given `concurrency` lanes per worker and
 * the mean run time `runMs`: none unless some worker is idle.
 */
export function stealFrom(slots: Iterable<WorkerSlot>, concurrency: number, runMs: number, t: number): WorkerSlot[] {
  const all = [...slots];
  if (!all.some((slot) => slot.accepting && slot.outstanding.size === 0)) return [];
  const after = Math.max(STEAL_AFTER_MIN_MS, STEAL_AFTER_RUNS * runMs);
  const victims: WorkerSlot[] = [];
  for (const slot of all) {
    if (slot.stealSent || slot.life.phase !== "ready" || slot.outstanding.size <= concurrency) continue;
    let running = 0;
    let youngest = Number.POSITIVE_INFINITY;
    for (const task of slot.outstanding.values()) {
      if (!task.started || task.clock === Clock.None) continue;
      running++;
      youngest = Math.min(youngest, t - task.startedAt);
    }
    if (running < concurrency || running === slot.outstanding.size || youngest < after) continue;
    victims.push(slot);
  }
  return victims;
}
