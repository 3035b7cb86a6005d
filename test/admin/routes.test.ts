/** Every admin route in-process (app.request): status codes, content types, bodies, auth. */
import { afterEach, describe, expect, it } from "vitest";
import { type AdminApp, type AdminOptions, createAdmin } from "../../admin.ts";
import { type Pool, Shutdown } from "../../mod.ts";
import { fixture, usePools, waitFor } from "../helpers.ts";
import { FakePool, fakeStats, fakeWorker } from "./fake_pool.ts";

const TOKEN = "test-token-0123456789abcdef";
const makePool = usePools();
const apps: AdminApp[] = [];
afterEach(() => {
  for (const app of apps.splice(0)) app.close();
});

function admin(options: AdminOptions): AdminApp {
  const app = createAdmin(options);
  apps.push(app);
  return app;
}

async function runningPool(workers = 2): Promise<Pool<unknown, unknown>> {
  const pool = makePool({ module: fixture("admin/tasks.ts"), workers });
  await pool.start();
  return pool;
}

const auth = (token = TOKEN): Record<string, string> => ({ Authorization: `Bearer ${token}` });
const post = (app: AdminApp, path: string, init: { headers?: Record<string, string>; body?: string } = {}) =>
  app.request(path, { method: "POST", ...init });

describe("read routes", () => {
  it("GET /healthz answers 200 text, uncached; HEAD works", async () => {
    const app = admin({ pools: {} });
    const res = await app.request("/healthz");
    expect(res.status).toBe(200);
    expect(res.headers.get("content-type")).toMatch(/^text\/plain/);
    expect(res.headers.get("cache-control")).toBe("no-store");
    expect(await res.text()).toBe("ok\n");
    const head = await app.request("/healthz", { method: "HEAD" });
    expect(head.status).toBe(200);
  });

  it("GET /readyz is 200 with running pools and ready workers", async () => {
    const pool = await runningPool();
    const app = admin({ pools: { main: pool }, shutdown: new Shutdown({ exit: false, logger: false }) });
    const res = await app.request("/readyz");
    expect(res.status).toBe(200);
    expect(res.headers.get("content-type")).toMatch(/^application\/json/);
    expect(await res.json()).toEqual({
      ready: true,
      reasons: [],
      shutdown: "idle",
      pools: { main: { state: "running", readyWorkers: 2 } },
    });
  });

  it("GET /readyz is 503 with a reason: pool not started, failed, without a ready worker, closed", async () => {
    const idle = makePool({ module: fixture("admin/tasks.ts"), workers: 1 });
    const failed = new FakePool(fakeStats({ state: "failed" }));
    const starting = new FakePool(fakeStats({ state: "running", workers: [fakeWorker(1, { state: "starting" })] }));
    const app = admin({ pools: { idle, failed, starting } });
    const res = await app.request("/readyz");
    expect(res.status).toBe(503);
    const body = await res.json();
    expect(body.ready).toBe(false);
    expect(body.reasons).toEqual([
      'pool "idle" has not been started (call pool.start())',
      'pool "failed" has failed (workers cannot start)',
      'pool "starting" has no ready worker (state running)',
    ]);

    const closed = await runningPool(1);
    await closed.close();
    const after = admin({ pools: { closed } });
    const r2 = await after.request("/readyz");
    expect(r2.status).toBe(503);
    expect((await r2.json()).reasons).toEqual(['pool "closed" is closed']);
  });

  it("GET /healthz is 503 with a JSON reason once a pool has failed for good, unless turned off", async () => {
    const failed = new FakePool(fakeStats({ state: "failed" }));
    const running = new FakePool(fakeStats());
    const res = await admin({ pools: { running, failed } }).request("/healthz");
    expect(res.status).toBe(503);
    expect(res.headers.get("content-type")).toMatch(/^application\/json/);
    expect(await res.json()).toEqual({
      live: false,
      reasons: ['pool "failed" has failed for good (workers cannot start)'],
    });
    const off = await admin({ pools: { failed }, failLivenessOnPoolFailure: false }).request("/healthz");
    expect(off.status).toBe(200);
    expect(() => createAdmin({ pools: {}, failLivenessOnPoolFailure: "yes" as never })).toThrow(
      /option "failLivenessOnPoolFailure" must be a boolean/,
    );
  });

  it("GET /readyz turns 503 as soon as the shutdown starts, while /healthz stays 200", async () => {
    const pool = await runningPool(1);
    const shutdown = new Shutdown({ exit: false, logger: false, delay: 200, timeout: 5000 });
    const app = admin({ pools: { main: pool }, shutdown });
    expect((await app.request("/readyz")).status).toBe(200);
    const run = shutdown.run("test");
    const res = await app.request("/readyz");
    expect(res.status).toBe(503);
    expect((await res.json()).reasons).toEqual(["shutting down (delaying)"]);
    expect((await app.request("/healthz")).status).toBe(200);
    await run;
  });

  it("GET /stats has the pool numbers, worker rows, recent exits, lag and flags", async () => {
    const pool = await runningPool(2);
    await Promise.all(Array.from({ length: 20 }, (_, i) => pool.submit(i)));
    const app = admin({ pools: { main: pool }, token: TOKEN });
    const res = await app.request("/stats");
    expect(res.status).toBe(200);
    expect(res.headers.get("content-type")).toMatch(/^application\/json/);
    const body = await res.json();
    const s = pool.stats();
    expect(body.ready).toBe(true);
    expect(body.controls).toBe(true);
    expect(body.shutdown).toBe(null);
    expect(Number.isNaN(Date.parse(body.time))).toBe(false);
    expect(body.eventLoopLag.last).toBeGreaterThanOrEqual(0);
    expect(body.eventLoopLag.windowSeconds).toBe(10);
    const main = body.pools.main;
    for (const key of [
      "state",
      "adapter",
      "size",
      "submitted",
      "completed",
      "failed",
      "cancelled",
      "queued",
      "running",
    ]) {
      expect(main[key], key).toEqual(s[key as keyof typeof s]);
    }
    expect(main.submitted).toBe(20);
    expect(main.waitTime).toEqual(s.waitTime);
    expect(main.workers.map((w: { id: number }) => w.id)).toEqual(s.workers.map((w) => w.id));
    expect(Object.keys(main.workers[0]).sort()).toEqual(
      ["age", "id", "memory", "pid", "retiring", "running", "started", "state", "tasksDone", "threadId"].sort(),
    );
    expect(main.recentExits).toEqual([]);
  });

  it("GET /workers lists every worker with its pool", async () => {
    const [a, b] = await Promise.all([runningPool(2), runningPool(1)]);
    const app = admin({ pools: { a, b } });
    const res = await app.request("/workers");
    expect(res.status).toBe(200);
    expect(res.headers.get("content-type")).toMatch(/^application\/json/);
    const { workers } = await res.json();
    expect(workers.map((w: { pool: string }) => w.pool)).toEqual(["a", "a", "b"]);
    expect(workers.every((w: { state: string }) => w.state === "ready")).toBe(true);
  });

  it("GET /history gains a point per second with rates and latencies", async () => {
    const pool = await runningPool(2);
    const app = admin({ pools: { main: pool } });
    await Promise.all(Array.from({ length: 50 }, () => pool.submit(5, { name: "sleep" })));
    let points: { completed: number; runP95: number | null; t: number }[] = [];
    const start = performance.now();
    while (points.length === 0 && performance.now() - start < 3000) {
      await new Promise((r) => setTimeout(r, 100));
      const res = await app.request("/history");
      expect(res.status).toBe(200);
      const body = await res.json();
      expect(body.interval).toBe(1);
      points = body.pools.main;
    }
    expect(points.length).toBe(1);
    const p = points[0] as { completed: number; runP95: number | null; t: number };
    expect(p.completed).toBeGreaterThan(10); // 50 tasks in (about) a second
    expect(p.runP95).toBeGreaterThanOrEqual(0.004);
    expect(p.runP95).toBeLessThan(0.25);
    expect(Math.abs(p.t - Date.now())).toBeLessThan(3000);
  });

  it("GET / serves the self-contained dashboard, GET /dashboard.js its script", async () => {
    const app = admin({ pools: {} });
    const page = await app.request("/");
    expect(page.status).toBe(200);
    expect(page.headers.get("content-type")).toMatch(/^text\/html; charset=UTF-8/i);
    const csp = page.headers.get("content-security-policy") ?? "";
    expect(csp).toContain("script-src 'self'");
    expect(csp).toContain("frame-ancestors 'none'");
    const html = await page.text();
    expect(html).toContain('<script src="dashboard.js"></script>');
    expect(html).not.toMatch(/(src|href)="(https?:)?\/\//); // no CDN, nothing fetched from elsewhere
    const script = await app.request("/dashboard.js");
    expect(script.status).toBe(200);
    expect(script.headers.get("content-type")).toBe("text/javascript; charset=utf-8");
    const js = await script.text();
    expect(js.replace("http://www.w3.org/2000/svg", "")).not.toMatch(/https?:\/\//);
    expect(() => new Function(js)).not.toThrow(); // it parses
  });

  it("unknown routes are 404 JSON", async () => {
    const app = admin({ pools: {} });
    const res = await app.request("/nope");
    expect(res.status).toBe(404);
    expect(await res.json()).toEqual({ error: "not found: GET /nope" });
  });
});

describe("control routes: auth", () => {
  const routes: [string, string | undefined][] = [
    ["/pools/main/workers/1/recycle", undefined],
    ["/pools/main/resize", '{"workers":2}'],
    ["/shutdown", undefined],
  ];

  it("are disabled (405, empty Allow) without a configured token, even with credentials", async () => {
    const pool = new FakePool(fakeStats({ workers: [fakeWorker(1)] }));
    const shutdown = new Shutdown({ exit: false, logger: false });
    const app = admin({ pools: { main: pool }, shutdown });
    for (const [path, body] of routes) {
      for (const headers of [{} as Record<string, string>, auth()]) {
        const res = await post(app, path, { headers, body });
        expect(res.status, path).toBe(405);
        expect(res.headers.get("allow")).toBe("");
        expect((await res.json()).error).toMatch(/disabled: no token configured/);
      }
    }
    expect(pool.recycled).toEqual([]);
    expect(pool.resized).toEqual([]);
    expect(shutdown.ready).toBe(true);
  });

  it("need credentials (401), the right token (403), then act", async () => {
    const pool = new FakePool(fakeStats({ workers: [fakeWorker(1)] }));
    const shutdown = new Shutdown({ exit: false, logger: false });
    const app = admin({ pools: { main: pool }, shutdown, token: TOKEN });
    for (const [path, body] of routes) {
      const attempts: Record<string, string>[] = [
        {},
        { Authorization: `Basic ${btoa(`x:${TOKEN}`)}` },
        { Authorization: "Bearer" },
      ];
      for (const headers of attempts) {
        const res = await post(app, path, { headers, body });
        expect(res.status, `${path} ${JSON.stringify(headers)}`).toBe(401);
        expect(res.headers.get("www-authenticate")).toBe('Bearer realm="mpms admin"');
        expect(res.headers.get("content-type")).toMatch(/^application\/json/);
      }
      for (const token of ["wrong-token-0123456789abcdef", `${TOKEN}x`, TOKEN.slice(0, -1), "x"]) {
        const res = await post(app, path, { headers: auth(token), body });
        expect(res.status, path).toBe(403);
        expect(await res.json()).toEqual({ error: "wrong token" });
      }
    }
    expect(pool.recycled).toEqual([]);
    expect(pool.resized).toEqual([]);
    expect(shutdown.ready).toBe(true);

    const lower = await post(app, "/pools/main/workers/1/recycle", { headers: { authorization: `bearer  ${TOKEN} ` } });
    expect(lower.status).toBe(202);
    expect(pool.recycled).toEqual([1]);
  });

  it("wrong methods on control routes are 405 with Allow: POST", async () => {
    const app = admin({ pools: {}, token: TOKEN });
    for (const [method, path] of [
      ["GET", "/shutdown"],
      ["PUT", "/pools/main/resize"],
      ["DELETE", "/pools/main/workers/1/recycle"],
    ] as const) {
      const res = await app.request(path, { method, headers: auth() });
      expect(res.status, `${method} ${path}`).toBe(405);
      expect(res.headers.get("allow")).toBe("POST");
    }
  });
});

describe("POST /pools/:name/workers/:id/recycle", () => {
  it("retires the worker as planned (202), then it shows in /stats recent exits", async () => {
    const pool = await runningPool(2);
    const app = admin({ pools: { main: pool }, token: TOKEN });
    const id = pool.stats().workers[0]?.id as number;
    const res = await post(app, `/pools/main/workers/${id}/recycle`, { headers: auth() });
    expect(res.status).toBe(202);
    expect(res.headers.get("content-type")).toMatch(/^application\/json/);
    expect(await res.json()).toMatchObject({ pool: "main", workerId: id, reason: "recycle" });
    const again = await post(app, `/pools/main/workers/${id}/recycle`, { headers: auth() });
    expect(again.status).toBe(409);
    expect((await again.json()).error).toMatch(/already stopping: retiring \(recycle\)/);
    await waitFor(() => pool.stats().retirements.recycle === 1, 5000, "the recycle");
    await waitFor(() => pool.stats().workers.filter((w) => w.state === "ready").length === 2, 5000, "replacement");
    expect(pool.stats().workers.map((w) => w.id)).not.toContain(id);
    const stats = await (await app.request("/stats")).json();
    expect(stats.pools.main.recentExits).toHaveLength(1);
    expect(stats.pools.main.recentExits[0]).toMatchObject({ workerId: id, reason: "recycle", planned: true });
    const gone = await post(app, `/pools/main/workers/${id}/recycle`, { headers: auth() });
    expect(gone.status).toBe(404);
  });

  it("unknown pool or worker is 404, a bad id 400", async () => {
    const pool = new FakePool(fakeStats({ workers: [fakeWorker(1)] }));
    const app = admin({ pools: { main: pool }, token: TOKEN });
    const noPool = await post(app, "/pools/other/workers/1/recycle", { headers: auth() });
    expect(noPool.status).toBe(404);
    expect((await noPool.json()).error).toBe('no pool named "other" (pools: "main")');
    const noWorker = await post(app, "/pools/main/workers/7/recycle", { headers: auth() });
    expect(noWorker.status).toBe(404);
    expect((await noWorker.json()).error).toBe('pool "main" has no worker 7');
    for (const id of ["abc", "-1", "1.5", "99999999999"]) {
      const res = await post(app, `/pools/main/workers/${id}/recycle`, { headers: auth() });
      expect(res.status, id).toBe(400);
      expect((await res.json()).error).toMatch(/worker id must be a non-negative integer/);
    }
    expect(pool.recycled).toEqual([]);
  });
});

describe("POST /pools/:name/resize", () => {
  it("resizes (202) and the pool follows", async () => {
    const pool = await runningPool(1);
    const app = admin({ pools: { main: pool }, token: TOKEN });
    const res = await post(app, "/pools/main/resize", {
      headers: { ...auth(), "Content-Type": "application/json" },
      body: JSON.stringify({ workers: 3 }),
    });
    expect(res.status).toBe(202);
    expect(await res.json()).toMatchObject({ pool: "main", workers: 3, previous: 1 });
    expect(pool.stats().size).toBe(3);
    await waitFor(() => pool.stats().workers.filter((w) => w.state === "ready").length === 3, 5000, "growth");
    const down = await post(app, "/pools/main/resize", { headers: auth(), body: '{"workers":1}' });
    expect(down.status).toBe(202);
    await waitFor(() => pool.stats().retirements.resize === 2, 5000, "shrink");
  });

  it("invalid bodies are 400 with a reason; unknown pool 404; a closed pool 409", async () => {
    const pool = new FakePool(fakeStats());
    const closed = new FakePool(fakeStats({ state: "closed" }));
    const app = admin({ pools: { main: pool, closed }, token: TOKEN });
    const cases: [string | undefined, RegExp][] = [
      [undefined, /missing body/],
      ["", /missing body/],
      ["{workers: 2}", /not valid JSON/],
      ["[2]", /must be a JSON object/],
      ["null", /must be a JSON object/],
      ["2", /must be a JSON object/],
      ["{}", /"workers" must be an integer >= 1 and <= 1024, got undefined/],
      ['{"workers":0}', /got 0/],
      ['{"workers":1.5}', /got 1.5/],
      ['{"workers":"3"}', /got "3"/],
      ['{"workers":1025}', /got 1025/],
      ['{"workers":2,"force":true}', /unknown field "force"/],
    ];
    for (const [body, reason] of cases) {
      const res = await post(app, "/pools/main/resize", { headers: auth(), body });
      expect(res.status, String(body)).toBe(400);
      expect(res.headers.get("content-type")).toMatch(/^application\/json/);
      expect((await res.json()).error, String(body)).toMatch(reason);
    }
    // past 1 KiB: 413, and the client is asked to close the connection
    const big = await post(app, "/pools/main/resize", {
      headers: auth(),
      body: JSON.stringify({ workers: 2, pad: "x".repeat(2000) }),
    });
    expect(big.status).toBe(413);
    expect(big.headers.get("connection")).toBe("close");
    expect((await big.json()).error).toBe("body too large (max 1024 bytes)");
    expect(pool.resized).toEqual([]);
    const unknown = await post(app, "/pools/nope/resize", { headers: auth(), body: '{"workers":2}' });
    expect(unknown.status).toBe(404);
    const conflict = await post(app, "/pools/closed/resize", { headers: auth(), body: '{"workers":2}' });
    expect(conflict.status).toBe(409);
    expect((await conflict.json()).error).toBe('pool "closed" is closed: it cannot be resized');
    expect(closed.resized).toEqual([]);
  });
});

describe("POST /shutdown", () => {
  it("answers 202 first, then runs shutdown.run('admin'); readiness fails; a second call is 202 too", async () => {
    const pool = await runningPool(1);
    const shutdown = new Shutdown({ exit: false, logger: false, timeout: 5000 });
    shutdown.add(pool);
    const app = admin({ pools: { main: pool }, shutdown, token: TOKEN });
    const res = await post(app, "/shutdown", { headers: auth() });
    expect(res.status).toBe(202);
    expect(await res.json()).toMatchObject({ shutdown: "started", reason: "admin" });
    await waitFor(() => !shutdown.ready, 1000, "the run to start");
    const again = await post(app, "/shutdown", { headers: auth() });
    expect(again.status).toBe(202);
    expect((await again.json()).message).toMatch(/already under way/);
    expect((await app.request("/readyz")).status).toBe(503);
    const report = await shutdown.run("ignored: already running");
    expect(report.reason).toBe("admin");
    expect(report.ok).toBe(true);
    expect(pool.state).toBe("closed");
  });

  it("is disabled (405) when no Shutdown was given", async () => {
    const app = admin({ pools: {}, token: TOKEN });
    const res = await post(app, "/shutdown", { headers: auth() });
    expect(res.status).toBe(405);
    expect((await res.json()).error).toMatch(/no Shutdown given/);
  });
});

describe("createAdmin options", () => {
  it("rejects bad options with TypeError/RangeError naming the option", async () => {
    const pool = new FakePool(fakeStats());
    const bad = (options: unknown) => () => createAdmin(options as AdminOptions);
    expect(bad(null)).toThrow(TypeError);
    expect(bad({})).toThrow(/option "pools" must be an object of named pools/);
    expect(bad({ pools: [pool] })).toThrow(TypeError);
    expect(bad({ pools: { "a b": pool } })).toThrow(RangeError);
    expect(bad({ pools: { "a/b": pool } })).toThrow(/option "pools" keys must match/);
    expect(bad({ pools: { a: {} } })).toThrow(/option "pools.a" must be a Pool/);
    expect(bad({ pools: {}, shutdown: {} })).toThrow(/option "shutdown" must be a Shutdown/);
    expect(bad({ pools: {}, token: 1234567890123456 })).toThrow(TypeError);
    expect(bad({ pools: {}, token: "" })).toThrow(RangeError);
    const short = "short-secret";
    expect(bad({ pools: {}, token: short })).toThrow(/option "token" must be at least 16 characters/);
    expect(bad({ pools: {}, token: "has spaces in the secret" })).toThrow(/got 24 characters with others$/);
    expect(bad({ pools: {}, token: short })).toThrow(/got 12 characters$/); // the token itself is never shown
  });
});
