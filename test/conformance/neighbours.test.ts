/**
 * A running task never pays for a neighbour it shares a worker with but that never started: an
 * abort or a timeout of a task prefetched behind it leaves it running.
 */
import { describe, expect, it } from "vitest";
import { adapters, caught, childPermissions, fixture, usePools, waitFor } from "../helpers.ts";

const supervision = fixture("supervision.ts");

describe.each(adapters)("unstarted neighbours on the %s adapter", (adapter) => {
  const make = usePools();
  const base = { module: supervision, adapter, workers: 1, concurrency: 1, ...childPermissions(adapter) };

  it("aborting a task prefetched behind a blocking task cancels it and kills nothing", async () => {
    const pool = make<number, number>({
      ...base,
      prefetch: 1,
      killGrace: 50,
      heartbeat: { interval: 20, timeout: 5_000 },
    });
    await pool.start();
    const blocking = pool.submit(1_500, { name: "block" });
    await waitFor(() => pool.stats().workers[0]?.started === 1, 5_000, "the blocking task to start");
    const ac = new AbortController();
    const behind = pool.submit(10, { name: "sleep", signal: ac.signal }).catch(caught);
    await waitFor(() => pool.stats().running === 2, 5_000, "the second task to be prefetched");
    const reason = new Error("not needed");
    ac.abort(reason);
    expect(await behind).toBe(reason);
    expect(await blocking).toBe(1_500);
    const s = pool.stats();
    expect([s.completed, s.cancelled, s.retirements]).toEqual([1, 1, {}]);
    await pool.close();
  });

  it("a task whose clock ran out behind a blocking task waits for it, then runs", async () => {
    const pool = make<number, number>({
      ...base,
      concurrency: 2,
      killGrace: 50,
      heartbeat: { interval: 20, timeout: 5_000 },
    });
    await pool.start();
    const blocking = pool.submit(1_500, { name: "block", timeout: 10_000 });
    await waitFor(() => pool.stats().workers[0]?.started === 1, 5_000, "the blocking task to start");
    // sent to the free lane of a worker that cannot read it: its clock starts early, and runs out
    const behind = pool.submit(10, { name: "sleep", timeout: 100 });
    expect(await blocking).toBe(1_500);
    expect(await behind).toBe(10);
    const s = pool.stats();
    expect([s.completed, s.timedOut, s.retirements]).toEqual([2, 0, {}]);
    await pool.close();
  });

  it("a task running beside a stray exit is bounded by its own timeout, not gracefulDie.timeout", async () => {
    const pool = make<number, number | string>({
      ...base,
      concurrency: 2,
      gracefulDie: { timeout: 50 },
      heartbeat: { interval: 20, timeout: 5_000 },
    });
    await pool.start();
    const running = pool.submit(600, { name: "sleep", timeout: 10_000 });
    await waitFor(() => pool.stats().workers[0]?.started === 1, 5_000, "the sleeping task to start");
    // its timer calls exit while the neighbour sleeps: the worker waits for it, then exits
    expect(await pool.submit(0, { name: "exitAfterReply" })).toBe("replied");
    expect(await running).toBe(600);
    await waitFor(() => pool.stats().workersStarted === 2, 5_000, "the replacement");
    // the exit is counted when the old worker is gone, which can come after its replacement
    await waitFor(() => pool.stats().workers.length === 1, 5_000, "the exiting worker to be gone");
    const s = pool.stats();
    expect([s.completed, s.crashed, s.retirements]).toEqual([2, 0, { gracefulDie: 1 }]);
    await pool.close();
  });
});
