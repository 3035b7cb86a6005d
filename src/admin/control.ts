/**
 * The mutating routes: recycle a worker, resize a pool, start the shutdown. They need
 * `Authorization: Bearer <token>`; without a configured token they are disabled (405), never
 * open. Errors are JSON `{ error }` with 400 (bad input), 401 (no token), 403 (wrong token),
 * 404 (unknown pool or worker), 405 (disabled), 409 (the pool or worker cannot do it now) or 413
 * (a body past 1 KiB, refused while it streams in).
 */
import type { Context, Hono, MiddlewareHandler } from "hono";
import { MAX_WORKERS } from "../util/limits.ts";
import { TokenCheck } from "./auth.ts";
import { hasBody, readBodyText } from "./body.ts";
import type { AdminPool } from "./options.ts";
import type { AdminState } from "./state.ts";

const CHALLENGE = 'Bearer realm="mpms admin"';
/** Longest body accepted by the control routes (bytes). */
export const MAX_BODY = 1024;

type FailStatus = 400 | 401 | 403 | 404 | 405 | 409 | 413;

function fail(c: Context, status: FailStatus, error: string, headers?: Record<string, string>) {
  return c.json({ error }, status, headers);
}

/**
 * A refusal before the body was read: ask the client to close the connection, so the server is
 * not left reading (or discarding) the rest of a body nobody wants.
 */
function refuse(c: Context, status: FailStatus, error: string, headers: Record<string, string> = {}) {
  return fail(c, status, error, hasBody(c.req.raw) ? { ...headers, Connection: "close" } : headers);
}

/** 405 with an empty Allow: the resource exists but is disabled by configuration (RFC 9110 §10.2.1). */
function disabled(c: Context, error: string) {
  return fail(c, 405, error, { Allow: "" });
}

function requireToken(state: AdminState): MiddlewareHandler {
  const check = state.token === undefined ? undefined : new TokenCheck(state.token);
  return async (c, next) => {
    if (check === undefined) {
      return refuse(c, 405, "control routes are disabled: no token configured (createAdmin({ token }))", {
        Allow: "",
      });
    }
    const result = await check.check(c.req.header("authorization"));
    if (result === "missing") {
      return refuse(c, 401, "missing credentials: send Authorization: Bearer <token>", {
        "WWW-Authenticate": CHALLENGE,
      });
    }
    if (result === "wrong") {
      return refuse(c, 403, "wrong token", { "WWW-Authenticate": `${CHALLENGE}, error="invalid_token"` });
    }
    await next();
  };
}

/** The bodies read by {@link readBody}, for the route that follows it. */
const bodies = new WeakMap<Request, string>();

/**
 * Reads the body of every control request, at most MAX_BODY bytes, as it streams in (a chunked
 * body past the limit is never buffered whole): 413 past the limit. Routes without a body read
 * (and ignore) what little was sent, which keeps a keep-alive connection in step.
 */
const readBody: MiddlewareHandler = async (c, next) => {
  const text = await readBodyText(c.req.raw, MAX_BODY);
  if (typeof text !== "string") return fail(c, text.status, text.error, { Connection: "close" });
  bodies.set(c.req.raw, text);
  await next();
};

function findPool(state: AdminState, name: string): AdminPool | undefined {
  return state.pools.get(name);
}

function unknownPool(c: Context, state: AdminState, name: string) {
  const known = [...state.pools.keys()].map((n) => JSON.stringify(n)).join(", ");
  return fail(c, 404, `no pool named ${JSON.stringify(name)} (pools: ${known || "none"})`);
}

/** The small JSON object body read by {@link readBody}; an error text instead when it is not one. */
function jsonObject(c: Context): Record<string, unknown> | string {
  const text = bodies.get(c.req.raw) ?? "";
  if (text.trim() === "") return 'missing body: send JSON like {"workers": 4}';
  let body: unknown;
  try {
    body = JSON.parse(text);
  } catch {
    return 'body is not valid JSON: send JSON like {"workers": 4}';
  }
  if (body === null || typeof body !== "object" || Array.isArray(body)) {
    return 'body must be a JSON object like {"workers": 4}';
  }
  return body as Record<string, unknown>;
}

const CLOSED_STATES = new Set(["closing", "closed", "failed"]);

export function controlRoutes(app: Hono, state: AdminState): void {
  const guard = requireToken(state);

  app.post("/pools/:name/workers/:id/recycle", guard, readBody, (c) => {
    const name = c.req.param("name");
    const pool = findPool(state, name);
    if (!pool) return unknownPool(c, state, name);
    const idText = c.req.param("id");
    if (!/^\d{1,9}$/.test(idText))
      return fail(c, 400, `worker id must be a non-negative integer, got ${JSON.stringify(idText)}`);
    const id = Number(idText);
    const stats = pool.stats();
    const worker = stats.workers.find((w) => w.id === id);
    if (!worker) return fail(c, 404, `pool ${JSON.stringify(name)} has no worker ${id}`);
    if (!pool.recycle(id)) {
      const why = worker.retiring ? `retiring (${worker.retiring})` : worker.state;
      return fail(c, 409, `worker ${id} of pool ${JSON.stringify(name)} is already stopping: ${why}`);
    }
    return c.json(
      { pool: name, workerId: id, reason: "recycle", message: `worker ${id} of pool "${name}" is being recycled` },
      202,
    );
  });

  app.post("/pools/:name/resize", guard, readBody, (c) => {
    const name = c.req.param("name");
    const pool = findPool(state, name);
    if (!pool) return unknownPool(c, state, name);
    const body = jsonObject(c);
    if (typeof body === "string") return fail(c, 400, body);
    const extra = Object.keys(body).filter((k) => k !== "workers");
    if (extra.length > 0) return fail(c, 400, `unknown field ${JSON.stringify(extra[0])}: send {"workers": <n>}`);
    const workers = body.workers;
    if (typeof workers !== "number" || !Number.isInteger(workers) || workers < 1 || workers > MAX_WORKERS) {
      return fail(c, 400, `"workers" must be an integer >= 1 and <= ${MAX_WORKERS}, got ${JSON.stringify(workers)}`);
    }
    const before = pool.stats();
    if (CLOSED_STATES.has(before.state)) {
      return fail(c, 409, `pool ${JSON.stringify(name)} is ${before.state}: it cannot be resized`);
    }
    try {
      pool.resize(workers);
    } catch (error) {
      return fail(c, 400, error instanceof Error ? error.message : String(error));
    }
    return c.json(
      {
        pool: name,
        workers,
        previous: before.size,
        message: `pool "${name}" resized from ${before.size} to ${workers} workers`,
      },
      202,
    );
  });

  app.post("/shutdown", guard, readBody, (c) => {
    const shutdown = state.shutdown;
    if (!shutdown) return disabled(c, "shutdown is disabled: no Shutdown given (createAdmin({ shutdown }))");
    if (!shutdown.ready) {
      return c.json({ shutdown: shutdown.state, message: `shutdown already under way (${shutdown.state})` }, 202);
    }
    // Answer first: the run starts on a later turn, after this response has been handed over
    // (a server registered with the shutdown waits for it before closing).
    setTimeout(() => void shutdown.run("admin").catch(() => {}), 0);
    return c.json({ shutdown: "started", reason: "admin", message: "graceful shutdown started" }, 202);
  });

  // Wrong methods on the control routes get 405 with the allowed one, not a bare 404.
  for (const path of ["/pools/:name/workers/:id/recycle", "/pools/:name/resize", "/shutdown"]) {
    app.all(path, (c) => fail(c, 405, `use POST for ${new URL(c.req.url).pathname}`, { Allow: "POST" }));
  }
}
