/**
 * The pool behind `mpms run`: flags to pool options, and the run's crash-loop rule. With
 * --retries, one poison input crashes its worker up to retries + 1 times; the pool's own rule
 * (more than `restart.intensity` failures within `restart.period`) would then end a long run
 * over a few poison lines spread through the input. So, unless --restart-intensity is given, the
 * pool's intensity is Infinity and the run gives up only on a crash loop: {@link crashLoopLimit}
 * worker failures in a row with no task completing in between (the pool's back-off count).
 */
import type { PoolEventMap } from "../pool/events.ts";
import { Pool } from "../pool/pool.ts";
import { FLAG_OF_OPTION, type RunOptions, UsageError } from "./args.ts";

/** Smallest --heartbeat: a worker gets a few periods to answer. */
const MIN_HEARTBEAT_MS = 10;
/** Longest period between heartbeats (the pool's default). */
const MAX_HEARTBEAT_PERIOD_MS = 1_000;

function message(error: unknown): string {
  return error instanceof Error ? error.message : String(error);
}

/** The pool's validation message in terms of flags: `option "maxAge"` → `--max-age`. */
export function flagMessage(text: string): string {
  return text
    .replace(/^mpms: /, "")
    .replace(/option "([\w.]+)"/g, (whole, name: string) => FLAG_OF_OPTION[name] ?? whole)
    .replace(/"([\w.]+)"/g, (whole, name: string) => FLAG_OF_OPTION[name] ?? whole);
}

/**
 * Failures in a row (no task completing in between) after which `mpms run` gives up when
 * --restart-intensity is not given: 10, or twice the workers (each of them may be running a
 * poison line at the same time).
 */
export function crashLoopLimit(workers: number): number {
  return Math.max(10, 2 * workers);
}

/** `heartbeat` pool option of --heartbeat TIMEOUT / --no-heartbeat / --max-blocked MAX. */
export function heartbeatOption(
  heartbeat: RunOptions["heartbeat"],
  maxBlocked?: number,
): false | { interval?: number; timeout?: number; maxBlocked?: number } | undefined {
  if (heartbeat === false) return false;
  const option: { interval?: number; timeout?: number; maxBlocked?: number } = {};
  if (heartbeat !== undefined) {
    if (heartbeat < MIN_HEARTBEAT_MS) {
      throw new UsageError(`--heartbeat must be at least ${MIN_HEARTBEAT_MS} ms, got ${heartbeat}`);
    }
    option.timeout = heartbeat;
    option.interval = Math.min(MAX_HEARTBEAT_PERIOD_MS, Math.floor(heartbeat / 4));
  }
  if (maxBlocked !== undefined) option.maxBlocked = maxBlocked;
  return Object.keys(option).length === 0 ? undefined : option;
}

/**
 * The pool for `options`. `collector` sees every attempt's outcome. Throws {@link UsageError}
 * (in terms of flags) for an option the pool refuses.
 */
export function createPool(
  options: RunOptions,
  module: URL,
  collector: (outcome: { workerId: number | null; runMs: number }) => void,
): Pool {
  const poolOptions: Record<string, unknown> = { module, collector };
  const pick: [keyof RunOptions, string][] = [
    ["workers", "workers"],
    ["concurrency", "concurrency"],
    ["adapter", "adapter"],
    ["timeout", "taskTimeout"],
    ["maxTasks", "maxTasks"],
    ["maxAge", "maxAge"],
    ["maxAgeHard", "maxAgeHard"],
    ["maxMemoryMb", "maxMemoryMb"],
  ];
  for (const [flag, option] of pick) if (options[flag] !== undefined) poolOptions[option] = options[flag];
  const heartbeat = heartbeatOption(options.heartbeat, options.maxBlocked);
  if (heartbeat !== undefined) poolOptions.heartbeat = heartbeat;
  poolOptions.restart = { intensity: options.restartIntensity ?? Number.POSITIVE_INFINITY };
  try {
    return new Pool(poolOptions as unknown as ConstructorParameters<typeof Pool>[0]);
  } catch (error) {
    throw new UsageError(flagMessage(message(error)));
  }
}

/**
 * Call `onLoop` (once) when the pool reports `limit` worker failures in a row. Returns a function
 * that stops watching.
 */
export function watchCrashLoop(pool: Pool, limit: number, onLoop: (failures: number) => void): () => void {
  const listener = (event: PoolEventMap["backoff"]): void => {
    const { failures } = event.detail;
    if (failures < limit) return;
    pool.removeEventListener("backoff", listener);
    onLoop(failures);
  };
  pool.addEventListener("backoff", listener);
  return () => pool.removeEventListener("backoff", listener);
}
