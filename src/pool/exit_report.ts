/**
 * What the pool says about a worker's exit: the `workerexit` event's detail, the error `start()`
 * fails with when one of the first workers exits before init, and the pool's failure once the
 * workers' failures pass the restart intensity (restart_policy.ts counts them).
 */
import type { WorkerExit } from "../adapter.ts";
import { PoolUnavailableError, WorkerStartError } from "../errors.ts";
import type { RetireReason, WorkerExitDetail } from "./events.ts";
import { plannedExit } from "./exit_outcome.ts";
import type { RestartPolicy } from "./restart_policy.ts";
import type { Lifecycle } from "./worker_lifecycle.ts";
import type { WorkerSlot } from "./worker_slot.ts";

/** The `workerexit` detail of `slot`, which exited from `last` for `reason`. */
export function exitDetail(
  slot: WorkerSlot,
  exit: WorkerExit,
  last: Lifecycle,
  reason: RetireReason,
): WorkerExitDetail {
  const detail: WorkerExitDetail = {
    workerId: slot.id,
    code: exit.code,
    signal: exit.signal,
    reason,
    planned: plannedExit(last),
  };
  if (exit.error !== undefined) detail.error = exit.error;
  return detail;
}

/** Why start() fails: the worker's own start error, or its exit during start. */
export function startFailure(slot: WorkerSlot, exit: WorkerExit): Error {
  return (
    (slot.startError as Error | undefined) ??
    new WorkerStartError(`worker ${slot.id} exited during start (code ${exit.code}, signal ${exit.signal})`, {
      cause: exit.error,
    })
  );
}

/** A failed exit counted at `at`: the pool's failure if that passed the restart intensity, else null. */
export function gaveUp(
  restart: RestartPolicy,
  at: number,
  period: number,
  reason: RetireReason,
  cause: unknown,
): PoolUnavailableError | null {
  const count = restart.failed(at);
  if (count <= 0) return null;
  return new PoolUnavailableError(
    `workers failed ${count} times within ${period} ms (last: ${reason}); the pool gave up`,
    { cause },
  );
}
