/** The admin's pure pieces: exposition writer, quantiles, history, ring, token compare, readiness, lag. */
import { describe, expect, it } from "vitest";
import { TokenCheck, timingSafeEqual } from "../../src/admin/auth.ts";
import { ExitLog } from "../../src/admin/exits.ts";
import { historyPoint, PoolHistory, quantileBetween } from "../../src/admin/history.ts";
import { LagSampler } from "../../src/admin/lag.ts";
import { metricFamilies } from "../../src/admin/metrics.ts";
import { escapeHelp, escapeLabelValue, formatValue, renderFamilies } from "../../src/admin/prometheus.ts";
import { readiness } from "../../src/admin/readiness.ts";
import { Ring } from "../../src/admin/ring.ts";
import { checkExposition, parseExposition } from "./exposition.ts";
import { fakeStats, fakeWorker } from "./fake_pool.ts";

const lag0 = { last: 0, max: 0, mean: 0, samples: 0, windowSeconds: 10 };

describe("Prometheus text writer", () => {
  it("escapes label values and help text, spells special values", () => {
    expect(escapeLabelValue('a\\b"c\nd')).toBe('a\\\\b\\"c\\nd');
    expect(escapeHelp('a\\b\nc "q"')).toBe('a\\\\b\\nc "q"');
    expect(formatValue(Number.POSITIVE_INFINITY)).toBe("+Inf");
    expect(formatValue(Number.NEGATIVE_INFINITY)).toBe("-Inf");
    expect(formatValue(Number.NaN)).toBe("NaN");
    expect(formatValue(3)).toBe("3");
    expect(formatValue(0.25)).toBe("0.25");
    expect(formatValue(1e-7)).toBe("1e-7");
  });

  it("renders families the real parser reads back, histograms with le=+Inf = count", () => {
    const text = renderFamilies([
      {
        name: "x_total",
        help: "a counter\nwith two lines",
        type: "counter",
        samples: [
          { labels: { pool: 'we"ird\\name\n' }, value: 3 },
          { labels: { pool: "b" }, value: 0 },
        ],
      },
      { name: "g", help: "a gauge", type: "gauge", samples: [{ labels: {}, value: 1.5 }] },
      {
        name: "h_seconds",
        help: "a histogram",
        type: "histogram",
        samples: [{ labels: {}, buckets: [0.1, 1], counts: [2, 5], sum: 3.25, count: 7 }],
      },
    ]);
    checkExposition(text);
    expect(text).toContain('h_seconds_bucket{le="+Inf"} 7\n');
    expect(text).toContain('x_total{pool="we\\"ird\\\\name\\n"} 3\n');
    const parsed = parseExposition(text);
    expect(parsed.map((f) => [f.name, f.type])).toEqual([
      ["x_total", "COUNTER"],
      ["g", "GAUGE"],
      ["h_seconds", "HISTOGRAM"],
    ]);
    expect(parsed[0]?.metrics[0]?.labels?.pool).toBe('we"ird\\name\n');
    expect(parsed[2]?.metrics[0]).toEqual({ buckets: { "0.1": "2", "1": "5", "+Inf": "7" }, sum: "3.25", count: "7" });
    expect(renderFamilies([])).toBe("");
  });

  it("refuses invalid metric and label names", () => {
    expect(() => renderFamilies([{ name: "bad-name", help: "", type: "gauge", samples: [] }])).toThrow(/metric name/);
    expect(() =>
      renderFamilies([{ name: "ok", help: "", type: "gauge", samples: [{ labels: { "1x": "v" }, value: 1 }] }]),
    ).toThrow(/label name/);
  });

  it("metric families keep label keys they do not know yet (future failure kinds or reasons)", () => {
    const stats = fakeStats({ retirements: { maxTasks: 2, someday: 1 } as never, failures: { novel: 4 } as never });
    const families = metricFamilies([["p", stats]], lag0);
    const text = renderFamilies(families);
    checkExposition(text);
    expect(text).toContain('mpms_worker_retirements_total{pool="p",reason="someday"} 1');
    expect(text).toContain('mpms_worker_retirements_total{pool="p",reason="maxTasks"} 2');
    expect(text).toContain('mpms_tasks_failed_total{pool="p",reason="novel"} 4');
    expect(text).toContain('mpms_tasks_failed_total{pool="p",reason="crash"} 0');
  });
});

describe("history", () => {
  const h = (counts: number[], count: number, sum = 0) => ({ buckets: [0.01, 0.1, 1], counts, sum, count });

  it("quantiles of the samples between two snapshots, interpolated inside the bucket", () => {
    expect(quantileBetween(null, h([0, 0, 0], 0), 0.5)).toBe(null);
    expect(quantileBetween(h([1, 1, 1], 1), h([1, 1, 1], 1), 0.5)).toBe(null);
    // 10 samples, all in (0.01, 0.1]
    expect(quantileBetween(null, h([0, 10, 10], 10), 0.5)).toBeCloseTo(0.055, 10);
    // before: 4 in the first bucket; between: 4 more in the first, 4 in the second
    expect(quantileBetween(h([4, 4, 4], 4), h([8, 12, 12], 12), 0.5)).toBeCloseTo(0.01, 10);
    expect(quantileBetween(h([4, 4, 4], 4), h([8, 12, 12], 12), 0.25)).toBeCloseTo(0.005, 10);
    // above the last bound: report that bound
    expect(quantileBetween(null, h([0, 0, 0], 3), 0.95)).toBe(1);
  });

  it("a point has rates per second and gauges of the later snapshot", () => {
    const before = fakeStats({ completed: 10, failed: 1, submitted: 20, runTime: h([0, 10, 10], 10, 0.5) });
    const now = fakeStats({
      completed: 30,
      failed: 3,
      submitted: 60,
      queued: 7,
      running: 2,
      runTime: h([0, 30, 30], 30, 1.5),
      workers: [fakeWorker(1), fakeWorker(2, { state: "starting" })],
    });
    const p = historyPoint(before, now, 2, 1234);
    expect(p).toMatchObject({ t: 1234, completed: 10, failed: 1, submitted: 20, cancelled: 0, queued: 7, running: 2 });
    expect(p.readyWorkers).toBe(1);
    expect(p.runMean).toBeCloseTo(0.05, 10);
    expect(p.runP50).toBeCloseTo(0.055, 10);
    expect(p.waitP95).toBe(null);
  });

  it("PoolHistory: the first sample is the base, then one point per sample, bounded", () => {
    const history = new PoolHistory(2);
    history.sample(fakeStats({ completed: 0 }), 0, 1);
    expect(history.points.size).toBe(0);
    history.sample(fakeStats({ completed: 5 }), 1000, 2);
    history.sample(fakeStats({ completed: 15 }), 2000, 3);
    history.sample(fakeStats({ completed: 15 }), 4000, 4);
    expect(history.points.toArray().map((p) => [p.t, p.completed])).toEqual([
      [3, 10],
      [4, 0],
    ]);
  });

  it("Ring keeps the newest entries in order", () => {
    const ring = new Ring<number>(3);
    for (let i = 1; i <= 5; i++) ring.push(i);
    expect(ring.toArray()).toEqual([3, 4, 5]);
    expect(ring.size).toBe(3);
    expect(() => new Ring(0)).toThrow(RangeError);
  });

  it("ExitLog records workerexit events until detached", () => {
    const target = new EventTarget();
    const log = new ExitLog(target, 2);
    const exit = (detail: object): void => {
      const event = new Event("workerexit");
      Object.defineProperty(event, "detail", { value: detail });
      target.dispatchEvent(event);
    };
    exit({ workerId: 1, code: 0, signal: null, reason: "maxTasks", planned: true });
    exit({ workerId: 2, code: null, signal: "SIGKILL", reason: "crash", planned: false, error: new Error("boom") });
    exit({ workerId: 3, code: 1, signal: null, reason: "crash", planned: false });
    const list = log.list();
    expect(list.map((e) => e.workerId)).toEqual([2, 3]);
    expect(list[0]).toMatchObject({ reason: "crash", signal: "SIGKILL", error: "Error: boom", planned: false });
    expect(Math.abs((list[0]?.time ?? 0) - Date.now())).toBeLessThan(1000);
    log.detach();
    exit({ workerId: 4, code: 0, signal: null, reason: "close", planned: true });
    expect(log.list().map((e) => e.workerId)).toEqual([2, 3]);
  });
});

describe("token check", () => {
  it("timingSafeEqual compares bytes and lengths", () => {
    expect(timingSafeEqual(new Uint8Array([1, 2, 3]), new Uint8Array([1, 2, 3]))).toBe(true);
    expect(timingSafeEqual(new Uint8Array([1, 2, 3]), new Uint8Array([1, 2, 4]))).toBe(false);
    expect(timingSafeEqual(new Uint8Array([1, 2]), new Uint8Array([1, 2, 0]))).toBe(false);
    expect(timingSafeEqual(new Uint8Array([]), new Uint8Array([]))).toBe(true);
  });

  it("TokenCheck: missing, wrong or ok", async () => {
    const check = new TokenCheck("s3cret-token-abcdefgh");
    expect(await check.check(undefined)).toBe("missing");
    expect(await check.check("")).toBe("missing");
    expect(await check.check("Basic czNjcmV0")).toBe("missing");
    expect(await check.check("Bearer")).toBe("missing");
    expect(await check.check("Bearer s3cret-token-abcdefg")).toBe("wrong");
    expect(await check.check("Bearer s3cret-token-abcdefghi")).toBe("wrong");
    expect(await check.check("Bearer a b")).toBe("missing");
    expect(await check.check("Bearer s3cret-token-abcdefgh")).toBe("ok");
    expect(await check.check("bearer   s3cret-token-abcdefgh ")).toBe("ok");
  });
});

describe("readiness", () => {
  const running = fakeStats({ workers: [fakeWorker(1)] });
  it("ready with running pools that have a ready worker and no shutdown", () => {
    expect(readiness(undefined, [["a", running]])).toEqual({
      ready: true,
      reasons: [],
      shutdown: null,
      pools: { a: { state: "running", readyWorkers: 1 } },
    });
    expect(readiness({ ready: true, state: "idle" }, []).ready).toBe(true);
  });
  it("not ready: shutdown started, or any pool that cannot take work", () => {
    const r = readiness({ ready: false, state: "running" }, [
      ["a", running],
      ["b", fakeStats({ state: "closing", workers: [fakeWorker(1)] })],
      ["c", fakeStats({ state: "starting" })],
      ["d", fakeStats({ state: "running", workers: [fakeWorker(1, { state: "retiring" })] })],
    ]);
    expect(r.ready).toBe(false);
    expect(r.reasons).toEqual([
      "shutting down (running)",
      'pool "b" is closing',
      'pool "c" has no ready worker (state starting)',
      'pool "d" has no ready worker (state running)',
    ]);
  });
});

describe("event-loop lag sampler", () => {
  it("window max and mean from recorded probes", () => {
    const lag = new LagSampler(50, 200); // a window of 4 probes
    for (const ms of [10, 0, -5, 30, 20]) lag.record(ms);
    const s = lag.snapshot();
    expect(s.samples).toBe(4);
    expect(s.last).toBeCloseTo(0.02, 10);
    expect(s.max).toBeCloseTo(0.03, 10);
    expect(s.mean).toBeCloseTo(0.0125, 10); // (0 + 0 + 30 + 20) / 4
    expect(s.windowSeconds).toBe(0.2);
  });

  it("sees a blocked event loop, with a timer only", async () => {
    const lag = new LagSampler(20, 5000);
    lag.start();
    try {
      await new Promise((r) => setTimeout(r, 100));
      // below the block to come (a loaded machine may stall the loop a little on its own)
      expect(lag.snapshot().max).toBeLessThan(0.3);
      const end = performance.now() + 400;
      while (performance.now() < end) {
        // block the loop
      }
      expect(lag.snapshot().last).toBeGreaterThan(0.35); // overdue right now
      await new Promise((r) => setTimeout(r, 60));
      const s = lag.snapshot();
      expect(s.max).toBeGreaterThan(0.35);
      expect(s.max).toBeLessThan(2);
      expect(lag.running).toBe(true);
    } finally {
      lag.stop();
    }
    expect(lag.running).toBe(false);
  });
});
