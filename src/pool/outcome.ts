/** What the pool reports for every task, exactly once. */
interface OutcomeBase<In> {
  taskId: number;
  /** Named export that ran; null for the default export. */
  name: string | null;
  input: In;
  /** Worker that ran the task; null if it never reached one. */
  workerId: number | null;
  /** Time from submit to dispatch (ms). */
  queuedMs: number;
  /** Time from dispatch to settle (ms); 0 if never dispatched. */
  runMs: number;
}

export interface OkOutcome<In, Out> extends OutcomeBase<In> {
  status: "ok";
  value: Out;
}

export interface ErrorOutcome<In> extends OutcomeBase<In> {
  status: "error";
  error: unknown;
}

export type Outcome<In = unknown, Out = unknown> = OkOutcome<In, Out> | ErrorOutcome<In>;
