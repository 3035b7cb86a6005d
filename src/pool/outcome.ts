/**
 * What the pool reports for every task, exactly once: the fields both outcomes share.
 * @internal (reached through {@link OkOutcome} and {@link ErrorOutcome})
 */
interface OutcomeBase<In> {
  /** The task's id, unique within the pool. */
  taskId: number;
  /** Named export that ran; null for the default export. */
  name: string | null;
  /** The task's input, as given to submit/put/map. */
  input: In;
  /** Worker that ran the task; null if it never reached one. */
  workerId: number | null;
  /** Time from submit to dispatch (ms). */
  queuedMs: number;
  /** Time from dispatch to settle (ms); 0 if never dispatched. */
  runMs: number;
}

/**
 * The outcome of a task that returned: `status` "ok" and its `value`, with `taskId`, `name`,
 * `input`, `workerId`, `queuedMs` and `runMs`.
 */
export interface OkOutcome<In, Out> extends OutcomeBase<In> {
  /** The task returned. */
  status: "ok";
  /** What it returned (resolved). */
  value: Out;
}

/**
 * The outcome of a task that failed: `status` "error" and its `error` (a TaskError for a throw in
 * the task, or the pool's own error: timeout, crash, closed, …), with `taskId`, `name`, `input`,
 * `workerId`, `queuedMs` and `runMs`.
 */
export interface ErrorOutcome<In> extends OutcomeBase<In> {
  /** The task failed. */
  status: "error";
  /** Why: an error of mpms (see errors.ts) or whatever the task threw, rebuilt as TaskError. */
  error: unknown;
}

/**
 * What the pool reports for every task, exactly once: to the collector, to `results()`.
 * Narrow it on `status`.
 *
 * @example
 * ```ts
 * import type { Outcome } from "mpms";
 * function line(outcome: Outcome<string, number>): string {
 *   return outcome.status === "ok"
 *     ? `${outcome.input}: ${outcome.value} (${outcome.runMs} ms)`
 *     : `${outcome.input}: failed: ${String(outcome.error)}`;
 * }
 * ```
 */
export type Outcome<In = unknown, Out = unknown> = OkOutcome<In, Out> | ErrorOutcome<In>;
