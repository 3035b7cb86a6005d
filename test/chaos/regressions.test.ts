/**
 * Minimal reproductions of core bugs the chaos suite found (seeds in docs/guarantees.md). Each
 * test states the guaranteed behaviour; a failing one is a bug in the pool, not in the test.
 */
import { describe, expect, it } from "vitest";
import { PoolClosedError, WorkerCrashedError } from "../../mod.ts";
import { adapters, caught, sleep, usePools, waitFor } from "../helpers.ts";

const start = new URL("./start_tasks.js", import.meta.url);
const chaos = new URL("./chaos_tasks.js", import.meta.url);

describe("start races (thread adapter)", () => {
  const make = usePools();

  it("6: a submit after close() is refused at once, also while the pool is still starting", async () => {
    // Worker 2 takes 1.5 s to start, so the pool is "starting" when close() is called.
    const pool = make<unknown, unknown>({ module: start, adapter: "thread", workers: 2 });
    const started = pool.start().catch(caught);
    await waitFor(() => pool.stats().workers.length === 2, 5_000, "workers spawned");
    const closing = pool.close();
    const late = pool.submit("late").catch(caught);
    await sleep(0);
    expect(await Promise.race([late, sleep(50).then(() => "still pending")])).toBeInstanceOf(PoolClosedError);
    await closing;
    await started;
  });

  it("21: close({timeout}) called while the pool starts returns within its timeout (+ kill grace)", async () => {
    const pool = make<unknown, unknown>({ module: start, adapter: "thread", workers: 2, killGrace: 50 });
    void pool.start().catch(() => {});
    await waitFor(() => pool.stats().workers.length === 2, 5_000, "workers spawned");
    const t0 = performance.now();
    await pool.close({ timeout: 100 });
    expect(performance.now() - t0).toBeLessThan(100 + 50 + 1_000); // timeout + kill grace + 1 s, as in the chaos bounds
  });

  it("recycle() of a worker that is still starting does not fail the pool", async () => {
    const pool = make<unknown, unknown>({ module: start, adapter: "thread", workers: 2, stopTimeout: 100 });
    const started = pool.start().then(() => "started", caught);
    await waitFor(() => pool.stats().workers.length === 2, 5_000, "workers spawned");
    const slow = pool.stats().workers.find((w) => w.id % 2 === 0);
    expect(pool.recycle(slow?.id as number)).toBe(true);
    expect(await started).toBe("started");
    expect(await pool.submit("after")).toBe("after");
    await pool.close();
  });

  it("18: workers that crash while the pool starts are replaced (back-off included); close() does not hang", async () => {
    // Odd worker ids start at once, even ones take 1.5 s: the pool stays "starting" meanwhile.
    const pool = make<unknown, unknown>({
      module: start,
      adapter: "thread",
      workers: 2,
      restart: { intensity: 100, backoff: { initial: 10, max: 10 } },
    });
    void pool.start().catch(() => {});
    // Two crashes in a row on the fast workers: the second replacement comes after a back-off.
    expect(await pool.submit({ exit: 3 }).catch(caught)).toBeInstanceOf(WorkerCrashedError);
    expect(await pool.submit({ exit: 3 }).catch(caught)).toBeInstanceOf(WorkerCrashedError);
    await waitFor(() => pool.stats().workers.length === 2, 1_000, "a replacement after the back-off").catch(() => {});
    expect(pool.stats().workers.length).toBe(2);
    const closed = await Promise.race([pool.close({ timeout: 200 }).then(() => "closed"), sleep(4_000)]);
    expect(closed).toBe("closed");
  });
});

describe.each(adapters)("a task that exits its worker (%s adapter)", (adapter) => {
  const make = usePools();

  it("3/4: a result posted just before a sibling exits the worker still wins; the exiting task runs once", async () => {
    // One batch carries both tasks: the first returns, its result is queued, the second exits.
    const pool = make<Record<string, unknown>, unknown>({
      module: chaos,
      adapter,
      workers: 1,
      concurrency: 1,
      prefetch: 1,
      restart: { intensity: 100 },
    });
    await pool.start();
    const first = pool.submit({ b: "return", id: 1, v: "done" }).catch(caught);
    const exiting = pool.submit({ b: "exit", id: 2, code: 3 }).catch(caught);
    expect(await first).toEqual({ id: 1, v: "done" });
    expect(await exiting).toBeInstanceOf(WorkerCrashedError);
    expect(pool.stats().crashed).toBe(1); // the exit task ran (and crashed a worker) once
    await pool.close();
  });
});
