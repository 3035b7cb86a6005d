/**
 * What a task's outcome becomes for BullMQ: a return value BullMQ can store unchanged (JSON), or
 * the error the job fails with. Errors keep the task's name, message and stack; chosen ones become
 * UnrecoverableError (no retry).
 */
import { UnrecoverableError } from "bullmq";

/** Why a job's result could not be stored: BullMQ keeps return values as JSON. */
export class JobValueError extends Error {
  /** `message` says what of the value cannot be stored. */
  constructor(message: string) {
    super(message);
    this.name = "JobValueError";
  }
}

/** The job was cancelled (`worker.cancelJob`) or lost its lock while its task ran. */
export class JobCancelledError extends Error {
  /** Why it was cancelled, as BullMQ gave it. */
  readonly reason: string;
  /** `reason`: why it was cancelled. */
  constructor(reason: string) {
    super(`job cancelled: ${reason}`);
    this.name = "JobCancelledError";
    this.reason = reason;
  }
}

function isPlainObject(value: object): boolean {
  const proto = Object.getPrototypeOf(value);
  return proto === Object.prototype || proto === null;
}

/**
 * Null if `value` survives JSON.stringify → JSON.parse unchanged (plain objects and arrays of
 * strings, finite numbers, booleans, null); otherwise where and what it is. undefined at the top
 * is allowed (BullMQ stores no return value, and reads it back as null).
 */
export function jsonProblem(value: unknown, path = "value", seen = new Set<object>()): string | null {
  if (value === null || typeof value === "string" || typeof value === "boolean") return null;
  if (typeof value === "number") return Number.isFinite(value) ? null : `${path} is ${value}`;
  if (typeof value !== "object") return `${path} is a ${typeof value}`;
  if (seen.has(value)) return `${path} is a circular reference`;
  if (Array.isArray(value)) {
    seen.add(value);
    for (let i = 0; i < value.length; i++) {
      const problem = jsonProblem(value[i], `${path}[${i}]`, seen);
      if (problem !== null) return problem;
    }
    seen.delete(value);
    return null;
  }
  if (!isPlainObject(value)) return `${path} is a ${value.constructor?.name ?? "non-plain object"}`;
  seen.add(value);
  for (const [key, item] of Object.entries(value)) {
    if (item === undefined) return `${path}.${key} is undefined (JSON drops it)`;
    const problem = jsonProblem(item, `${path}.${key}`, seen);
    if (problem !== null) return problem;
  }
  seen.delete(value);
  return null;
}

/** The task's value as a job result, or a JobValueError naming what JSON would change. */
export function checkJobValue(value: unknown): JobValueError | null {
  if (value === undefined) return null;
  const problem = jsonProblem(value);
  return problem === null
    ? null
    : new JobValueError(`the task's result cannot be stored by BullMQ as it is (JSON): ${problem}`);
}

/** Any rejection as an Error (BullMQ needs an Error to fail a job). */
export function asError(value: unknown): Error {
  if (value instanceof Error) return value;
  if (value !== null && typeof value === "object" && typeof (value as Error).message === "string") {
    const error = new Error((value as Error).message);
    if (typeof (value as Error).name === "string") error.name = (value as Error).name;
    return error;
  }
  return new Error(String(value));
}

/** An UnrecoverableError that still says what failed: "TypeError: bad input", with the task's stack. */
export function unrecoverable(error: Error): UnrecoverableError {
  const out = new UnrecoverableError(error.name === "Error" ? error.message : `${error.name}: ${error.message}`);
  if (error.stack !== undefined) out.stack = error.stack;
  (out as { cause?: unknown }).cause = error;
  return out;
}
