/**
 * Behaviours 21 and 25 with a real process: a pool registered with the shutdown coordinator gets
 * SIGTERM with running and queued tasks (long and short deadlines), or its parent is SIGKILLed.
 */
import { describe, expect, it } from "vitest";
import { waitFor } from "../helpers.ts";
import { allGone, type Fixture, fixtureRuntimes, type RuntimeName, useFixtures } from "./spawn.ts";

/** Adapters that run on `rt` (MPMS_TEST_ADAPTERS narrows the list). */
function poolAdapters(rt: RuntimeName): string[] {
  const all = ["thread", "process", ...(rt === "bun" ? ["bun"] : []), ...(rt === "deno" ? ["deno"] : [])];
  const only = (process.env.MPMS_TEST_ADAPTERS ?? "").split(",").filter((name) => name !== "");
  return only.length > 0 ? all.filter((name) => only.includes(name)) : all;
}

/** Date.now() in the fixture right before it submitted its tasks. */
async function submittedAt(f: Fixture): Promise<number> {
  return Number((await f.line(/^submitted (\d+)$/))[1]);
}

/** Tasks on workers and in the queue when the phases began. */
async function atShutdown(f: Fixture): Promise<{ running: number; queued: number }> {
  const m = await f.line(/^at shutdown running (\d+) queued (\d+)$/);
  return { running: Number(m[1]), queued: Number(m[2]) };
}

async function workerPids(f: Fixture): Promise<number[]> {
  const m = await f.line(/^workers ([\d,]+)$/);
  return (m[1] as string)
    .split(",")
    .map(Number)
    .filter((pid) => pid > 0);
}

function outcomes(f: Fixture): { ok: number; cancelled: number; other: string[] } {
  const tasks = f.lines.filter((l) => /^task \d+ /.test(l));
  return {
    ok: tasks.filter((l) => l.endsWith(" ok")).length,
    cancelled: tasks.filter((l) => l.endsWith(" PoolClosedError")).length,
    other: tasks.filter((l) => !l.endsWith(" ok") && !l.endsWith(" PoolClosedError")),
  };
}

function stats(f: Fixture): Record<string, unknown> | undefined {
  const line = f.lines.find((l) => l.startsWith("stats "));
  return line === undefined ? undefined : JSON.parse(line.slice(6));
}

describe.each(fixtureRuntimes())("pool shutdown on %s", (rt) => {
  const start = useFixtures();

  describe.each(poolAdapters(rt))("%s adapter", (adapter) => {
    it("21: SIGTERM with running and queued tasks finishes them all, refuses new ones, exits 0", async () => {
      // each worker runs 400 + 400 + 1500 ms: the signal has over 2 s to arrive while tasks are pending
      const f = start(rt, "pool.ts", { FIX_ADAPTER: adapter, FIX_TASKS: "400,400,400,400,1500,1500" });
      const pids = await workerPids(f);
      const submitted = await submittedAt(f);
      const sent = f.signal("SIGTERM");
      const exit = await f.exited;
      expect(exit.code, f.output()).toBe(0);
      // the signal came while tasks were still on the workers or queued
      const pending = await atShutdown(f);
      expect(pending.running + pending.queued, f.output()).toBeGreaterThanOrEqual(1);
      expect(outcomes(f)).toEqual({ ok: 6, cancelled: 0, other: [] });
      expect(f.lines).toContain("late submit PoolClosedError");
      expect(stats(f)).toMatchObject({ submitted: 6, completed: 6, cancelled: 0, running: 0, queued: 0 });
      expect(f.lines).toContain("live workers 0");
      // three rounds (400, 400, 1500 ms) on two workers, counted from the submits (a few ms of slack
      // for timers and for the millisecond clock)
      expect(exit.wall - submitted).toBeGreaterThanOrEqual(2_290);
      // well before close() would give up (9 s)
      expect(exit.at - sent).toBeLessThan(6_000);
      await waitFor(() => allGone(pids), 3_000, "worker processes to exit");
    });

    it("21: with a short deadline the rest settle as cancelled, no worker is left, exit inside the deadline", async () => {
      // two short tasks, then four that cannot finish inside the deadline: whenever the signal
      // arrives (within 5 s of the submits), exactly the first two complete
      const f = start(rt, "pool.ts", {
        FIX_ADAPTER: adapter,
        FIX_TASKS: "100,100,5000,5000,5000,5000",
        MPMS_SHUTDOWN_TIMEOUT: "2000",
      });
      const pids = await workerPids(f);
      await submittedAt(f);
      const sent = f.signal("SIGTERM");
      const exit = await f.exited;
      const elapsed = exit.at - sent;
      console.log(`[${rt}/${adapter}] short deadline: exit ${exit.code} after ${elapsed.toFixed(0)} ms`);
      const o = outcomes(f);
      expect(o.other, f.output()).toEqual([]);
      expect(o, f.output()).toEqual({ ok: 2, cancelled: 4, other: [] });
      const s = stats(f);
      if (s !== undefined) {
        // the clients phase got time after the pool: the counters agree with what the tasks saw
        // (the late submit was refused before it was counted)
        expect(s).toMatchObject({ completed: o.ok, cancelled: o.cancelled, running: 0, queued: 0 });
      }
      // close() gave up at its own timeout and destroyed the pool, before the deadline (a hook that
      // only destroys when it is cut would do so with 0 ms left)
      const left = Number((await f.line(/^destroy called ([\d.]+) ms before the deadline$/))[1]);
      expect(left, f.output()).toBeGreaterThan(0);
      // close() had to destroy: the pool hook ends as timed out, so the exit code is the forced one
      expect(exit.code, f.output()).toBe(1);
      const phase = await f.line(/^mpms shutdown: phase workers timeout in \d+ ms: pool timeout \d+ ms/);
      const cancelled = /\(TimeoutError: .* (\d+) tasks cancelled\)$/.exec(phase.input ?? "");
      if (cancelled) {
        // normally after destroy() finished, naming the cancelled tasks
        expect(Number(cancelled[1])).toBe(o.cancelled);
        expect((await f.line(/^mpms shutdown: done with failures/)).input).toContain("timed out: workers/pool");
      } else {
        // on a loaded machine destroy() may overrun the 400 ms kept for it: cut at the deadline
        console.log(`[${rt}/${adapter}] destroy() overran its reserve: ${phase.input}`);
        const summary = (await f.line(/^mpms shutdown: forced: deadline reached/)).input;
        expect(summary).toContain("timed out: workers/pool");
        expect(summary).toContain("still running: workers/pool");
      }
      // close() gets 2000 - 2000/5 = 1600 ms (counted from the signal's arrival, after `sent`),
      // then destroys; the exit comes by the deadline (plus the flush and a loaded machine's lag)
      expect(elapsed).toBeGreaterThanOrEqual(1_590);
      expect(elapsed).toBeLessThan(3_000);
      await waitFor(() => allGone(pids), 3_000, "worker processes to exit");
    });

    it("the app already called close() without a timeout: the hook destroys at its budget, later phases run", async () => {
      // the app's close() would wait 60 s for the long tasks; the pool hook's close({ timeout })
      // gets that pending close back, so the hook must destroy at its own budget
      const f = start(rt, "pool.ts", {
        FIX_ADAPTER: adapter,
        FIX_TASKS: "100,100,60000,60000",
        FIX_APP_CLOSE: "1",
        MPMS_SHUTDOWN_TIMEOUT: "3000",
      });
      const pids = await workerPids(f);
      await f.line(/^app close\(\) called$/);
      const sent = f.signal("SIGTERM");
      const exit = await f.exited;
      const elapsed = exit.at - sent;
      expect(outcomes(f), f.output()).toEqual({ ok: 2, cancelled: 2, other: [] });
      // the clients phase ran after the pool: the late submit was refused and the counters agree
      expect(f.lines, f.output()).toContain("late submit PoolClosedError");
      expect(stats(f)).toMatchObject({ completed: 2, cancelled: 2, running: 0, queued: 0 });
      const left = Number((await f.line(/^destroy called ([\d.]+) ms before the deadline$/))[1]);
      expect(left, f.output()).toBeGreaterThan(0);
      const summary = (await f.line(/^mpms shutdown: done with failures/)).input;
      expect(summary).toContain("timed out: workers/pool");
      expect(summary).not.toContain("skipped");
      expect(exit.code, f.output()).toBe(1);
      // close() gets 3000 - 600 ms, then destroys; the exit comes before the deadline (plus the flush)
      expect(elapsed).toBeGreaterThanOrEqual(2_390);
      expect(elapsed).toBeLessThan(3_500);
      await waitFor(() => allGone(pids), 3_000, "worker processes to exit");
    });

    it.skipIf(adapter === "thread")(
      "25: when the parent is SIGKILLed, its worker processes exit on their own",
      async () => {
        const f = start(rt, "pool.ts", { FIX_ADAPTER: adapter });
        const pids = await workerPids(f);
        expect(pids.length).toBe(2);
        await submittedAt(f);
        f.signal("SIGKILL");
        const exit = await f.exited;
        expect(exit.signal).toBe("SIGKILL");
        await waitFor(() => allGone(pids), 5_000, "orphaned worker processes to exit");
      },
    );
  });
});
