/**
 * One output line per task: `{"line":N,"status":"ok","value":...}` or
 * `{"line":N,"status":"error","error":{"name","message","code"}}` (with `"exitCode"` for a crash),
 * plus `"attempts"` when the task was run more than once.
 */
import { MpmsError, TaskError, WorkerCrashedError } from "../errors.ts";

export interface ErrorFields {
  name: string;
  message: string;
  /** The task's own `code` if it set one, else mpms's code (`ERR_MPMS_*`), else null. */
  code: unknown;
  /** A crash's exit code (null: killed by a signal, or unknown). */
  exitCode?: number | null;
}

/** Input lines that are not JSON get this code. */
export const INPUT_ERROR_CODE = "ERR_MPMS_INPUT";
/** Values that cannot be written as JSON get this code. */
export const OUTPUT_ERROR_CODE = "ERR_MPMS_OUTPUT";

/** The name, message and code of anything a task can fail with. */
export function errorFields(error: unknown): ErrorFields {
  if (error instanceof TaskError) {
    return { name: error.name, message: error.message, code: error.taskCode ?? error.code };
  }
  if (error instanceof WorkerCrashedError) {
    return { name: error.name, message: error.message, code: error.code, exitCode: error.exitCode };
  }
  if (error instanceof MpmsError) return { name: error.name, message: error.message, code: error.code };
  if (error instanceof Error) {
    const code = (error as { code?: unknown }).code;
    return { name: error.name, message: error.message, code: code ?? null };
  }
  return { name: "Error", message: String(error), code: null };
}

function jsonCode(code: unknown): unknown {
  if (code === undefined || typeof code === "bigint" || typeof code === "function" || typeof code === "symbol") {
    return code === undefined ? null : String(code);
  }
  return code;
}

function errorLine(line: number, fields: ErrorFields, attempts: number): string {
  const error: Record<string, unknown> = { name: fields.name, message: fields.message, code: jsonCode(fields.code) };
  if (fields.exitCode !== undefined) error.exitCode = fields.exitCode;
  const outcome: Record<string, unknown> = { line, status: "error", error };
  if (attempts > 1) outcome.attempts = attempts;
  try {
    return JSON.stringify(outcome);
  } catch {
    // a code that is an object that cannot be written (a cycle): keep its text
    return JSON.stringify({ ...outcome, error: { ...error, code: String(fields.code) } });
  }
}

/**
 * The output line of a task that returned `value` (undefined is written as null). Throws a
 * TypeError when JSON cannot hold the value (a BigInt, a cycle): write {@link failedLine} then.
 */
export function okLine(line: number, value: unknown, attempts = 1): string {
  const outcome: Record<string, unknown> = { line, status: "ok", value: value === undefined ? null : value };
  if (attempts > 1) outcome.attempts = attempts;
  try {
    return JSON.stringify(outcome);
  } catch (error) {
    const why = error instanceof Error ? error.message : String(error);
    const unwritable = new TypeError(`the task's value cannot be written as JSON: ${why}`) as TypeError & {
      code: string;
    };
    unwritable.code = OUTPUT_ERROR_CODE;
    throw unwritable;
  }
}

/** The output line of a task that failed with `error`. */
export function failedLine(line: number, error: unknown, attempts = 1): string {
  return errorLine(line, errorFields(error), attempts);
}

/** The output line of an input line that is not JSON. */
export function badInputLine(line: number, error: unknown): string {
  const why = error instanceof Error ? error.message : String(error);
  return errorLine(
    line,
    { name: "SyntaxError", message: `input line ${line} is not JSON: ${why}`, code: INPUT_ERROR_CODE },
    1,
  );
}

/** The output line of an input line longer than `--max-line-bytes` (its text was not kept). */
export function tooLongLine(line: number, bytes: number, maxBytes: number): string {
  return errorLine(
    line,
    {
      name: "RangeError",
      message: `input line ${line} has ${bytes} bytes, more than --max-line-bytes ${maxBytes}`,
      code: INPUT_ERROR_CODE,
    },
    1,
  );
}
