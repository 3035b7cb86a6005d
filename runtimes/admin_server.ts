/**
 * Serving the admin app (`mpms/admin`'s `serveAdmin()` and `createAdmin()`): listening with the
 * runtime's server and unref'd timers are runtime matters, so they live here beside serve.ts.
 */

import { type AdminApp, bindAdminAddress, createAdminApp } from "../src/admin/create.ts";
import type { AdminOptions } from "../src/admin/options.ts";
import { type ServeLimits, type ServerHandle, serve } from "./serve.ts";

/** Where serveAdmin() listens unless told otherwise: this machine only. */
export const ADMIN_HOSTNAME = "127.0.0.1";
/** The port serveAdmin() listens on unless told otherwise. */
export const ADMIN_PORT = 9464;

/**
 * serveAdmin()'s connection limits unless told otherwise: a few dozen connections and short
 * timeouts are plenty for probes, scrapes and a dashboard, and keep slow clients from holding it.
 */
export const ADMIN_LIMITS: Readonly<Required<ServeLimits>> = Object.freeze({
  maxConnections: 64,
  headersTimeout: 10_000,
  requestTimeout: 30_000,
  idleTimeout: 5_000,
});

/** Timers of the admin must not keep the process alive: unref them on Node, Bun and Deno. */
function unrefTimer(timer: unknown): void {
  if (timer !== null && typeof timer === "object" && typeof (timer as { unref?: unknown }).unref === "function") {
    (timer as { unref(): void }).unref();
    return;
  }
  const deno = (globalThis as { Deno?: { unrefTimer?(id: number): void } }).Deno;
  if (typeof timer === "number" && typeof deno?.unrefTimer === "function") deno.unrefTimer(timer);
}

/**
 * The admin app for the named pools. Serve it with `serveAdmin()`, with `serve()` from
 * mpms/hono, or mount it in your own Hono app (`app.route("/admin", createAdmin(...))`).
 * Call `close()` when done with it (its timers never hold the process open either way).
 *
 * @example
 * ```ts
 * import { Hono } from "hono";
 * import { Pool } from "mpms";
 * import { createAdmin } from "mpms/admin";
 *
 * const pool = new Pool({ module: new URL("./task.ts", import.meta.url) });
 * const admin = createAdmin({ pools: { images: pool }, token: process.env.MPMS_ADMIN_TOKEN });
 * const app = new Hono().route("/admin", admin); // GET /admin/metrics, /admin/stats, …
 * const res = await app.request("/admin/healthz");
 * console.log(res.status); // 200 while no pool has failed
 * admin.close();
 * ```
 */
export function createAdmin(options: AdminOptions): AdminApp {
  return createAdminApp(options, unrefTimer);
}

/** serveAdmin() options: the admin's, where to listen, and the connection limits (see {@link ADMIN_LIMITS}). */
export interface ServeAdminOptions extends AdminOptions, ServeLimits {
  /**
   * Interface to bind ("0.0.0.0" exposes it to the network).
   * @default {"127.0.0.1"}
   */
  hostname?: string;
  /**
   * Port (0 picks a free one).
   * @default {9464}
   */
  port?: number;
}

/** A running admin server. close() also closes the app. */
export interface AdminServer extends ServerHandle {
  /** The admin app it serves. */
  readonly app: AdminApp;
}

/**
 * Create the admin app and serve it (default http://127.0.0.1:9464). With `shutdown`, readiness
 * fails as soon as it starts, and the server closes in the "final" phase, so probes and metrics
 * keep answering while the pools drain.
 *
 * @example
 * ```ts
 * import { Pool, Shutdown } from "mpms";
 * import { serveAdmin } from "mpms/admin";
 *
 * const shutdown = new Shutdown();
 * const pool = new Pool({ module: new URL("./task.ts", import.meta.url) });
 * shutdown.add(pool);
 * const admin = await serveAdmin({ pools: { images: pool }, shutdown, port: 0 });
 * console.log(`metrics on ${admin.url}/metrics`);
 * shutdown.listen();
 * ```
 */
export async function serveAdmin(options: ServeAdminOptions): Promise<AdminServer> {
  if (options === null || typeof options !== "object") {
    throw new TypeError(`mpms: serveAdmin() options must be an object, got ${String(options)}`);
  }
  const {
    hostname = ADMIN_HOSTNAME,
    port = ADMIN_PORT,
    maxConnections = ADMIN_LIMITS.maxConnections,
    headersTimeout = ADMIN_LIMITS.headersTimeout,
    requestTimeout = Math.max(ADMIN_LIMITS.requestTimeout, headersTimeout),
    idleTimeout = ADMIN_LIMITS.idleTimeout,
    ...adminOptions
  } = options;
  const app = createAdmin(adminOptions);
  let handle: ServerHandle;
  try {
    handle = await serve(app, { hostname, port, maxConnections, headersTimeout, requestTimeout, idleTimeout });
  } catch (error) {
    app.close();
    throw error;
  }
  // the Host check now knows the served address (before any request: this runs on the same turn)
  bindAdminAddress(app, handle.hostname, handle.port);
  const closeServer = handle.close.bind(handle);
  handle.close = (closeOptions) => {
    app.close();
    return closeServer(closeOptions);
  };
  options.shutdown?.add("admin server", (signal, context) => handle.close({ timeout: context.timeLeft(), signal }), {
    phase: "final",
  });
  return Object.assign(handle, { app });
}
