/**
 * The elastic pool (minWorkers / maxWorkers / idleTimeout): scaling up on queue pressure, down
 * after idleTimeout, minWorkers 0, close, validation, crashes while scaling. Ordering comes from
 * events and promises; the only waits are bounded ones for the idle timer.
 */
import { describe, expect, it } from "vitest";
import { Pool } from "../../mod.ts";
import { adapters, caught, fixture, usePools } from "../helpers.ts";

const module = fixture("tasks.ts");

/** Resolves with the detail of the first `type` event whose detail satisfies `check`. */
function thrown(f: () => unknown): unknown {
  try {
    f();
  } catch (e) {
    return e;
  }
  return undefined;
}

function next<T>(pool: Pool, type: string, check: (d: T) => boolean, timeout = 30_000): Promise<T> {
  return new Promise((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error(`no ${type} event within ${timeout} ms`)), timeout);
    const on = (e: Event): void => {
      const d = (e as CustomEvent<T>).detail;
      if (!check(d)) return;
      clearTimeout(timer);
      pool.removeEventListener(type, on);
      resolve(d);
    };
    pool.addEventListener(type, on);
  });
}

describe("elastic options", () => {
  it("validation names the option", () => {
    const t = (o: Record<string, unknown>): unknown => thrown(() => new Pool({ module, ...o } as never));
    expect(t({ minWorkers: 3, maxWorkers: 2 })).toBeInstanceOf(RangeError);
    expect(String(t({ minWorkers: 3, maxWorkers: 2 }))).toMatch(/minWorkers.*maxWorkers/);
    expect(t({ minWorkers: -1, maxWorkers: 2 })).toBeInstanceOf(RangeError);
    expect(t({ minWorkers: 1.5, maxWorkers: 2 })).toBeInstanceOf(RangeError);
    expect(t({ maxWorkers: 0 })).toBeInstanceOf(RangeError);
    expect(t({ maxWorkers: 5000 })).toBeInstanceOf(RangeError);
    expect(String(t({ maxWorkers: "2" }))).toMatch(/TypeError.*maxWorkers/);
    expect(String(t({ workers: 2, maxWorkers: 4 }))).toMatch(/TypeError.*workers/);
    expect(String(t({ maxWorkers: 2, idleTimeout: 0 }))).toMatch(/RangeError.*idleTimeout/);
    expect(String(t({ maxWorkers: 2, idleTimeout: "1" }))).toMatch(/TypeError.*idleTimeout/);
  });
});

describe.each(adapters)("elastic pool on the %s adapter", (adapter) => {
  const make = usePools();

  it("workers: N alone stays a fixed pool: no scale-up under a burst", async () => {
    const pool = make<number, number>({ module, adapter, workers: 2 });
    let ups = 0;
    pool.addEventListener("scaleup", () => ups++);
    await pool.start();
    await Promise.all(Array.from({ length: 20 }, () => pool.submit(5, { name: "sleep" })));
    const s = pool.stats();
    expect([s.minWorkers, s.maxWorkers, s.size, s.scaleUps, ups]).toEqual([2, 2, 2, 0, 0]);
    expect(s.workersStarted).toBe(2);
    await pool.close();
  }, 30_000);

  it("scales up to maxWorkers under a burst, back to minWorkers after idleTimeout", async () => {
    const pool = make<number, number>({ module, adapter, minWorkers: 1, maxWorkers: 3, idleTimeout: 300 });
    await pool.start();
    expect(pool.stats().size).toBe(1);
    const atMax = next<{ workers: number }>(pool, "scaleup", (d) => d.workers === 3);
    // 4.5 s of work for one worker: long enough for two spawns even on a loaded machine (a burst
    // of 20 ms tasks ended before a process worker was ready in CI at load average 8)
    const burst = Promise.all(Array.from({ length: 30 }, () => pool.submit(150, { name: "sleep" })));
    expect((await atMax).workers).toBe(3);
    // the new workers take queued work
    await burst;
    expect(pool.stats().workersStarted).toBe(3);
    const atMin = next<{ workers: number; reason: string }>(pool, "scaledown", (d) => d.workers === 1);
    const down = await atMin;
    expect(down.reason).toBe("idle");
    const s = pool.stats();
    expect(s.size).toBe(1);
    expect(s.scaleDowns).toBe(2);
    expect(s.failed).toBe(0);
    expect(s.completed).toBe(30);
    await pool.close();
    expect(pool.stats().retirements.idle).toBe(2);
  }, 60_000);

  it("minWorkers 0: starts with no worker, the first submit spawns one", async () => {
    const pool = make<number, number>({ module, adapter, minWorkers: 0, maxWorkers: 2, idleTimeout: 200 });
    await pool.start();
    expect(pool.stats().workers.length).toBe(0);
    expect(await pool.submit(21, { name: "double" })).toBe(42);
    expect(pool.stats().scaleUps).toBeGreaterThanOrEqual(1);
    await next(pool, "scaledown", (d: { workers: number }) => d.workers === 0);
    await pool.close();
    expect(pool.stats().workers.length).toBe(0);
  }, 60_000);

  it("no scale-up while closing; queued tasks still finish", async () => {
    const pool = make<number, number>({ module, adapter, minWorkers: 1, maxWorkers: 4, idleTimeout: 60_000 });
    await pool.start();
    const first = next(pool, "scaleup", () => true);
    const tasks = Array.from({ length: 8 }, () => pool.submit(10, { name: "sleep" }));
    await first;
    const upsAtClose = pool.stats().scaleUps;
    let later = 0;
    pool.addEventListener("scaleup", () => later++);
    await pool.close();
    expect(later).toBe(0);
    expect(pool.stats().scaleUps).toBe(upsAtClose);
    expect((await Promise.all(tasks)).length).toBe(8);
  }, 60_000);

  it("a crash while scaling loses no other task; the crashed worker is restarted within the target", async () => {
    const pool = make<number, unknown>({ module, adapter, minWorkers: 1, maxWorkers: 3, idleTimeout: 60_000 });
    await pool.start();
    const atMax = next(pool, "scaleup", (d: { workers: number }) => d.workers === 3);
    const ok = Array.from({ length: 20 }, () => pool.submit(10, { name: "sleep" }));
    const crash = pool.submit(3, { name: "exit" }).catch(caught);
    await atMax;
    const more = Array.from({ length: 20 }, () => pool.submit(5, { name: "sleep" }));
    expect((await Promise.all([...ok, ...more])).length).toBe(40);
    expect(await crash).toBeInstanceOf(Error);
    const s = pool.stats();
    expect(s.size).toBe(3);
    expect(s.completed).toBe(40);
    expect(s.failed).toBe(1);
    await pool.close();
  }, 60_000);

  it("resize(n) of an elastic pool sets the target within the bounds", async () => {
    const pool = make<number, number>({ module, adapter, minWorkers: 1, maxWorkers: 3, idleTimeout: 60_000 });
    await pool.start();
    expect(() => pool.resize(4)).toThrow(RangeError);
    pool.resize(2);
    expect(pool.stats().size).toBe(2);
    await pool.close();
  }, 30_000);
});
