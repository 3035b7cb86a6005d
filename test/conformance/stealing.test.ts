/** Work stealing: prefetched tasks do not wait behind a long task while another worker is idle. */
import { describe, expect, it } from "vitest";
import { adapters, fixture, usePools } from "../helpers.ts";

const tasks = fixture("tasks.ts");

describe.each(adapters)("work stealing on the %s adapter", (adapter) => {
  const make = usePools();

  it("tasks prefetched behind a long task run on the idle worker, each once", async () => {
    const pool = make<number, number>({
      module: tasks,
      adapter,
      workers: 2,
      concurrency: 1,
      prefetch: 3,
      heartbeat: { interval: 50, timeout: 5_000 },
    });
    await pool.start();
    const t0 = performance.now();
    const long = pool.submit(4_000, { name: "sleep" });
    // alternately placed: three of them queue behind the long task on its worker
    const quick = Array.from({ length: 6 }, (_, i) =>
      pool.submit(10 + i, { name: "sleep" }).then((v) => ({ v, at: performance.now() - t0 })),
    );
    const done = await Promise.all(quick);
    expect(done.map((d) => d.v)).toEqual([10, 11, 12, 13, 14, 15]);
    // stolen after 200 ms of the long task (plus a tick), not after its 4 s
    for (const d of done) expect(d.at).toBeLessThan(2_000);
    expect(pool.stats().running).toBe(1); // the long one, still running where it started
    expect(await long).toBe(4_000);
    const s = pool.stats();
    expect([s.completed, s.failed, s.retirements]).toEqual([7, 0, {}]);
    await pool.close();
  });
});
