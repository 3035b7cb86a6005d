/**
 * Connection limits of serve(): a cap on open connections and timeouts for slow or idle clients.
 * Each runtime's server offers a different set; serve() applies what it has and reports it in
 * `handle.limits` (null: this runtime cannot enforce it, see docs/admin.md).
 */
import type { RuntimeName } from "./detect.ts";

/** Limits a server puts on its clients. Unset: the runtime's own default. */
export interface ServeLimits {
  /** Open connections at most; a connection past it is closed at once, unanswered (Node only). */
  maxConnections?: number;
  /** ms a client has to send a request's headers, from connecting or from its previous request (Node only). */
  headersTimeout?: number;
  /** ms a client has to send a whole request, headers and body (Node only). */
  requestTimeout?: number;
  /**
   * ms a keep-alive connection may wait for its next request (Node: keepAliveTimeout; Bun:
   * idleTimeout in whole seconds, which Bun also applies to a handler that takes that long).
   */
  idleTimeout?: number;
}

/** The limits in force: a number where the server enforces it, null where it cannot or was not asked. */
export interface EffectiveLimits {
  /** Open connections at most, or null. */
  maxConnections: number | null;
  /** ms for a request's headers, or null. */
  headersTimeout: number | null;
  /** ms for a whole request, or null. */
  requestTimeout: number | null;
  /** ms a keep-alive connection may stay idle (Bun: rounded up to whole seconds, at most 255), or null. */
  idleTimeout: number | null;
}

const MAX_MS = 2 ** 31 - 1;
/** Bun's idleTimeout is whole seconds, at most 255. */
const BUN_MAX_IDLE_SECONDS = 255;

function show(value: unknown): string {
  return typeof value === "string" ? JSON.stringify(value) : String(value);
}

function positiveInteger(name: string, value: unknown, max: number): number | undefined {
  if (value === undefined) return undefined;
  if (typeof value !== "number") throw new TypeError(`mpms: option "${name}" must be a number, got ${show(value)}`);
  if (!Number.isInteger(value) || value < 1 || value > max) {
    throw new RangeError(`mpms: option "${name}" must be an integer from 1 to ${max}, got ${value}`);
  }
  return value;
}

/** Validates the limits (TypeError/RangeError naming the option). */
export function checkLimits(options: ServeLimits): ServeLimits {
  const limits: ServeLimits = {
    maxConnections: positiveInteger("maxConnections", options.maxConnections, MAX_MS),
    headersTimeout: positiveInteger("headersTimeout", options.headersTimeout, MAX_MS),
    requestTimeout: positiveInteger("requestTimeout", options.requestTimeout, MAX_MS),
    idleTimeout: positiveInteger("idleTimeout", options.idleTimeout, MAX_MS),
  };
  const { headersTimeout, requestTimeout } = limits;
  if (headersTimeout !== undefined && requestTimeout !== undefined && headersTimeout > requestTimeout) {
    throw new RangeError(
      `mpms: option "headersTimeout" (${headersTimeout}) must not exceed "requestTimeout" (${requestTimeout})`,
    );
  }
  return limits;
}

/** What `limits` become on `runtime`'s server. */
export function effectiveLimits(runtime: RuntimeName, limits: ServeLimits): EffectiveLimits {
  if (runtime === "node") {
    return {
      maxConnections: limits.maxConnections ?? null,
      headersTimeout: limits.headersTimeout ?? null,
      requestTimeout: limits.requestTimeout ?? null,
      idleTimeout: limits.idleTimeout ?? null,
    };
  }
  const none: EffectiveLimits = { maxConnections: null, headersTimeout: null, requestTimeout: null, idleTimeout: null };
  if (runtime === "bun" && limits.idleTimeout !== undefined) {
    none.idleTimeout = bunIdleSeconds(limits.idleTimeout) * 1000;
  }
  return none;
}

/** Bun.serve's idleTimeout (seconds) for `ms`: rounded up, at most 255. */
export function bunIdleSeconds(ms: number): number {
  return Math.min(BUN_MAX_IDLE_SECONDS, Math.ceil(ms / 1000));
}

/** Node's default requestTimeout (ms); Node refuses a headersTimeout above the requestTimeout. */
const NODE_REQUEST_TIMEOUT = 300_000;

/** Node http.Server options for `limits` (maxConnections is a property, set after creation). */
export function nodeServerOptions(limits: ServeLimits): Record<string, number> {
  const options: Record<string, number> = {};
  if (limits.headersTimeout !== undefined) options.headersTimeout = limits.headersTimeout;
  if (limits.requestTimeout !== undefined) options.requestTimeout = limits.requestTimeout;
  else if (limits.headersTimeout !== undefined && limits.headersTimeout > NODE_REQUEST_TIMEOUT) {
    options.requestTimeout = limits.headersTimeout;
  }
  if (limits.idleTimeout !== undefined) options.keepAliveTimeout = limits.idleTimeout;
  const checked = Math.min(limits.headersTimeout ?? MAX_MS, limits.requestTimeout ?? MAX_MS);
  // Node looks for expired headers/request timers every connectionsCheckingInterval (30 s by
  // default): check often enough that a short timeout is kept to within about a quarter of it.
  if (checked < MAX_MS) options.connectionsCheckingInterval = Math.max(50, Math.min(30_000, Math.floor(checked / 4)));
  return options;
}
