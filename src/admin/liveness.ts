/** Liveness: should this process be restarted? Pure, from the pools' states. */
import type { PoolState } from "../pool/stats.ts";

export interface Liveness {
  live: boolean;
  /** Why not (empty when live). */
  reasons: string[];
}

/**
 * Not live once a pool has failed for good (state "failed": its workers cannot start and it will
 * not try again), when `failOnPoolFailure`. Everything else, a shutdown included, is live: a
 * restart would not help it, and killing a draining process would lose its tasks.
 */
export function liveness(pools: readonly (readonly [string, PoolState])[], failOnPoolFailure: boolean): Liveness {
  const reasons: string[] = [];
  if (failOnPoolFailure) {
    for (const [name, state] of pools) {
      if (state === "failed") reasons.push(`pool "${name}" has failed for good (workers cannot start)`);
    }
  }
  return { live: reasons.length === 0, reasons };
}
