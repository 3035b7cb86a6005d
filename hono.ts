/**
 * Hono integration: request draining for graceful shutdown, and a server helper for Deno, Bun
 * and Node.
 *
 * @example
 * ```ts
 * import { Hono } from "hono";
 * import { Shutdown } from "mpms";
 * import { drain, serve } from "mpms/hono";
 *
 * const shutdown = new Shutdown({ timeout: 30_000 });
 * const app = new Hono();
 * app.use(drain(shutdown)); // first: it must see every request
 * app.get("/", (c) => c.text("hello"));
 * app.get("/readyz", (c) => c.text(shutdown.ready ? "ok" : "shutting down", shutdown.ready ? 200 : 503));
 * await serve(app, { hostname: "0.0.0.0", port: 8080, shutdown });
 * shutdown.listen();
 * ```
 * @module
 */

export {
  type EffectiveLimits,
  type Fetchable,
  type ServeLimits,
  type ServeOptions,
  type ServerCloseOptions,
  type ServerHandle,
  serve,
} from "./runtimes/serve.ts";
export { type DrainOptions, drain } from "./src/shutdown/drain.ts";
