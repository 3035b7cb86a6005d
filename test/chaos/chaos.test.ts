/**
 * Chaos: a seeded random mix of task behaviours, aborts, timeouts, lifecycles, resizes and an
 * end at a random moment, on every adapter of this runtime. Fixed seeds (one per way of ending)
 * plus one random seed; replay one with MPMS_CHAOS_SEED=<seed> (MPMS_CHAOS_TASKS sets the size).
 */
import { readdirSync } from "node:fs";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { adapters, childPids, runtime, usePools, waitFor } from "../helpers.ts";
import { checkRun, tally } from "./check.ts";
import { runPlan } from "./driver.ts";
import { type HostErrors, watchHostErrors } from "./host_errors.ts";
import { makePlan, planTarget } from "./plan.ts";
import { randomSeed } from "./rng.ts";

const module = new URL("./chaos_tasks.js", import.meta.url);
/** seed % 4 picks the end: close, closeTimeout, shutdown, destroy. */
const FIXED_SEEDS = [20_260_100, 20_260_101, 20_260_102, 20_260_103];
const replay = process.env.MPMS_CHAOS_SEED;
const seeds = replay !== undefined && replay !== "" ? [Number(replay)] : [...FIXED_SEEDS, randomSeed()];
const TASKS = Number(process.env.MPMS_CHAOS_TASKS ?? 600);

const threadCount = (): number => readdirSync("/proc/self/task").length;

let host: HostErrors;
beforeAll(() => {
  host = watchHostErrors();
});
afterAll(() => host.uninstall());

describe.each(adapters)("chaos on the %s adapter", (adapter) => {
  const make = usePools();

  it.each(seeds)(
    "seed %i",
    async (seed) => {
      const plan = makePlan(seed, TASKS, planTarget(runtime, adapter));
      const pidsBefore = new Set(childPids());
      const threadsBefore = threadCount();
      const hostSeen = host.seen.length;
      const run = await runPlan(plan, make as never, { module, adapter });
      const violations = checkRun(run);

      // Nothing of ours is left: no child process, and no more threads than before the run.
      const leftPids = (): number[] => childPids().filter((pid) => !pidsBefore.has(pid));
      await waitFor(() => leftPids().length === 0, 3_000).catch(() => {});
      if (leftPids().length > 0) violations.push(`child processes left: ${leftPids().join(", ")}`);
      await waitFor(() => threadCount() <= threadsBefore, 3_000).catch(() => {});
      if (threadCount() > threadsBefore) violations.push(`threads: ${threadsBefore} before, ${threadCount()} after`);
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
        `chaos seed ${seed} on ${runtime}/${adapter} (replay: MPMS_CHAOS_SEED=${seed} MPMS_TEST_ADAPTERS=${adapter})`,
      ).toEqual([]);
    },
    120_000,
  );
});
