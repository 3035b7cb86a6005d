/** Readiness: may this process take new work? Pure, from the shutdown state and pool snapshots. */

import type { PoolStats } from "../pool/stats.ts";
import type { ShutdownState } from "../shutdown/shutdown.ts";

export interface PoolReadiness {
  state: PoolStats["state"];
  readyWorkers: number;
}

export interface Readiness {
  ready: boolean;
  /** Why not (empty when ready). */
  reasons: string[];
  shutdown: ShutdownState | null;
  pools: Record<string, PoolReadiness>;
}

/**
 * Not ready once shutdown began (`ready` false), or while a pool is not running or has no ready
 * worker: a pool that was never started, is starting, closing, closed or failed cannot take work.
 */
export function readiness(
  shutdown: { ready: boolean; state: ShutdownState } | undefined,
  pools: readonly (readonly [string, PoolStats])[],
): Readiness {
  const reasons: string[] = [];
  if (shutdown && !shutdown.ready) reasons.push(`shutting down (${shutdown.state})`);
  const out: Record<string, PoolReadiness> = {};
  for (const [name, s] of pools) {
    const readyWorkers = s.workers.filter((w) => w.state === "ready").length;
    out[name] = { state: s.state, readyWorkers };
    if (s.state === "failed") reasons.push(`pool "${name}" has failed (workers cannot start)`);
    else if (s.state === "idle") reasons.push(`pool "${name}" has not been started (call pool.start())`);
    else if (s.state === "closing" || s.state === "closed") reasons.push(`pool "${name}" is ${s.state}`);
    else if (readyWorkers === 0) reasons.push(`pool "${name}" has no ready worker (state ${s.state})`);
  }
  return { ready: reasons.length === 0, reasons, shutdown: shutdown ? shutdown.state : null, pools: out };
}
