/**
 * What a worker's exit means, read from the state it exited from: its reason, whether the pool
 * planned it, and what a task that was running there gets (the pool's own kills give a typed
 * "retired" or "destroyed" outcome, anything else is a crash).
 */
import type { WorkerExit } from "../adapter.ts";
import { PoolClosedError, WorkerCrashedError, WorkerRetiredError } from "../errors.ts";
import type { SettleKind } from "./counters.ts";
import type { RetireReason } from "./events.ts";
import { killReasonOf, type Lifecycle, neverReady, retireOf, stopSent } from "./worker_lifecycle.ts";

/** Kills after which a running task is "retired" (the pool chose to stop it), not crashed. */
const RETIRING_KILLS = new Set<RetireReason>([
  "maxAgeHard",
  "gracefulDie",
  "timeout",
  "abort",
  "recycle",
  "resize",
  "idle",
  "close",
]);

/** Failures a worker's exit counts as, toward the restart intensity and back-off. */
const FAILURES = new Set<RetireReason>(["crash", "start", "heartbeat", "channel"]);

/** Why a worker stopped, from the state it exited from. */
export function exitReason(life: Lifecycle): RetireReason {
  const killed = killReasonOf(life);
  if (killed !== null && killed !== "heartbeat") return killed;
  if (neverReady(life)) return "start";
  if (killed !== null) return killed;
  if (stopSent(life)) return retireOf(life)?.reason ?? "close";
  return "crash";
}

/**
 * Whether an exit counts as a failure (restart intensity). Two kinds are no crash loop: a worker
 * that served tasks and then stopped answering, and a worker that died while running a task it
 * had started. That crash is the task's own outcome (it fails with WorkerCrashedError, which
 * settles it, so the pool makes progress); counting it would let a handful of tasks that call
 * `process.exit` (or a queue's retries of one) fail the whole pool for good.
 */
export function failedExit(reason: RetireReason, tasksDone: number, ranTask: boolean): boolean {
  if (!FAILURES.has(reason)) return false;
  if (reason === "heartbeat" && tasksDone > 0) return false;
  return !(reason === "crash" && ranTask);
}

/** The pool meant this exit: a stop it asked for, or one of its own kills. */
export function plannedExit(life: Lifecycle): boolean {
  const killed = killReasonOf(life);
  return killed === null ? stopSent(life) : RETIRING_KILLS.has(killed) || killed === "destroy";
}

/** The error and counter kind for a task that was running when worker `workerId` exited. */
export function runningTaskOutcome(
  workerId: number,
  life: Lifecycle,
  exit: WorkerExit,
): { error: Error; kind: SettleKind } {
  const reason = killReasonOf(life);
  if (reason === "destroy") return { error: new PoolClosedError("the pool was destroyed"), kind: "cancelled" };
  if (reason !== null && RETIRING_KILLS.has(reason)) return { error: new WorkerRetiredError(reason), kind: "failed" };
  const error = new WorkerCrashedError({
    workerId,
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
