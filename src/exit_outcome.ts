/**
 * What a task that was running on a worker gets when that worker exits: the pool's own kills give
 * a typed "retired" or "destroyed" outcome, anything else is a crash.
 */
import type { WorkerExit } from "./adapter.ts";
import type { SettleKind } from "./counters.ts";
import { PoolClosedError, WorkerCrashedError, WorkerRetiredError } from "./errors.ts";
import type { RetireReason } from "./events.ts";
import type { WorkerSlot } from "./worker_slot.ts";

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

/** The pool meant this exit: a stop it asked for, or one of its own kills. */
export function plannedExit(slot: WorkerSlot): boolean {
  return slot.killReason === null
    ? slot.stopSent
    : RETIRING_KILLS.has(slot.killReason) || slot.killReason === "destroy";
}

/** The error and counter kind for a task that was running when `slot` exited. */
export function runningTaskOutcome(slot: WorkerSlot, exit: WorkerExit): { error: Error; kind: SettleKind } {
  const reason = slot.killReason;
  if (reason === "destroy") return { error: new PoolClosedError("the pool was destroyed"), kind: "cancelled" };
  if (reason !== null && RETIRING_KILLS.has(reason)) return { error: new WorkerRetiredError(reason), kind: "failed" };
  const error = new WorkerCrashedError({
    workerId: slot.id,
    exitCode: exit.code,
    signal: exit.signal,
    reason:
      reason === "heartbeat"
        ? "unresponsive"
        : reason === "channel"
          ? "channel"
          : outOfMemory(exit.error)
            ? "oom"
            : exit.error !== undefined
              ? "error"
              : "exit",
    cause: exit.error,
  });
  return { error, kind: "crashed" };
}

/** Node reports a worker thread that hit its `resourceLimits` with this error code. */
function outOfMemory(error: unknown): boolean {
  return (error as { code?: unknown } | undefined)?.code === "ERR_WORKER_OUT_OF_MEMORY";
}
