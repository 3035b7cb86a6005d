/**
 * Serve a fetch handler (a Hono app) on the current runtime: Deno.serve, Bun.serve, or
 * @hono/node-server on Node. The handle's close() drains on each: new connections are refused,
 * requests in flight finish, idle keep-alive connections are closed (on Node by calling
 * closeIdleConnections() until the server is closed, else they would hold it open until
 * keepAliveTimeout), and at the timeout what is left is cut.
 */
import type { Server } from "node:http";
import type { AddressInfo } from "node:net";
import { InFlight, trackResponse } from "../src/shutdown/http.ts";
import { Shutdown } from "../src/shutdown/shutdown.ts";
import { MAX_MS } from "../src/util/limits.ts";
import { currentRuntime, type RuntimeName } from "./detect.ts";
import {
  bunIdleSeconds,
  checkLimits,
  type EffectiveLimits,
  effectiveLimits,
  nodeServerOptions,
  type ServeLimits,
} from "./serve_limits.ts";

export type { EffectiveLimits, ServeLimits } from "./serve_limits.ts";

/** Anything with a fetch handler: a Hono app, or `{ fetch }`. */
export interface Fetchable {
  /** Answer one request. */
  // runtimes pass their own extra arguments (Bun: the server, Deno: connection info, Node: bindings)
  fetch(request: Request, ...rest: any[]): Response | Promise<Response>;
}

/** Options of {@link serve}: where to listen, the connection limits, and the shutdown to join. */
export interface ServeOptions extends ServeLimits {
  /**
   * Interface to bind ("127.0.0.1": reachable only from this machine; "0.0.0.0": the network).
   * @default {"127.0.0.1"}
   */
  hostname?: string;
  /**
   * Port (0: a free port, see `handle.port`).
   * @default {0}
   */
  port?: number;
  /**
   * Close this server in the shutdown's "drain" phase, after the requests in flight are done
   * (new requests on open connections are still answered meanwhile: use drain() from mpms/hono
   * so they get 503).
   * @default {undefined} not tied to a shutdown
   */
  shutdown?: Shutdown;
  /**
   * Name of that hook.
   * @default {"http server"}
   */
  name?: string;
}

/** Options of {@link ServerHandle.close}. */
export interface ServerCloseOptions {
  /**
   * Give up waiting after this many ms and cut the connections left.
   * @default {10000}
   */
  timeout?: number;
  /** Cut at once when this fires (default: none). */
  signal?: AbortSignal;
}

/** A running server. */
export interface ServerHandle extends AsyncDisposable {
  /** The runtime serving it: "deno", "bun" or "node". */
  readonly runtime: RuntimeName;
  /** The interface it is bound to. */
  readonly hostname: string;
  /** The port it listens on (the one picked when asked for 0). */
  readonly port: number;
  /** e.g. "http://127.0.0.1:8080" */
  readonly url: string;
  /** Requests in flight (a streaming response counts until its body ends). */
  readonly inFlight: number;
  /** The connection limits this runtime's server enforces (null: not enforced here). */
  readonly limits: EffectiveLimits;
  /**
   * Stop accepting connections, let requests in flight finish, close idle keep-alive
   * connections; resolves when the server is closed, or at the timeout after cutting what is
   * left (on Deno, which has no way to cut a connection, the server is unref'd instead).
   * Idempotent.
   */
  close(options?: ServerCloseOptions): Promise<void>;
}

/** How often Node's idle keep-alive connections are swept while closing (ms). */
const SWEEP_INTERVAL = 25;
/** After cutting connections, how long to wait for the server to report closed (ms). */
const CUT_WAIT = 1_000;
const DEFAULT_CLOSE_TIMEOUT = 10_000;

type Closer = (timeout: number, signal: AbortSignal | undefined) => Promise<void>;

/** True if `promise` settles within `ms` and before `signal` fires. */
function within(promise: Promise<unknown>, ms: number, signal?: AbortSignal): Promise<boolean> {
  if (signal?.aborted) return Promise.resolve(false);
  return new Promise<boolean>((resolve) => {
    const finish = (settled: boolean): void => {
      clearTimeout(timer);
      signal?.removeEventListener("abort", onAbort);
      resolve(settled);
    };
    const onAbort = (): void => finish(false);
    const timer = setTimeout(() => finish(false), ms);
    signal?.addEventListener("abort", onAbort, { once: true });
    promise.then(
      () => finish(true),
      () => finish(true),
    );
  });
}

function checkOptions(options: ServeOptions): void {
  if (options === null || typeof options !== "object") {
    throw new TypeError(`mpms: serve options must be an object, got ${String(options)}`);
  }
  const { hostname, port, shutdown, name } = options;
  if (hostname !== undefined && (typeof hostname !== "string" || hostname === "")) {
    throw new TypeError(`mpms: option "hostname" must be a non-empty string, got ${JSON.stringify(hostname)}`);
  }
  if (port !== undefined) {
    if (typeof port !== "number") throw new TypeError(`mpms: option "port" must be a number, got ${String(port)}`);
    if (!Number.isInteger(port) || port < 0 || port > 65_535) {
      throw new RangeError(`mpms: option "port" must be an integer from 0 to 65535, got ${port}`);
    }
  }
  if (shutdown !== undefined && !(shutdown instanceof Shutdown)) {
    throw new TypeError(`mpms: option "shutdown" must be a Shutdown, got ${String(shutdown)}`);
  }
  if (name !== undefined && (typeof name !== "string" || name === "")) {
    throw new TypeError(`mpms: option "name" must be a non-empty string, got ${JSON.stringify(name)}`);
  }
}

function checkCloseOptions(options: ServerCloseOptions): number {
  const { timeout, signal } = options;
  if (signal !== undefined && !(signal instanceof AbortSignal)) {
    throw new TypeError('mpms: option "signal" must be an AbortSignal');
  }
  if (timeout === undefined) return DEFAULT_CLOSE_TIMEOUT;
  if (typeof timeout !== "number" || Number.isNaN(timeout)) {
    throw new TypeError(`mpms: option "timeout" must be a number, got ${String(timeout)}`);
  }
  if (!(timeout >= 0) || timeout > MAX_MS) {
    throw new RangeError(`mpms: option "timeout" must be >= 0 and <= ${MAX_MS}, got ${timeout}`);
  }
  return timeout;
}

/**
 * Serve `app` on Deno, Bun or Node; resolves once the server listens. With `shutdown`, the server
 * closes in the "drain" phase once the requests in flight are done.
 *
 * @example
 * ```ts
 * import { Hono } from "hono";
 * import { Shutdown } from "mpms";
 * import { drain, serve } from "mpms/hono";
 *
 * const shutdown = new Shutdown();
 * const app = new Hono().use(drain(shutdown)).get("/", (c) => c.text("hello"));
 * const server = await serve(app, { port: 8080, shutdown, maxConnections: 1_000 });
 * console.log(`listening on ${server.url} (${server.runtime})`);
 * shutdown.listen();
 * ```
 */
export async function serve(app: Fetchable, options: ServeOptions = {}): Promise<ServerHandle> {
  if (app === null || typeof app !== "object" || typeof app.fetch !== "function") {
    throw new TypeError(`mpms: serve() needs an app with a fetch() method, got ${String(app)}`);
  }
  checkOptions(options);
  const limits = checkLimits(options);
  const hostname = options.hostname ?? "127.0.0.1";
  const counter = new InFlight();
  const fetch = async (request: Request, ...rest: unknown[]): Promise<Response> => {
    const leave = counter.enter();
    try {
      return trackResponse(await app.fetch(request, ...rest), leave);
    } catch (error) {
      leave();
      throw error;
    }
  };
  const runtime = currentRuntime();
  const listen = runtime === "deno" ? listenDeno : runtime === "bun" ? listenBun : listenNode;
  const { port, close } = await listen(fetch, hostname, options.port ?? 0, limits);

  let closing: Promise<void> | undefined;
  const host = hostname.includes(":") ? `[${hostname}]` : hostname;
  const handle: ServerHandle = {
    runtime,
    hostname,
    port,
    url: `http://${host}:${port}`,
    get inFlight() {
      return counter.count;
    },
    limits: effectiveLimits(runtime, limits),
    close(closeOptions: ServerCloseOptions = {}) {
      if (closing) return closing;
      let timeout: number;
      try {
        timeout = checkCloseOptions(closeOptions);
      } catch (error) {
        return Promise.reject(error);
      }
      closing = close(timeout, closeOptions.signal);
      return closing;
    },
    [Symbol.asyncDispose]() {
      return handle.close();
    },
  };
  options.shutdown?.add(
    options.name ?? "http server",
    async (signal, context) => {
      await counter.idle(signal);
      await handle.close({ timeout: context.timeLeft(), signal });
    },
    { phase: "drain" },
  );
  return handle;
}

type Listener = (
  fetch: (request: Request, ...rest: unknown[]) => Promise<Response>,
  hostname: string,
  port: number,
  limits: ServeLimits,
) => Promise<{ port: number; close: Closer }>;

const listenNode: Listener = async (fetch, hostname, port, limits) => {
  const { serve: nodeServe } = await import("@hono/node-server");
  const serverOptions = nodeServerOptions(limits);
  const server = await new Promise<Server>((resolve, reject) => {
    const s = nodeServe({ fetch, hostname, port, serverOptions }, () => {
      s.off("error", reject);
      resolve(s as Server);
    });
    s.once("error", reject);
    // past the cap, Node closes a new connection as soon as it is accepted
    if (limits.maxConnections !== undefined) (s as Server).maxConnections = limits.maxConnections;
  });
  const close: Closer = async (timeout, signal) => {
    const closed = new Promise<void>((resolve) => server.close(() => resolve()));
    server.closeIdleConnections();
    const sweep = setInterval(() => server.closeIdleConnections(), SWEEP_INTERVAL);
    try {
      if (!(await within(closed, timeout, signal))) {
        server.closeAllConnections();
        await within(closed, CUT_WAIT);
      }
    } finally {
      clearInterval(sweep);
    }
  };
  return { port: (server.address() as AddressInfo).port, close };
};

interface BunServer {
  port: number;
  stop(closeActiveConnections?: boolean): Promise<void> | void;
}

const listenBun: Listener = async (fetch, hostname, port, limits) => {
  const bun = (globalThis as { Bun?: { serve(options: object): BunServer } }).Bun;
  const idle = limits.idleTimeout === undefined ? {} : { idleTimeout: bunIdleSeconds(limits.idleTimeout) };
  const server = (bun as { serve(options: object): BunServer }).serve({ hostname, port, fetch, ...idle });
  const close: Closer = async (timeout, signal) => {
    // stop() closes idle keep-alive connections at once and resolves when every connection is closed
    if (!(await within(Promise.resolve(server.stop(false)), timeout, signal))) {
      await within(Promise.resolve(server.stop(true)), CUT_WAIT);
    }
  };
  return { port: server.port, close };
};

interface DenoServer {
  addr: { port: number };
  shutdown(): Promise<void>;
  unref(): void;
}

// Deno.serve has no connection cap and no timeouts: `limits` are reported as not enforced.
const listenDeno: Listener = async (fetch, hostname, port) => {
  const deno = (globalThis as { Deno?: { serve(options: object): DenoServer } }).Deno;
  const server = (deno as { serve(options: object): DenoServer }).serve({
    hostname,
    port,
    handler: fetch,
    onListen: () => {}, // Deno prints "Listening on ..." by default
  });
  const close: Closer = async (timeout, signal) => {
    // Deno has no call that cuts open connections: past the timeout, stop holding the process open
    if (!(await within(server.shutdown(), timeout, signal))) server.unref();
  };
  return { port: server.addr.port, close };
};
