/**
 * Behaviours 22 and 26 over real HTTP: a Hono server (drain middleware + serve helper) gets
 * SIGTERM with a request in flight, a keep-alive socket, a delay, or a server-sent-events stream.
 */
import http from "node:http";
import net from "node:net";
import { describe, expect, it } from "vitest";
import { waitFor } from "../helpers.ts";
import { type Fixture, fixtureRuntimes, useFixtures } from "./spawn.ts";

interface RawResponse {
  status: number;
  headers: Record<string, string>;
  body: string;
}

/** One keep-alive connection on which requests are written by hand and responses parsed. */
class RawConnection {
  readonly socket: net.Socket;
  closed = false;
  #buffer = "";
  #wake: (() => void) | undefined;

  constructor(port: number) {
    this.socket = net.connect(port, "127.0.0.1");
    this.socket.setEncoding("latin1");
    this.socket.on("data", (chunk: string) => {
      this.#buffer += chunk;
      this.#wake?.();
    });
    this.socket.on("close", () => {
      this.closed = true;
      this.#wake?.();
    });
    this.socket.on("error", () => {});
  }

  /** The body starting at `from` if it is complete (Content-Length or chunked); consumes it. */
  #body(headers: Record<string, string>, from: number): string | undefined {
    if (headers["content-length"] !== undefined) {
      const length = Number(headers["content-length"]);
      if (this.#buffer.length < from + length) return undefined;
      const body = this.#buffer.slice(from, from + length);
      this.#buffer = this.#buffer.slice(from + length);
      return body;
    }
    if (!/chunked/i.test(headers["transfer-encoding"] ?? ""))
      throw new Error(`no body length: ${JSON.stringify(headers)}`);
    let at = from;
    let body = "";
    for (;;) {
      const eol = this.#buffer.indexOf("\r\n", at);
      if (eol < 0) return undefined;
      const size = Number.parseInt(this.#buffer.slice(at, eol), 16);
      if (this.#buffer.length < eol + 2 + size + 2) return undefined;
      if (size === 0) {
        this.#buffer = this.#buffer.slice(eol + 4);
        return body;
      }
      body += this.#buffer.slice(eol + 2, eol + 2 + size);
      at = eol + 2 + size + 2;
    }
  }

  async request(path: string): Promise<RawResponse> {
    this.socket.write(`GET ${path} HTTP/1.1\r\nHost: 127.0.0.1\r\nConnection: keep-alive\r\n\r\n`);
    const deadline = performance.now() + 5_000;
    for (;;) {
      const end = this.#buffer.indexOf("\r\n\r\n");
      if (end >= 0) {
        const [statusLine, ...headerLines] = this.#buffer.slice(0, end).split("\r\n");
        const headers: Record<string, string> = {};
        for (const line of headerLines) {
          const i = line.indexOf(":");
          headers[line.slice(0, i).trim().toLowerCase()] = line.slice(i + 1).trim();
        }
        const body = this.#body(headers, end + 4);
        if (body !== undefined) {
          return { status: Number(statusLine?.split(" ")[1]), headers, body };
        }
      }
      if (this.closed) throw new Error(`connection closed; got ${JSON.stringify(this.#buffer)}`);
      if (performance.now() > deadline) throw new Error(`no response within 5 s; got ${JSON.stringify(this.#buffer)}`);
      await new Promise<void>((resolve) => {
        this.#wake = resolve;
        setTimeout(resolve, 100);
      });
    }
  }
}

/** A request on a connection of its own; resolves with status, headers and the whole body. */
function get(
  port: number,
  path: string,
  onChunk?: (text: string) => void,
): Promise<{ status: number; headers: http.IncomingHttpHeaders; body: string; at: number }> {
  return new Promise((resolve, reject) => {
    const req = http.get({ host: "127.0.0.1", port, path, agent: false }, (res) => {
      let body = "";
      res.setEncoding("utf8");
      res.on("data", (chunk: string) => {
        body += chunk;
        onChunk?.(body);
      });
      res.on("end", () => resolve({ status: res.statusCode ?? 0, headers: res.headers, body, at: performance.now() }));
      res.on("error", reject);
    });
    req.on("error", reject);
  });
}

async function listening(f: Fixture): Promise<number> {
  return Number((await f.line(/^listening (\d+)$/))[1]);
}

describe.each(fixtureRuntimes())("HTTP draining on %s", (rt) => {
  const start = useFixtures();

  it("26: the request in flight completes, a keep-alive request during the drain gets 503 + Connection: close", async () => {
    const f = start(rt, "server.ts");
    const port = await listening(f);
    const keepAlive = new RawConnection(port);
    const warm = await keepAlive.request("/fast");
    expect([warm.status, warm.body]).toEqual([200, "fast"]);
    const slow = get(port, "/slow?ms=2000");
    const started = Number((await f.line(/^request started (\d+)$/))[1]);
    const sent = f.signal("SIGTERM");
    await f.line(/^draining$/);

    const refused = await keepAlive.request("/fast");
    expect(refused.status).toBe(503);
    expect(refused.headers.connection?.toLowerCase()).toBe("close");
    expect(refused.headers["retry-after"]).toBe("7");
    const fresh = await get(port, "/fast"); // a new connection during the drain is refused the same way
    expect(fresh.status).toBe(503);

    const done = await slow;
    expect([done.status, done.body]).toEqual([200, "slow done"]);
    const exit = await f.exited;
    const elapsed = exit.at - sent;
    console.log(`[${rt}] exit ${elapsed.toFixed(0)} ms after SIGTERM (2 s request in flight)`);
    expect(exit.code, f.output()).toBe(0);
    // the drain phase ended only after the request was answered, 2 s after it started
    const answered = f.lines.indexOf("request done");
    const drained = f.lines.findIndex((l) => /^mpms shutdown: phase drain ok/.test(l));
    expect(answered, f.output()).toBeGreaterThanOrEqual(0);
    expect(drained, f.output()).toBeGreaterThan(answered);
    expect(exit.wall - started).toBeGreaterThanOrEqual(1_990);
    expect(elapsed).toBeLessThan(5_000);
    // exits promptly once the request is done: not after a keep-alive timeout (5 s) or the deadline (10 s)
    expect(exit.at - done.at).toBeLessThan(2_000);
    await waitFor(() => keepAlive.closed, 2_000, "the keep-alive socket to close");
  });

  it("22: during the delay readiness fails and requests are still served; liveness stays up", async () => {
    // a delay long enough for the requests below to land inside it even on a slow machine
    const f = start(rt, "server.ts", { MPMS_SHUTDOWN_DELAY: "3000" });
    const port = await listening(f);
    expect((await get(port, "/readyz")).status).toBe(200);
    const sent = f.signal("SIGTERM");
    await f.line(/^mpms shutdown: SIGTERM; deadline 10000 ms, serving 3000 ms more first$/);
    expect((await get(port, "/readyz")).status).toBe(503);
    expect((await get(port, "/livez")).status).toBe(200);
    const during = await get(port, "/fast");
    expect([during.status, during.body]).toEqual([200, "fast"]);
    expect(f.lines).not.toContain("draining");
    await f.line(/^draining$/);
    expect(performance.now() - sent).toBeGreaterThanOrEqual(2_980);
    const exit = await f.exited;
    expect(exit.code, f.output()).toBe(0);
    expect(exit.at - sent).toBeLessThan(5_000); // nothing to drain after the delay: well before the deadline (10 s)
  });

  it("26: a server-sent-events stream ends with event: end (reason shutdown); saved bytes = received bytes", async () => {
    const f = start(rt, "server.ts");
    const port = await listening(f);
    let received = "";
    const events = get(port, "/sse", (body) => (received = body));
    await f.line(/^stream started$/);
    await waitFor(() => (received.match(/event: token/g) ?? []).length >= 3, 5_000, "three events");
    const sent = f.signal("SIGTERM");
    const res = await events;
    expect(res.status).toBe(200);
    expect(res.headers["content-type"]).toMatch(/^text\/event-stream/);
    expect(res.body.endsWith('event: end\ndata: {"reason":"shutdown"}\n\n')).toBe(true);
    const frames = res.body.split("\n\n").filter((s) => s !== "");
    expect(frames.slice(0, -1).every((s) => s.startsWith("event: token\n"))).toBe(true);
    const saved = Number((await f.line(/^saved (\d+)$/))[1]);
    expect(saved).toBe(new TextEncoder().encode(res.body).length);
    const exit = await f.exited;
    expect(exit.code, f.output()).toBe(0);
    expect(exit.at - sent).toBeLessThan(1_500);
  });
});
