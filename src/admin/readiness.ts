/** Readiness: may this process take new work? Pure, from the shutdown state and pool snapshots. */

import type { PoolStats } from "../pool/stats.ts";
import type { ShutdownState } from "../shutdown/shutdown.ts";

/** One pool's part of the readiness answer. */
export interface PoolReadiness {
  /** The pool's state (only "running" can take work). */
  state: PoolStats["state"];
  /** Workers that can take a task now. */
  readyWorkers: number;
}

/** The answer of GET /readyz: ready or not, and why. */
export interface Readiness {
  /** True when the process may take new work. */
  ready: boolean;
  /** Why not (empty when ready). */
  reasons: string[];
  /** The shutdown's state, or null without a shutdown. */
  shutdown: ShutdownState | null;
  /** Each pool's part, by name. */
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
