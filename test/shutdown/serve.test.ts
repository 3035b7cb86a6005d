/**
 * In-process: the serve helper on the runtime running the tests (bind address, close() draining
 * idle keep-alive connections and requests in flight, the close timeout), and the drain
 * middleware through app.request() (503 with headers, the drain hook waiting for requests and
 * for streaming bodies), plus their option validation.
 */
import http from "node:http";
import { Hono } from "hono";
import { streamSSE } from "hono/streaming";
import { afterEach, describe, expect, it } from "vitest";
import { drain, type ServerHandle, serve } from "../../hono.ts";
import { Shutdown } from "../../mod.ts";
import { InFlight } from "../../src/shutdown/http.ts";
import { runtime, sleep, waitFor } from "../helpers.ts";
import { fakeHost } from "./fake_host.ts";

const quiet = { logger: false as const, exit: false };

/** When the last /slow handler started and finished (performance.now(); 0 until then). */
interface SlowLog {
  started: number;
  finished: number;
}

function slowApp(log: SlowLog = { started: 0, finished: 0 }): Hono {
  const app = new Hono();
  app.get("/fast", (c) => c.text("fast"));
  app.get("/slow", async (c) => {
    log.started = performance.now();
    await sleep(Number(c.req.query("ms") ?? 300));
    log.finished = performance.now();
    return c.text("slow");
  });
  return app;
}

function request(
  url: string,
  agent: http.Agent | false = false,
): Promise<{ status: number; body: string; socket: import("node:net").Socket }> {
  return new Promise((resolve, reject) => {
    const req = http.get(url, { agent }, (res) => {
      let body = "";
      res.setEncoding("utf8");
      res.on("data", (c: string) => {
        body += c;
      });
      res.on("end", () => resolve({ status: res.statusCode ?? 0, body, socket: req.socket as never }));
      res.on("error", reject);
    });
    req.on("error", reject);
  });
}

describe(`serve() on ${runtime}`, () => {
  const open: ServerHandle[] = [];
  afterEach(async () => {
    await Promise.all(open.splice(0).map((s) => s.close({ timeout: 2_000 })));
  });
  const start = async (app: Hono, options = {}): Promise<ServerHandle> => {
    const s = await serve(app, options);
    open.push(s);
    return s;
  };

  it("binds 127.0.0.1 on a free port by default and serves the app", async () => {
    const s = await start(slowApp());
    expect(s.hostname).toBe("127.0.0.1");
    expect(s.port).toBeGreaterThan(0);
    expect(s.url).toBe(`http://127.0.0.1:${s.port}`);
    expect(s.runtime).toBe(runtime);
    expect(await request(`${s.url}/fast`)).toMatchObject({ status: 200, body: "fast" });
  });

  it("close() does not wait for idle keep-alive connections", async () => {
    const s = await start(slowApp());
    const agent = new http.Agent({ keepAlive: true });
    const res = await request(`${s.url}/fast`, agent);
    expect(res.status).toBe(200);
    let closed = false;
    res.socket.on("close", () => {
      closed = true;
    });
    const t0 = performance.now();
    await s.close();
    const ms = performance.now() - t0;
    console.log(`[${runtime}] close() with an idle keep-alive connection: ${ms.toFixed(0)} ms`);
    expect(ms).toBeLessThan(500); // Node's keepAliveTimeout is 5 s
    await waitFor(() => closed, 1_000, "the idle socket to be closed");
    agent.destroy();
  });

  it("close() lets a request in flight on a keep-alive connection finish, then resolves promptly", async () => {
    const log: SlowLog = { started: 0, finished: 0 };
    const s = await start(slowApp(log));
    const agent = new http.Agent({ keepAlive: true });
    const slow = request(`${s.url}/slow?ms=400`, agent);
    await waitFor(() => s.inFlight === 1, 2_000, "the request to arrive");
    const t0 = performance.now();
    await s.close();
    const closedAt = performance.now();
    console.log(
      `[${runtime}] close() with a 400 ms request in flight on a keep-alive connection: ${(closedAt - t0).toFixed(0)} ms`,
    );
    // close() waited for the handler to finish
    expect(log.finished).toBeGreaterThan(0);
    expect(closedAt).toBeGreaterThanOrEqual(log.finished);
    // the connection turns idle after its response: it must not be kept until keepAliveTimeout (5 s)
    expect(closedAt - log.finished).toBeLessThan(2_000);
    expect(await slow).toMatchObject({ status: 200, body: "slow" });
    expect(s.inFlight).toBe(0);
    agent.destroy();
  });

  it("close({ timeout }) gives up at the timeout", async () => {
    const s = await start(slowApp());
    const slow = request(`${s.url}/slow?ms=1500`).then(
      (r) => r.status,
      (e: Error) => e.message,
    );
    await waitFor(() => s.inFlight === 1, 2_000, "the request to arrive");
    const t0 = performance.now();
    await s.close({ timeout: 200 });
    const ms = performance.now() - t0;
    expect(ms).toBeGreaterThanOrEqual(190);
    expect(ms).toBeLessThan(1_200);
    // Node and Bun cut the connection; Deno cannot, so the request still completes there
    if (runtime === "deno") expect(await slow).toBe(200);
    else expect(await slow).not.toBe(200);
  });

  it("with { shutdown }, closes in the drain phase after the requests in flight", async () => {
    const shutdown = new Shutdown(quiet, fakeHost());
    const log: SlowLog = { started: 0, finished: 0 };
    const s = await start(slowApp(log), { shutdown });
    let finishedWhenDrained: number | undefined;
    shutdown.add(
      "check",
      () => {
        finishedWhenDrained = log.finished;
      },
      { phase: "workers" },
    );
    const slow = request(`${s.url}/slow?ms=300`);
    await waitFor(() => s.inFlight === 1, 2_000, "the request to arrive");
    const report = await shutdown.run();
    expect(await slow).toMatchObject({ status: 200 });
    const hook = report.phases[0]?.hooks.find((h) => h.name === "http server");
    expect(hook?.status).toBe("ok");
    expect(finishedWhenDrained).toBeGreaterThan(0); // the drain phase ended after the handler
    await expect(request(`${s.url}/fast`)).rejects.toThrow(); // closed
  });

  it("validates its options", async () => {
    await expect(serve({} as never)).rejects.toThrow(
      new TypeError("mpms: serve() needs an app with a fetch() method, got [object Object]"),
    );
    await expect(serve(slowApp(), { port: -1 })).rejects.toThrow(
      new RangeError('mpms: option "port" must be an integer from 0 to 65535, got -1'),
    );
    await expect(serve(slowApp(), { hostname: "" })).rejects.toThrow(TypeError);
    await expect(serve(slowApp(), { shutdown: {} as never })).rejects.toThrow(/option "shutdown" must be a Shutdown/);
    const s = await start(slowApp());
    await expect(s.close({ timeout: -1 })).rejects.toThrow(RangeError);
  });
});

describe("InFlight", () => {
  it("idle() waits for the requests in flight when called, not for later ones", async () => {
    const counter = new InFlight();
    const a = counter.enter();
    const b = counter.enter();
    let idle = false;
    void counter.idle().then(() => {
      idle = true;
    });
    const late = counter.enter(); // arrives while draining: not waited for
    a();
    a(); // a second call is ignored
    await sleep(0);
    expect(idle).toBe(false);
    b();
    await sleep(0);
    expect(idle).toBe(true);
    expect(counter.count).toBe(1);
    late();
    expect(counter.count).toBe(0);
    const controller = new AbortController();
    const c = counter.enter();
    const waiting = counter.idle(controller.signal);
    controller.abort();
    await waiting; // the signal ends the wait
    c();
  });
});

describe("drain() middleware", () => {
  function drainedApp(shutdown: Shutdown, log: SlowLog = { started: 0, finished: 0 }): Hono {
    const app = new Hono();
    app.use(drain(shutdown, { retryAfter: 3 }));
    app.get("/slow", async (c) => {
      log.started = performance.now();
      await sleep(300);
      log.finished = performance.now();
      return c.text("slow");
    });
    app.get("/sse", (c) =>
      streamSSE(c, async (out) => {
        while (!shutdown.signal.aborted) {
          await out.writeSSE({ data: "tick" });
          await sleep(20);
        }
        await out.writeSSE({ event: "end", data: JSON.stringify({ reason: "shutdown" }) });
      }),
    );
    return app;
  }

  it("answers 503 with Connection: close and Retry-After once the phases begin; waits for requests in flight", async () => {
    const shutdown = new Shutdown(quiet, fakeHost());
    const log: SlowLog = { started: 0, finished: 0 };
    const app = drainedApp(shutdown, log);
    let finishedWhenDrained: number | undefined;
    shutdown.add(
      "check",
      () => {
        finishedWhenDrained = log.finished;
      },
      { phase: "workers" },
    );
    const inFlight = app.request("/slow");
    await waitFor(() => log.started > 0, 2_000, "the request to reach its handler");
    const run = shutdown.run();
    const refused = await app.request("/slow");
    expect(refused.status).toBe(503);
    expect(refused.headers.get("connection")).toBe("close");
    expect(refused.headers.get("retry-after")).toBe("3");
    expect((await inFlight).status).toBe(200);
    const report = await run;
    const hook = report.phases[0]?.hooks[0];
    expect(hook).toMatchObject({ name: "http requests", status: "ok" });
    expect(finishedWhenDrained).toBeGreaterThan(0); // the drain phase ended after the handler
  });

  it("a streaming response counts until its body ends", async () => {
    const shutdown = new Shutdown(quiet, fakeHost());
    const res = await drainedApp(shutdown).request("/sse");
    const reader = (res.body as ReadableStream<Uint8Array>).getReader();
    await reader.read();
    const run = shutdown.run();
    await sleep(300); // the body is not read meanwhile: the drain must wait
    let text = "";
    for (;;) {
      const { done, value } = await reader.read();
      if (done) break;
      text += new TextDecoder().decode(value);
    }
    expect(text.endsWith('event: end\ndata: {"reason":"shutdown"}\n\n')).toBe(true);
    const report = await run;
    expect(report.phases[0]?.hooks[0]?.status).toBe("ok");
    expect(report.phases[0]?.hooks[0]?.ms).toBeGreaterThanOrEqual(250);
  });

  it("validates its arguments", () => {
    const shutdown = new Shutdown(quiet, fakeHost());
    expect(() => drain({} as never)).toThrow(new TypeError("mpms: drain() needs a Shutdown, got [object Object]"));
    expect(() => drain(shutdown, { retryAfter: -1 })).toThrow(RangeError);
    expect(() => drain(shutdown, { retryAfter: "5" as never })).toThrow(
      new TypeError('mpms: option "retryAfter" must be an integer number of seconds from 0 to 86400, got "5"'),
    );
    expect(() => drain(shutdown, { timeout: 0 })).toThrow(RangeError);
  });
});
