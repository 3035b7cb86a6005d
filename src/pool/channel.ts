/**
 * The worker channel is hostile input: task code can write to it (a stray `process.send`, a
 * forged result), a native crash can cut a frame in half. Every batch a worker sends is checked
 * here before the engine acts on it: an array of messages of known shapes, naming only tasks
 * the worker was sent (answers for tasks it does not hold are late or repeated, and ignored). Nothing in here throws.
 */
import type { FromWorker } from "../protocol.ts";

/** Longest description of an offending value kept for the `channel` event. */
const MAX_RECEIVED = 200;

/** A short, never-throwing description of `value`, for events and errors. */
export function describeReceived(value: unknown): string {
  let text: string;
  try {
    text = typeof value === "string" ? JSON.stringify(value) : (JSON.stringify(value) ?? String(value));
  } catch {
    try {
      text = String(value);
    } catch {
      text = Object.prototype.toString.call(value);
    }
  }
  return text.length > MAX_RECEIVED ? `${text.slice(0, MAX_RECEIVED)}…` : text;
}

const isId = (v: unknown): v is number => typeof v === "number" && Number.isSafeInteger(v) && v > 0;

function isWireError(v: unknown): boolean {
  if (v === null || typeof v !== "object") return false;
  const e = v as { name?: unknown; message?: unknown };
  return typeof e.name === "string" && typeof e.message === "string";
}

function isIdList(v: unknown): v is number[] {
  return Array.isArray(v) && v.every(isId);
}

/**
 * Check one batch. `holds(id)` tells whether the worker may speak of task `id` (it was sent
 * there and the worker has not answered for it yet). Returns null when the batch is sound, else
 * what is wrong with it.
 */
export function checkBatch(batch: unknown, holds: (id: number) => boolean): string | null {
  if (!Array.isArray(batch)) return `not a batch: ${describeReceived(batch)}`;
  for (const msg of batch as unknown[]) {
    const problem = checkMessage(msg, holds);
    if (problem !== null) return problem;
  }
  return null;
}

/** Why `m` is refused: a plain function, not a closure made for every message checked. */
function bad(m: Record<string, unknown>): string {
  return `malformed ${String(m.t)} message: ${describeReceived(m)}`;
}

/**
 * An id the worker does not hold is a late or repeated answer (the pool settled that task
 * already): ignored by the engine, as before. Forged results are kept out by the channels' own
 * framing.
 */
function foreignId(_id: number): null {
  return null;
}

function checkMessage(msg: unknown, holds: (id: number) => boolean): string | null {
  if (msg === null || typeof msg !== "object" || Array.isArray(msg)) {
    return `not a message: ${describeReceived(msg)}`;
  }
  const m = msg as Record<string, unknown>;
  switch (m.t as FromWorker["t"]) {
    case "ready":
      return null;
    case "initError":
      return isWireError(m.error) ? null : bad(m);
    case "ok":
      if (!isId(m.id) || !("value" in m)) return bad(m);
      return holds(m.id) ? null : foreignId(m.id);
    case "progress":
      if (!isId(m.id) || !("value" in m)) return bad(m);
      return holds(m.id) ? null : foreignId(m.id);
    case "err":
      if (!isId(m.id) || !isWireError(m.error) || (m.die !== undefined && typeof m.die !== "boolean")) return bad(m);
      return holds(m.id) ? null : foreignId(m.id);
    case "started":
    case "returned":
      return isIdList(m.ids) ? null : bad(m);
    case "hb":
      if (typeof m.mem !== "number") return bad(m);
      if (m.runs !== undefined && !(Number.isSafeInteger(m.runs) && (m.runs as number) >= 0)) return bad(m);
      return m.held === undefined || isIdList(m.held) ? null : bad(m);
    case "stopped":
      return m.error === undefined || isWireError(m.error) ? null : bad(m);
    case "exiting":
      if (typeof m.code !== "number" || (m.id !== undefined && !isId(m.id))) return bad(m);
      if (m.wait !== undefined && typeof m.wait !== "boolean") return bad(m);
      return null;
    default:
      return `unknown message type: ${describeReceived(msg)}`;
  }
}
