/**
 * Strict JSON for the process channels (`process`, `bun`, `deno` adapters). Plain JSON.stringify
 * silently drops functions and symbols, so a task could lose part of its input without a word;
 * here they throw, as BigInt and cycles already do, and the caller fails only the task involved.
 *
 * A channel carries two kinds of text: a protocol batch (a JSON array) and an adapter notice
 * (a JSON object), e.g. the uncaught error that is about to end a child.
 */
import { toWireError, type WireError } from "../src/wire_error.ts";

/** Adapter-level notice a child sends besides protocol batches. */
export interface ChildNotice {
  /** The child is about to exit because of this uncaught error. */
  fatal: WireError;
}

function describe(value: unknown): string {
  if (typeof value === "function") return `a function${value.name ? ` (${value.name})` : ""}`;
  if (typeof value === "bigint") return `a BigInt (${value}n)`;
  return `a symbol (${String(value)})`;
}

function strict(key: string, value: unknown): unknown {
  const type = typeof value;
  if (type === "function" || type === "bigint" || type === "symbol") {
    throw new TypeError(`${describe(value)}${key === "" ? "" : ` at key ${JSON.stringify(key)}`} is not JSON`);
  }
  return value;
}

/** Encode `value`; throws a TypeError (and produces nothing) if any part of it is not JSON. */
export function encodeJson(value: unknown): string {
  try {
    return JSON.stringify(value, strict);
  } catch (cause) {
    const detail = cause instanceof Error ? cause.message : String(cause);
    throw new TypeError(`cannot be encoded as JSON: ${detail}`, { cause });
  }
}

/** True for the text of an adapter notice (an object), false for a protocol batch (an array). */
export function isNotice(text: string): boolean {
  return text.charCodeAt(0) === 123; // "{"
}

export function decodeJson<T>(text: string): T {
  return JSON.parse(text) as T;
}

/** The notice a child sends before an uncaught error ends it; undefined if even that cannot be encoded. */
export function encodeFatal(error: unknown): string | undefined {
  const notice: ChildNotice = { fatal: toWireError(error) };
  try {
    return encodeJson(notice);
  } catch {
    return undefined; // the exit code still tells
  }
}
