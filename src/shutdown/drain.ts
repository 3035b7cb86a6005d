/**
 * The Hono middleware that drains HTTP requests on shutdown (`mpms/hono`'s `drain()`): the
 * requests in flight are counted, new ones are refused once the shutdown's phases begin, and a
 * "drain" phase hook waits for those in flight.
 */
/** @internal Hono's middleware type, from the hono package. */
import type { MiddlewareHandler } from "hono";
import { InFlight, refusal, retryAfterOption, trackResponse } from "./http.ts";
import { duration } from "./options.ts";
import { Shutdown } from "./shutdown.ts";

/** Options of {@link drain}. */
export interface DrainOptions {
  /**
   * Seconds a refused client should wait before retrying (Retry-After).
   * @default {5}
   */
  retryAfter?: number;
  /**
   * Name of the drain hook.
   * @default {"http requests"}
   */
  name?: string;
  /**
   * Timeout of the drain hook (ms).
   * @default {Infinity} what the phase and the deadline leave
   */
  timeout?: number;
}

/**
 * Middleware that drains requests on shutdown. It counts requests in flight (a streaming
 * response, server-sent events or a chunked body, counts until its body ends); once the
 * shutdown's phases begin it answers new requests with 503, `Connection: close` and
 * `Retry-After`; and it registers a hook in the "drain" phase that resolves when the requests in
 * flight are done. Streaming handlers should watch `shutdown.signal` to save their partial output
 * and end with a final event. Install it before the routes.
 *
 * @example
 * ```ts
 * import { Hono } from "hono";
 * import { Shutdown } from "mpms";
 * import { drain } from "mpms/hono";
 *
 * const shutdown = new Shutdown();
 * const app = new Hono();
 * app.use(drain(shutdown, { retryAfter: 10 }));
 * app.get("/report", async (c) => c.json(await buildReport(shutdown.signal)));
 * declare function buildReport(signal: AbortSignal): Promise<{ rows: number }>;
 * ```
 */
export function drain(shutdown: Shutdown, options: DrainOptions = {}): MiddlewareHandler {
  if (!(shutdown instanceof Shutdown)) {
    throw new TypeError(`mpms: drain() needs a Shutdown, got ${String(shutdown)}`);
  }
  if (options === null || typeof options !== "object") {
    throw new TypeError(`mpms: drain options must be an object, got ${String(options)}`);
  }
  const retryAfter = retryAfterOption(options.retryAfter, 5);
  const timeout = duration("timeout", options.timeout, Number.POSITIVE_INFINITY, { positive: true, infinite: true });
  const inFlight = new InFlight();
  shutdown.add(options.name ?? "http requests", (signal) => inFlight.idle(signal), { phase: "drain", timeout });
  const draining = shutdown.signal;
  return async (c, next) => {
    if (draining.aborted) return refusal(retryAfter);
    const leave = inFlight.enter();
    try {
      await next();
    } catch (error) {
      leave();
      throw error;
    }
    const tracked = trackResponse(c.res, leave);
    if (tracked !== c.res) c.res = tracked;
  };
}
