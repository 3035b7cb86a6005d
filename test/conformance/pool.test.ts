/** Pool API behaviours (foundation issue, behaviour 20) for every adapter on this runtime. */
import { describe, expect, it } from "vitest";
import { type Outcome, PoolClosedError, WorkerCrashedError } from "../../mod.ts";
import { adapters, caught, fixture, usePools, waitFor } from "../helpers.ts";

const tasks = fixture("tasks.ts");

describe.each(adapters)("pool API on the %s adapter", (adapter) => {
  const make = usePools();

  it("runs a plain JavaScript task module, and ctx carries taskId and workerId", async () => {
    const pool = make<unknown, unknown>({ module: fixture("echo.js"), adapter, workers: 1 });
    expect(await pool.submit(3)).toEqual({ echoed: 3 });
    await pool.close();
    const ts = make<unknown, { taskId: number; workerId: number; aborted: boolean }>({
      module: tasks,
      adapter,
      workers: 1,
    });
    const info = await ts.submit(null, { name: "ctxInfo" });
    expect(info.taskId).toBeGreaterThan(0);
    expect(info.workerId).toBe(ts.stats().workers[0]?.id);
    expect(info.aborted).toBe(false);
    // no internals show on ctx; signal is a getter, so destructuring works and a spread copy drops it
    expect(await ts.submit(null, { name: "ctxShape" })).toEqual({ keys: ["taskId", "workerId"], signal: true });
    await ts.close();
  });

  it("concurrency: 4 runs four async tasks at once in one worker", async () => {
    const pool = make<number, number>({ module: tasks, adapter, workers: 1, concurrency: 4 });
    await pool.start();
    const peaks = await Promise.all([1, 2, 3, 4].map(() => pool.submit(150, { name: "concurrent" })));
    expect(Math.max(...peaks)).toBe(4);
    await pool.close();
  });

  it("10,000 tasks submitted at once all settle and stats() agrees", async () => {
    const pool = make<number, number>({ module: tasks, adapter, workers: 2, queueSize: 10_000 });
    const values = await Promise.all(Array.from({ length: 10_000 }, (_, i) => pool.submit(i, { name: "double" })));
    expect(values.every((v, i) => v === i * 2)).toBe(true);
    const s = pool.stats();
    expect(s.submitted).toBe(10_000);
    expect(s.completed).toBe(10_000);
    expect(s.submitted).toBe(s.completed + s.failed);
    expect(s.queued + s.running).toBe(0);
    await pool.close();
  });

  it("20: close() with nothing pending resolves at once; close() twice returns the same promise", async () => {
    const pool = make<number, number>({ module: tasks, adapter, workers: 2 });
    await pool.start();
    const t0 = performance.now();
    const first = pool.close();
    expect(pool.close()).toBe(first);
    await first;
    expect(performance.now() - t0).toBeLessThan(1_000);
    expect(pool.state).toBe("closed");
    expect(pool.stats().workers).toEqual([]);
  });

  it("20: close() runs everything queued and running, then stops the workers", async () => {
    const pool = make<number, number>({ module: tasks, adapter, workers: 2, prefetch: 0 });
    await pool.start();
    const all = Array.from({ length: 12 }, (_, i) => pool.submit(20 + i, { name: "sleep" }));
    await pool.close();
    expect(await Promise.all(all)).toEqual(Array.from({ length: 12 }, (_, i) => 20 + i));
    const s = pool.stats();
    expect(s.completed).toBe(12);
    expect(s.workers).toEqual([]);
    expect(s.retirements.close).toBe(2);
  });

  it("destroy() rejects queued and running tasks with PoolClosedError and kills the workers", async () => {
    const pool = make<unknown, unknown>({ module: tasks, adapter, workers: 1, prefetch: 0 });
    await pool.start();
    const running = pool.submit(null, { name: "hang" }).catch(caught);
    const queued = pool.submit(1).catch(caught);
    await waitFor(() => pool.stats().running === 1);
    const t0 = performance.now();
    await pool.destroy();
    expect(performance.now() - t0).toBeLessThan(2_000);
    expect(await running).toBeInstanceOf(PoolClosedError);
    expect(await queued).toBeInstanceOf(PoolClosedError);
    const s = pool.stats();
    expect(s.cancelled).toBe(2);
    expect(s.workers).toEqual([]);
  });

  it("a worker that crashes while idle is replaced, and the host keeps serving", async () => {
    const pool = make<number, unknown>({ module: fixture("lifecycle.ts"), adapter, workers: 1 });
    const exits: unknown[] = [];
    pool.addEventListener("workerexit", (e) => exits.push(e.detail));
    expect(await pool.submit(20, { name: "crashLater" })).toBe("ok");
    await waitFor(() => pool.stats().workersStarted === 2, 5_000, "replacement worker");
    expect(exits).toMatchObject([{ code: 7, reason: "crash", planned: false }]);
    expect(await pool.submit(0)).toBe(true); // init ran in the replacement
    expect(pool.stats().failed).toBe(0);
    await pool.close();
  });

  it("a collector sees every outcome once; one that throws is reported as an error event", async () => {
    const seen: Outcome[] = [];
    const errors: unknown[] = [];
    const pool = make<number, number>({
      module: tasks,
      adapter,
      workers: 2,
      collector: (o) => {
        seen.push(o as Outcome);
        if (o.input === 3) throw new Error("collector bug");
      },
    });
    pool.addEventListener("error", (e) => errors.push(e.detail.error));
    const values = await Promise.all([1, 2, 3, 4].map((n) => pool.submit(n, { name: "double" })));
    expect(values).toEqual([2, 4, 6, 8]);
    await pool.put(5, { name: "double" });
    await pool.put(-1 as never, { name: "fail" });
    await pool.close();
    expect(seen.length).toBe(6);
    expect(new Set(seen.map((o) => o.taskId)).size).toBe(6);
    const ok = seen.find((o) => o.input === 5);
    expect(ok).toMatchObject({ status: "ok", value: 10, name: "double" });
    expect(ok?.workerId).toBeGreaterThan(0);
    expect(ok?.queuedMs).toBeGreaterThanOrEqual(0);
    expect(ok?.runMs).toBeGreaterThanOrEqual(0);
    expect(seen.find((o) => o.input === -1)?.status).toBe("error");
    expect(errors.length).toBe(1);
    expect((errors[0] as Error).message).toBe("collector bug");
  });

  it("put() + results() yields every outcome in completion order, and ends after close()", async () => {
    const pool = make<number, number>({ module: tasks, adapter, workers: 2 });
    for (let i = 0; i < 50; i++) await pool.put(i, { name: "double" });
    const closing = pool.close();
    const outcomes: Outcome<number, number>[] = [];
    for await (const o of pool.results()) outcomes.push(o);
    await closing;
    expect(outcomes.length).toBe(50);
    expect(outcomes.map((o) => o.input).sort((a, b) => a - b)).toEqual(Array.from({ length: 50 }, (_, i) => i));
    expect(outcomes.every((o) => o.status === "ok" && o.value === o.input * 2)).toBe(true);
  });

  it("map() keeps input order when asked, and bounds the tasks in flight", async () => {
    const pool = make<number, number>({ module: tasks, adapter, workers: 2, prefetch: 0 });
    const inputs = [30, 1, 20, 2, 10, 3];
    const ordered: number[] = [];
    for await (const v of pool.map(inputs, { name: "sleep", ordered: true, window: 3 })) {
      ordered.push(v);
      expect(pool.stats().queued + pool.stats().running).toBeLessThanOrEqual(3);
    }
    expect(ordered).toEqual(inputs);
    const unordered: number[] = [];
    for await (const v of pool.map(inputs, { name: "sleep" })) unordered.push(v);
    expect(unordered.sort((a, b) => a - b)).toEqual([...inputs].sort((a, b) => a - b));
    await expect(async () => {
      for await (const _ of pool.map([1, 2, 3], { name: "exit" })) {
        // the first failure is thrown
      }
    }).rejects.toBeInstanceOf(WorkerCrashedError);
    await pool.close();
  });

  it("stats() breaks failures down by kind and records wait/run histograms; drain fires when idle", async () => {
    const pool = make<unknown, unknown>({ module: tasks, adapter, workers: 1 });
    let drains = 0;
    pool.addEventListener("drain", () => drains++);
    await Promise.allSettled([
      pool.submit(1),
      pool.submit("x", { name: "fail" }),
      pool.submit(3, { name: "exit" }),
      pool.submit(null, { name: "unclonableResult" }),
    ]);
    await waitFor(() => drains === 1, 2_000, "drain");
    const s = pool.stats();
    expect(s.failures).toEqual({ error: 1, crash: 1, serialization: 1 });
    expect(Object.values(s.failures).reduce((a, b) => a + (b ?? 0), 0)).toBe(s.failed);
    expect(s.runTime.count).toBe(4);
    expect(s.waitTime.count).toBe(4);
    expect(s.runTime.counts.at(-1)).toBeLessThanOrEqual(4);
    expect(s.runTime.buckets.length).toBe(s.runTime.counts.length);
    await pool.close();
  });

  it("a pool started by its first submit, whose first worker crashes before the second is ready, still closes", async () => {
    const pool = make<number, unknown>({ module: fixture("slow_second.ts"), adapter, workers: 2 });
    const crashes = await Promise.allSettled([pool.submit(5), pool.submit(6)]);
    expect(crashes.map((c) => c.status)).toEqual(["rejected", "rejected"]);
    await pool.start(); // resolves: each first worker ran init once
    const t0 = performance.now();
    await pool.close();
    expect(performance.now() - t0).toBeLessThan(5_000);
    expect(pool.stats().workers).toEqual([]);
  });

  it("await using closes the pool", async () => {
    let captured: { state: string } | undefined;
    {
      await using pool = make<number, number>({ module: tasks, adapter, workers: 1 });
      expect(await pool.submit(2, { name: "double" })).toBe(4);
      captured = pool;
    }
    expect(captured?.state).toBe("closed");
  });
});
