/**
 * GET /metrics: the text is valid exposition format (strict check + the real parser from npm),
 * every sample equals the pool.stats() snapshot it was rendered from, and
 * submitted = completed + failed + cancelled + running + queued at every scrape of a 20k-task run.
 */
import { afterEach, describe, expect, it } from "vitest";
import { type AdminApp, createAdmin, PROMETHEUS_CONTENT_TYPE } from "../../admin.ts";
import type { Pool, PoolStats } from "../../mod.ts";
import { FAILURE_KINDS, POOL_STATES, RETIRE_REASONS, WORKER_STATES } from "../../src/admin/metrics.ts";
import { fixture, usePools, waitFor } from "../helpers.ts";
import { byName, type ParsedFamily, parseExposition, parseHistogram, sampleValue } from "./exposition.ts";

const makePool = usePools();
const apps: AdminApp[] = [];
afterEach(() => {
  for (const app of apps.splice(0)) app.close();
});

function admin(pools: Record<string, Pool<any, any>>): AdminApp {
  const app = createAdmin({ pools });
  apps.push(app);
  return app;
}

/** Families that describe the host, not a pool. */
const HOST_FAMILIES = new Set(["mpms_event_loop_lag_seconds", "mpms_event_loop_lag_max_seconds"]);

const num = (v: string | undefined): number => (v === "+Inf" ? Infinity : Number(v));

/** Scrape, with the stats() snapshot of each pool taken in the same turn as the handler's. */
async function scrape(app: AdminApp, pools: Record<string, Pool<any, any>>) {
  const expected = Object.fromEntries(Object.entries(pools).map(([name, pool]) => [name, pool.stats()]));
  const pending = app.request("/metrics"); // the handler runs synchronously inside request()
  const res = await pending;
  expect(res.status).toBe(200);
  expect(res.headers.get("content-type")).toBe(PROMETHEUS_CONTENT_TYPE);
  const text = await res.text();
  return { text, families: byName(parseExposition(text)), expected };
}

/** Every sample of every pool family against the snapshot; returns the number of samples checked. */
function checkAgainstStats(text: string, families: Map<string, ParsedFamily>, pool: string, s: PoolStats): number {
  let checked = 0;
  const eq = (name: string, labels: Record<string, string>, want: number): void => {
    expect(sampleValue(families, name, { pool, ...labels }), `${name}${JSON.stringify(labels)}`).toBe(want);
    checked++;
  };
  eq("mpms_pool_info", { adapter: s.adapter }, 1);
  for (const state of POOL_STATES) eq("mpms_pool_state", { state }, s.state === state ? 1 : 0);
  eq("mpms_tasks_submitted_total", {}, s.submitted);
  eq("mpms_tasks_completed_total", {}, s.completed);
  for (const reason of FAILURE_KINDS) eq("mpms_tasks_failed_total", { reason }, s.failures[reason] ?? 0);
  eq("mpms_tasks_cancelled_total", {}, s.cancelled);
  eq("mpms_tasks_queued", {}, s.queued);
  eq("mpms_tasks_running", {}, s.running);
  for (const state of WORKER_STATES) eq("mpms_workers", { state }, s.workers.filter((w) => w.state === state).length);
  eq("mpms_workers_target", {}, s.size);
  eq("mpms_workers_min", {}, s.minWorkers);
  eq("mpms_workers_max", {}, s.maxWorkers);
  eq("mpms_scale_ups_total", {}, s.scaleUps);
  eq("mpms_scale_downs_total", {}, s.scaleDowns);
  eq("mpms_worker_starts_total", {}, s.workersStarted);
  for (const reason of RETIRE_REASONS) eq("mpms_worker_retirements_total", { reason }, s.retirements[reason] ?? 0);
  eq("mpms_worker_zombies_total", {}, s.zombies);
  const memory = (families.get("mpms_worker_memory_bytes") as ParsedFamily).metrics.filter(
    (m) => m.labels?.pool === pool,
  );
  expect(memory.length).toBe(s.workers.filter((w) => w.memory !== null).length);
  for (const w of s.workers) if (w.memory !== null) eq("mpms_worker_memory_bytes", { worker: String(w.id) }, w.memory);
  for (const [name, h] of [
    ["mpms_task_wait_seconds", s.waitTime],
    ["mpms_task_run_seconds", s.runTime],
  ] as const) {
    expect(families.get(name)?.type).toBe("HISTOGRAM");
    const m = parseHistogram(text, name, pool);
    const buckets = m.buckets as Record<string, string>;
    expect(Object.keys(buckets).length).toBe(h.buckets.length + 1);
    for (const [i, le] of h.buckets.entries()) expect(num(buckets[String(le)]), `${name} le=${le}`).toBe(h.counts[i]);
    expect(num(buckets["+Inf"])).toBe(h.count);
    expect(num(m.count)).toBe(h.count);
    expect(num(m.sum)).toBeCloseTo(h.sum, 9);
    checked += h.buckets.length + 3;
  }
  return checked;
}

/** Counters of the text add up: submitted = completed + failed + cancelled + running + queued. */
function checkBalance(families: Map<string, ParsedFamily>, pool: string): void {
  const v = (name: string, labels: Record<string, string> = {}): number =>
    sampleValue(families, name, { pool, ...labels });
  const failed = FAILURE_KINDS.reduce((sum, reason) => sum + v("mpms_tasks_failed_total", { reason }), 0);
  const settled = v("mpms_tasks_completed_total") + failed + v("mpms_tasks_cancelled_total");
  expect(v("mpms_tasks_submitted_total")).toBe(settled + v("mpms_tasks_running") + v("mpms_tasks_queued"));
}

describe("GET /metrics", () => {
  it("is valid exposition text whose every sample equals pool.stats()", async () => {
    const work = makePool({
      module: fixture("admin/tasks.ts"),
      workers: 2,
      heartbeat: { interval: 50, timeout: 5000 },
    });
    const idle = makePool({ module: fixture("admin/tasks.ts"), workers: 1 });
    await work.start();
    await Promise.all(Array.from({ length: 200 }, (_, i) => work.submit(i)));
    await Promise.allSettled(Array.from({ length: 7 }, () => work.submit("boom", { name: "fail" })));
    // cancelled: queued behind busy workers, then aborted
    const busy = [work.submit(150, { name: "sleep" }), work.submit(150, { name: "sleep" })];
    const abort = new AbortController();
    const doomed = Array.from({ length: 3 }, () => work.submit(1, { signal: abort.signal }).catch((e) => e));
    abort.abort(new Error("changed my mind"));
    await Promise.all([...busy, ...doomed]);
    expect(work.recycle(work.stats().workers[0]?.id as number)).toBe(true);
    await waitFor(() => work.stats().retirements.recycle === 1 && work.stats().workers.length === 2, 5000, "recycle");
    await waitFor(() => work.stats().workers.every((w) => w.memory !== null && w.state === "ready"), 5000, "memory");

    const app = admin({ work, idle });
    const { text, families, expected } = await scrape(app, { work, idle });
    expect(text).toContain('mpms_tasks_failed_total{pool="work",reason="error"} 7');
    expect(expected.work?.cancelled).toBe(3);
    expect(expected.work?.completed).toBe(202);

    let checked = 0;
    for (const [name, s] of Object.entries(expected)) {
      checked += checkAgainstStats(text, families, name, s);
      checkBalance(families, name);
    }
    // every family is accounted for: the pool ones (each sample labelled with a known pool) and the host ones
    for (const [name, family] of families) {
      expect(family.help, name).not.toBe("");
      if (!HOST_FAMILIES.has(name)) continue;
      expect(family.type).toBe("GAUGE");
      expect(family.metrics.length).toBe(1);
      const lag = num(family.metrics[0]?.value);
      expect(lag).toBeGreaterThanOrEqual(0);
      expect(lag).toBeLessThan(5);
    }
    const sampleLines = text.split("\n").filter((line) => line !== "" && !line.startsWith("#"));
    const poolLines = sampleLines.filter((line) => !HOST_FAMILIES.has(line.split(/[{ ]/)[0] as string));
    expect(sampleLines.length - poolLines.length).toBe(HOST_FAMILIES.size);
    for (const line of poolLines) expect(line).toMatch(/^[a-z_]+\{pool="(work|idle)"[,}]/);
    const samples = poolLines.length;
    expect(checked).toBe(samples);
    expect(families.size).toBe(22);
  });

  it("balances at every scrape while 20k+ tasks run, and matches stats() each time", async () => {
    const pool = makePool({ module: fixture("admin/tasks.ts"), workers: 2 });
    await pool.start();
    const app = admin({ pool });
    // Submission goes on in chunks until at least N tasks went in and the scraper has seen at least
    // MID_SCRAPES snapshots taken mid-run, so the check does not depend on how fast this machine is.
    const N = 20_000;
    const CHUNK = 1_000;
    const MID_SCRAPES = 10;
    const MAX_CHUNKS = 200;
    let finished = false;
    let mid = 0;
    let sent = 0;
    // every 97th task of the first chunk carries a signal that is aborted right after the chunk went
    // in, while most of the chunk is still queued: those settle as cancelled
    const abort = new AbortController();
    const run = (async () => {
      const all: Promise<unknown>[] = [];
      for (let chunk = 0; chunk < MAX_CHUNKS && (sent < N || mid < MID_SCRAPES); chunk++) {
        for (let j = 0; j < CHUNK; j++, sent++) {
          const i = sent;
          const options =
            i % 50 === 0 ? { name: "fail" } : chunk === 0 && i % 97 === 0 ? { signal: abort.signal } : undefined;
          all.push(pool.submit(i % 50 === 0 ? "boom" : i, options).catch(() => "settled"));
        }
        if (chunk === 0) abort.abort(new Error("cancelled"));
        await new Promise((r) => setTimeout(r, 1)); // let the scraper in
      }
      await Promise.all(all);
      finished = true;
    })();
    let scrapes = 0;
    let lastSubmitted = 0;
    let lastSettled = 0;
    while (!finished) {
      const { text, families, expected } = await scrape(app, { pool });
      const s = expected.pool as PoolStats;
      checkBalance(families, "pool");
      checkAgainstStats(text, families, "pool", s);
      const settled = s.completed + s.failed + s.cancelled;
      expect(s.submitted).toBeGreaterThanOrEqual(lastSubmitted);
      expect(settled).toBeGreaterThanOrEqual(lastSettled);
      lastSubmitted = s.submitted;
      lastSettled = settled;
      if (s.running + s.queued > 0 && settled > 0) mid++;
      scrapes++;
      await new Promise((r) => setTimeout(r, 1));
    }
    await run;
    const { text, families, expected } = await scrape(app, { pool });
    checkBalance(families, "pool");
    checkAgainstStats(text, families, "pool", expected.pool as PoolStats);
    const s = expected.pool as PoolStats;
    console.log(
      `[admin metrics] ${scrapes} scrapes (${mid} mid-run), ${s.submitted} submitted, ${s.cancelled} cancelled`,
    );
    expect(sent).toBeGreaterThanOrEqual(N);
    expect(s.submitted).toBe(sent);
    expect(s.completed + s.failed + s.cancelled).toBe(s.submitted);
    expect(s.failures.error).toBe(sent / 50);
    expect(s.cancelled).toBeGreaterThan(0);
    expect(s.cancelled).toBeLessThanOrEqual(Math.ceil(CHUNK / 97));
    expect(mid).toBeGreaterThanOrEqual(MID_SCRAPES);
  });
});
