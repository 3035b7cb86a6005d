/**
 * Errors cross the worker channel as plain objects, so that the name, stack, cause and extra
 * properties survive every channel (structured clone drops custom names; JSON drops everything).
 */
import { type MpmsError, SerializationError, TaskError } from "./errors.ts";

/**
 * An error as it travels over the channel.
 * @internal (a part of the protocol messages, rebuilt as TaskError in the pool)
 */
export interface WireError {
  name: string;
  message: string;
  stack?: string;
  hasCause?: boolean;
  cause?: unknown;
  code?: unknown;
  data?: Record<string, unknown>;
  /** Set when mpms itself raised the error in the worker (e.g. a result that cannot be sent). */
  mpms?: "serialization";
}

const MAX_CAUSE_DEPTH = 8;

function plainValue(value: unknown): unknown {
  if (value === null || typeof value !== "object") {
    return typeof value === "bigint" || typeof value === "function" || typeof value === "symbol"
      ? String(value)
      : value;
  }
  try {
    return JSON.parse(JSON.stringify(value));
  } catch {
    return String(value);
  }
}

/** Turn anything a task threw into a {@link WireError}. */
export function toWireError(thrown: unknown, depth = 0): WireError {
  if (!(thrown instanceof Error)) {
    const isObj = thrown !== null && typeof thrown === "object";
    const obj = thrown as { name?: unknown; message?: unknown } | null;
    return {
      name: isObj && typeof obj?.name === "string" ? obj.name : "Error",
      message: isObj && typeof obj?.message === "string" ? obj.message : `non-error thrown: ${String(thrown)}`,
      data: isObj ? { value: plainValue(thrown) } : { value: plainValue(thrown) },
    };
  }
  const wire: WireError = { name: thrown.name, message: thrown.message, stack: thrown.stack };
  if ("cause" in thrown) {
    wire.hasCause = true;
    wire.cause =
      thrown.cause instanceof Error && depth < MAX_CAUSE_DEPTH
        ? { __wireError: toWireError(thrown.cause, depth + 1) }
        : plainValue(thrown.cause);
  }
  const code = (thrown as { code?: unknown }).code;
  if (code !== undefined) wire.code = plainValue(code);
  let data: Record<string, unknown> | undefined;
  for (const key of Object.keys(thrown)) {
    if (key === "code" || key === "cause" || key === "name" || key === "message" || key === "stack") {
      continue;
    }
    data ??= {};
    data[key] = plainValue((thrown as unknown as Record<string, unknown>)[key]);
  }
  if (data) wire.data = data;
  if (thrown instanceof SerializationError) wire.mpms = "serialization";
  return wire;
}

/** Rebuild the error a task threw, in the parent. */
export function fromWireError(wire: WireError): MpmsError {
  if (wire.mpms === "serialization") {
    const err = new SerializationError(wire.message);
    if (wire.stack) err.stack = wire.stack;
    return err;
  }
  let cause = wire.cause;
  const nested = (cause as { __wireError?: WireError } | null)?.__wireError;
  if (cause !== null && typeof cause === "object" && nested) cause = fromWireError(nested);
  return new TaskError({
    name: wire.name,
    message: wire.message,
    stack: wire.stack,
    hasCause: wire.hasCause,
    cause,
    taskCode: wire.code,
    data: wire.data,
  });
}
