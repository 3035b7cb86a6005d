/** createAdmin(): the admin Hono app for a set of named pools. */
import { Hono } from "hono";
import { controlRoutes } from "./control.ts";
import type { UnrefTimer } from "./lag.ts";
import { type AdminOptions, resolveAdminOptions } from "./options.ts";
import { readRoutes } from "./routes.ts";
import { AdminState } from "./state.ts";

/** A Hono app with the admin routes; close() stops its timers and event listeners. */
export type AdminApp = Hono & {
  /** Stop the history and event-loop-lag timers and detach from the pools' events. Idempotent. */
  close(): void;
};

export function createAdminApp(options: AdminOptions, unref?: UnrefTimer): AdminApp {
  const state = new AdminState(resolveAdminOptions(options), unref);
  const app = new Hono();
  app.use(async (c, next) => {
    await next();
    c.header("Cache-Control", "no-store");
  });
  readRoutes(app, state);
  controlRoutes(app, state);
  app.notFound((c) => c.json({ error: `not found: ${c.req.method} ${new URL(c.req.url).pathname}` }, 404));
  app.onError((error, c) => {
    console.error("mpms admin: unexpected error", error);
    return c.json({ error: "internal error" }, 500);
  });
  return Object.assign(app, { close: (): void => state.close() });
}
