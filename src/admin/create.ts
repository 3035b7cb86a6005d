/** createAdmin(): the admin Hono app for a set of named pools. */
/** @internal Hono, from the hono package. */
import { Hono, type MiddlewareHandler } from "hono";
import { controlRoutes } from "./control.ts";
import type { HostPolicy } from "./hosts.ts";
import type { UnrefTimer } from "./lag.ts";
import { type AdminOptions, resolveAdminOptions } from "./options.ts";
import { readRoutes } from "./routes.ts";
import { AdminState } from "./state.ts";

/** A Hono app with the admin routes; close() stops its timers and event listeners. */
export type AdminApp = Hono & {
  /** Stop the history and event-loop-lag timers and detach from the pools' events. Idempotent. */
  close(): void;
};

const policies = new WeakMap<AdminApp, HostPolicy>();

/**
 * Every route, first: a Host the admin does not serve gets 421, a cross-site Origin 403, and
 * neither gets any data (DNS rebinding). Without a Host header (HTTP/1.0, in-process
 * app.request()) the request URL's host stands in: the runtime built it from the served address.
 */
function hostGuard(hosts: HostPolicy): MiddlewareHandler {
  return async (c, next) => {
    const host = c.req.header("host") ?? new URL(c.req.url).host;
    if (!hosts.allowsHost(host)) {
      return c.json(
        { error: `host ${JSON.stringify(host)} is not served here (add it to the admin's allowedHosts)` },
        421,
        { Connection: "close" },
      );
    }
    const origin = c.req.header("origin");
    if (origin !== undefined && !hosts.allowsOrigin(origin, host)) {
      return c.json({ error: `cross-site request from origin ${JSON.stringify(origin)} refused` }, 403, {
        Connection: "close",
      });
    }
    await next();
  };
}

export function createAdminApp(options: AdminOptions, unref?: UnrefTimer): AdminApp {
  const state = new AdminState(resolveAdminOptions(options), unref);
  const app = new Hono();
  app.use(async (c, next) => {
    await next();
    c.header("Cache-Control", "no-store");
  });
  app.use(hostGuard(state.hosts));
  readRoutes(app, state);
  controlRoutes(app, state);
  app.notFound((c) => c.json({ error: `not found: ${c.req.method} ${new URL(c.req.url).pathname}` }, 404));
  app.onError((error, c) => {
    console.error("mpms admin: unexpected error", error);
    return c.json({ error: "internal error" }, 500);
  });
  const admin = Object.assign(app, { close: (): void => state.close() });
  policies.set(admin, state.hosts);
  return admin;
}

/** Tell `app`'s Host check the address it is served on (serveAdmin(), once it listens). */
export function bindAdminAddress(app: AdminApp, hostname: string, port: number): void {
  policies.get(app)?.bind(hostname, port);
}
