/**
 * The elastic pool (minWorkers / maxWorkers / idleTimeout): scaling up on queue pressure, down
 * after idleTimeout, minWorkers 0, close, validation, crashes while scaling. Ordering comes from
 * events and promises; the only waits are bounded ones for the idle timer.
 */
import { describe, expect, it } from "vitest";
import { Pool } from "../../mod.ts";
import { adapters, caught, fixture, usePools, waitFor } from "../helpers.ts";

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
    // listening from here: a worker that starts after the burst (a loaded machine) may idle out early
    const atMin = next<{ workers: number; reason: string }>(pool, "scaledown", (d) => d.workers === 1, 60_000);
    // the new workers take queued work (or start after the burst, on a loaded machine)
    await burst;
    await waitFor(() => pool.stats().workersStarted === 3, 30_000, "the scaled-up workers ready");
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

  it("no scale-up while closing, even with a queue that would grow a running pool", async () => {
    // One task per worker (no prefetch), so the queue stays in the pool's hands.
    const pool = make<number, number>({
      module,
      adapter,
      minWorkers: 1,
      maxWorkers: 3,
      idleTimeout: 60_000,
      prefetch: 0,
    });
    await pool.start();
    pool.resize(3); // at maxWorkers: the queue below does not grow the pool while it runs
    await waitFor(() => pool.stats().workersStarted === 3, 30_000, "three workers ready");
    let ups = 0;
    pool.addEventListener("scaleup", () => ups++);
    const tasks = Array.from({ length: 12 }, (_, i) => pool.submit(30 + i, { name: "sleep" }));
    expect(pool.stats().queued).toBe(9);
    expect(ups).toBe(0);
    const closed = pool.close();
    const atClose = pool.stats();
    expect([atClose.state, atClose.queued]).toEqual(["closing", 9]);
    // Down to 1 with 9 tasks queued: a running pool would scale straight back up at the dispatch
    // that follows (resize's own); a closing one must not.
    pool.resize(1);
    expect(pool.stats().size).toBe(1);
    await closed;
    expect(await Promise.all(tasks)).toEqual(Array.from({ length: 12 }, (_, i) => 30 + i));
    const s = pool.stats();
    expect(ups).toBe(0);
    expect(s.scaleUps).toBe(atClose.scaleUps);
    expect(s.workersStarted).toBe(3);
    expect(s.size).toBe(1);
    expect(s.completed).toBe(12);
  }, 60_000);

  it("idle retirement and make-before-break recycling (maxTasks) together: no task lost, the count stays in bounds", async () => {
    const min = 1;
    const max = 3;
    const pool = make<number, number>({
      module,
      adapter,
      minWorkers: min,
      maxWorkers: max,
      idleTimeout: 150,
      maxTasks: 4,
      maxRecycling: 2,
    });
    await pool.start();
    // Each time a worker becomes ready or exits: the target within the bounds, the serving
    // workers within the target, and the ones getting ready (scale-ups, replacements, standbys)
    // within the target plus maxRecycling.
    let over = "";
    const check = (): void => {
      const s = pool.stats();
      const count = (...states: string[]): number => s.workers.filter((w) => states.includes(w.state)).length;
      const ready = count("ready");
      const coming = count("starting", "standby");
      if (s.size < min || s.size > max || ready > s.size || coming > s.size + 2) {
        over ||= `size ${s.size}, ready ${ready}, starting or standby ${coming}`;
      }
    };
    pool.addEventListener("workerstart", check);
    pool.addEventListener("workerexit", check);
    let submitted = 0;
    for (let round = 0; round < 3; round++) {
      const n = 18;
      const burst = Array.from({ length: n }, (_, i) => pool.submit(5 + (i % 4) * 5, { name: "sleep" }));
      submitted += n;
      expect(await Promise.all(burst)).toEqual(Array.from({ length: n }, (_, i) => 5 + (i % 4) * 5));
      // idle: back to minWorkers, recycled workers and all
      await next(pool, "scaledown", (d: { workers: number }) => d.workers === min);
      await waitFor(
        () => pool.stats().workers.length === min && pool.stats().workers.every((w) => w.state === "ready"),
        30_000,
        `round ${round}: ${min} serving worker and no other`,
      );
    }
    expect(over).toBe("");
    const s = pool.stats();
    expect(s.size).toBe(min);
    expect([s.completed, s.failed, s.cancelled, s.queued, s.running]).toEqual([submitted, 0, 0, 0, 0]);
    expect(s.retirements.maxTasks ?? 0).toBeGreaterThan(0);
    expect(s.retirements.idle ?? 0).toBeGreaterThan(0);
    // Every worker that started is either still here or retired, and every scale-down is an idle retirement.
    const after = pool.stats();
    const retired = Object.values(after.retirements).reduce((a, b) => a + (b ?? 0), 0);
    expect(after.workersStarted).toBe(retired + min);
    // each scale-down retires one worker, and with it a replacement started early for it, if any
    expect(after.retirements.idle ?? 0).toBeGreaterThanOrEqual(after.scaleDowns);
    expect(after.scaleUps).toBeGreaterThanOrEqual(3);
    await pool.close();
  }, 90_000);

  it("an idle worker whose replacement started early (near maxTasks) still scales down, with its replacement", async () => {
    // One task at a time per worker, so each round of two gives each worker one task.
    const pool = make<number, number>({
      module,
      adapter,
      minWorkers: 1,
      maxWorkers: 2,
      // longer than a spawn on a loaded machine: the first worker must not retire while the second starts
      idleTimeout: 4000,
      prefetch: 0,
      maxTasks: 4,
      maxRecycling: 2,
    });
    await pool.start();
    pool.resize(2); // two workers with no task yet
    await waitFor(
      () => pool.stats().workers.filter((w) => w.state === "ready").length === 2,
      30_000,
      "two workers ready",
    );
    // Three tasks each: at the third, two done and the spawn time known, each worker's replacement
    // starts early (make before break), and the fourth never comes.
    for (let round = 0; round < 3; round++) {
      expect(await Promise.all([pool.submit(30, { name: "sleep" }), pool.submit(30, { name: "sleep" })])).toEqual([
        30, 30,
      ]);
    }
    await waitFor(
      () => pool.stats().workers.filter((w) => w.state === "standby").length === 2,
      30_000,
      "both early replacements ready (standby)",
    );
    const down = await next<{ workers: number }>(pool, "scaledown", (d) => d.workers === 1, 20_000);
    expect(down.workers).toBe(1);
    // the retired worker's replacement went with it; the other keeps its own (make before break)
    await waitFor(() => pool.stats().workers.length === 2, 10_000, "the retired pair gone");
    const s = pool.stats();
    expect(s.workers.map((w) => w.state).sort()).toEqual(["ready", "standby"]);
    expect([s.size, s.scaleDowns, s.retirements.idle, s.completed, s.failed]).toEqual([1, 1, 2, 6, 0]);
    await pool.close();
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
