/**
 * Chaos: a seeded random mix of task behaviours, aborts, timeouts, lifecycles, resizes and an
 * end at a random moment, on every adapter of this runtime. Fixed seeds (one per way of ending)
 * plus one random seed, printed in the test name.
 *   Replay:   MPMS_CHAOS_SEED=<seed>[,<seed>...] MPMS_TEST_ADAPTERS=<adapter>
 *   Size:     MPMS_CHAOS_TASKS=<tasks per run> (default 600; strict runs take twice as many)
 *   Strict:   MPMS_CHAOS_STRICT=1 (a replayed seed at concurrency 1, with the strict oracle)
 *   Narrow:   MPMS_CHAOS_OFF=die,exit (behaviours left out), MPMS_CHAOS_START_FIRST=1|0,
 *             MPMS_CHAOS_DEBUG=1 (a violation lists what happened on its worker)
 */
import { readdirSync, readFileSync } from "node:fs";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { Pool } from "../../mod.ts";
import { adapters, childPids, runtime, usePools, waitFor } from "../helpers.ts";
import { checkRun, tally } from "./check.ts";
import { runPlan } from "./driver.ts";
import { type HostErrors, watchHostErrors } from "./host_errors.ts";
import { type Behaviour, makePlan, type PlanKnobs, planTarget } from "./plan.ts";
import { randomSeed } from "./rng.ts";

const module = new URL("./chaos_tasks.js", import.meta.url);
/** seed % 4 picks the end: close, closeTimeout, shutdown, destroy. */
const FIXED_SEEDS = [20_260_100, 20_260_101, 20_260_102, 20_260_103];
const replay = process.env.MPMS_CHAOS_SEED ?? "";
const seeds = replay !== "" ? replay.split(",").map(Number) : [...FIXED_SEEDS, randomSeed()];
/**
 * Strict run: concurrency 1, so that no neighbour runs beside a task and every outcome must be
 * the task's own (the oracle refuses collateral crashes and retirements). Twice the tasks.
 */
const STRICT_SEEDS = replay !== "" ? [] : [20_260_200];
const TASKS = Number(process.env.MPMS_CHAOS_TASKS ?? 600);
const knobs: PlanKnobs = {
  off: (process.env.MPMS_CHAOS_OFF ?? "").split(",").filter((b) => b !== "") as Behaviour[],
  startFirst: process.env.MPMS_CHAOS_START_FIRST ? process.env.MPMS_CHAOS_START_FIRST === "1" : undefined,
};

/**
 * Names of worker threads: Bun calls them "Worker", Deno "worker-<n>". Node names every thread
 * "node", so there all threads count (Node starts no helper threads lazily; Bun and Deno do,
 * e.g. a GC "Collector Thread" under memory pressure).
 */
const WORKER_THREAD: Record<string, RegExp> = { node: /^/, bun: /^Worker$/, deno: /^worker-\d+$/ };

/** This process's (worker) threads: id → name (Linux /proc). */
function threads(): Map<string, string> {
  const out = new Map<string, string>();
  const ours = WORKER_THREAD[runtime] ?? /^/;
  for (const tid of readdirSync("/proc/self/task")) {
    try {
      const name = readFileSync(`/proc/self/task/${tid}/comm`, "utf8").trim();
      if (ours.test(name)) out.set(tid, name);
    } catch {
      // ended while we looked
    }
  }
  return out;
}

let host: HostErrors;
beforeAll(() => {
  host = watchHostErrors();
});
afterAll(() => host.uninstall());

describe.each(adapters)("chaos on the %s adapter", (adapter) => {
  const make = usePools();

  // Runtimes start helper threads on first use (Bun: "Signal Sender" on the first kill). A short
  // warm-up (start, a kill, a crash, close) makes them exist before any thread count is taken.
  beforeAll(async () => {
    const pool = new Pool<Record<string, unknown>, unknown>({
      module,
      adapter,
      workers: 1,
      taskTimeout: 20,
      killGrace: 10,
    });
    await pool.submit({ b: "hang", id: 0 }).catch(() => {});
    await pool.submit({ b: "exit", id: 0, code: 3 }).catch(() => {});
    await pool.close();
  });

  const runs = [
    ...seeds.map((seed) => ({ seed, strict: process.env.MPMS_CHAOS_STRICT === "1" })),
    ...STRICT_SEEDS.map((seed) => ({ seed, strict: true })),
  ];
  it.each(runs)(
    "seed $seed (strict: $strict)",
    async ({ seed, strict }) => {
      const plan = makePlan(seed, strict ? 2 * TASKS : TASKS, planTarget(runtime, adapter), {
        ...knobs,
        ...(strict ? { concurrency: 1 } : {}),
      });
      const pidsBefore = new Set(childPids());
      const threadsBefore = threads();
      const hostSeen = host.seen.length;
      const run = await runPlan(plan, make as never, { module, adapter });
      const violations = checkRun(run);

      // Nothing of ours is left: no child process, and no more threads than before the run.
      const leftPids = (): number[] => childPids().filter((pid) => !pidsBefore.has(pid));
      await waitFor(() => leftPids().length === 0, 3_000).catch(() => {});
      if (leftPids().length > 0) violations.push(`child processes left: ${leftPids().join(", ")}`);
      await waitFor(() => threads().size <= threadsBefore.size, 3_000).catch(() => {});
      const after = threads();
      if (after.size > threadsBefore.size) {
        const added = [...after].filter(([tid]) => !threadsBefore.has(tid)).map(([tid, name]) => `${tid} ${name}`);
        violations.push(`threads: ${threadsBefore.size} before, ${after.size} after; new: ${added.join(", ")}`);
      }
      violations.push(...host.seen.slice(hostSeen));

      const s = run.stats;
      console.log(
        `chaos ${runtime}/${adapter} seed=${seed} end=${plan.end} ${run.records.length} tasks in ${run.totalMs.toFixed(0)} ms ` +
          `(end ${run.endMs.toFixed(0)} ms): completed ${s.completed}, failed ${s.failed}, cancelled ${s.cancelled}, ` +
          `crashed ${s.crashed}, timedOut ${s.timedOut}, workers started ${s.workersStarted}, ` +
          `retirements ${JSON.stringify(s.retirements)}\n  ${JSON.stringify(tally(run))}`,
      );
      expect(
        violations,
        `chaos seed ${seed} on ${runtime}/${adapter} (replay: MPMS_CHAOS_SEED=${seed}${strict ? " MPMS_CHAOS_STRICT=1" : ""} MPMS_TEST_ADAPTERS=${adapter})`,
      ).toEqual([]);
    },
    120_000,
  );
});
