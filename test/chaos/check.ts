/**
 * The invariants of a chaos run. Each task must have settled exactly once, with an outcome its
 * behaviour allows; the counters must agree with the outcomes; the end must meet its bound.
 *
 * Allowed outcomes. Every admitted task may, besides what its behaviour itself produces, end in
 * an outcome caused by something outside it; each of those is allowed only when its cause is
 * visible in the same run:
 * - timeout (TaskTimeoutError): its `timeout` is the task's, and at least that long passed since
 *   submit (the deadline counts from dispatch, which is later). A cheap task can meet it only when
 *   its worker was starved, e.g. stuck behind a spinning sibling.
 * - cancelled (the signal's own reason object): the task was aborted, and settled after that.
 * - closed (PoolClosedError "destroyed"): the run ended by destroy (directly, or by a close or a
 *   shutdown that reached its deadline), and the task was still open when the end began.
 * - crashed (WorkerCrashedError {reason "exit"}): a task that exits its worker (exit, or exit
 *   after replying) ran on the same worker, and the code is one of theirs.
 * - retired (WorkerRetiredError): the pool killed its worker for a cause seen on that same
 *   worker: "timeout" (a task there timed out), "abort" (a task there was cancelled while
 *   running), "gracefulDie" (a die task ran there); or "maxAgeHard" when the plan set it.
 * Own outcomes per behaviour are in OWN below. Refusals without a collector call (never
 * admitted) are allowed only for: an already-aborted signal, an abort while waiting for room,
 * QueueFullError with `wait: false`, and PoolClosedError for submits after the end began.
 */
import {
  PoolClosedError,
  PoolUnavailableError,
  QueueFullError,
  SerializationError,
  TaskError,
  TaskTimeoutError,
  WorkerCrashedError,
  WorkerRetiredError,
} from "../../mod.ts";
import { endBound, type RunResult, type TaskRecord } from "./driver.ts";
import type { Behaviour } from "./plan.ts";

/** What an outcome is, in the terms of the allowed sets. */
export type OutcomeClass =
  | "ok"
  | "taskError"
  | "serialization"
  | "timeout"
  | "cancelled"
  | "closed"
  | "crashed"
  | "retired"
  | "queueFull"
  | "unavailable"
  | "other";

/** Outcomes a behaviour produces by itself (the checks below also verify the value or error). */
const OWN: Readonly<Record<Behaviour, readonly OutcomeClass[]>> = {
  return: ["ok"],
  print: ["ok"],
  sleep: ["ok"],
  throw: ["taskError"],
  asyncThrow: ["taskError"],
  unclonable: ["serialization"],
  unclonableInput: ["serialization"],
  ignoreAbort: ["ok"],
  exit: ["crashed"],
  exitAfterReply: ["ok"],
  // Spins forever: only its timeout (or an outside cause) ends it.
  spin: [],
  // Only its timeout (or an outside cause) ends it.
  hang: [],
  die: ["taskError"],
  allocate: ["ok"],
};

export function classify(rec: TaskRecord, ok: boolean, value: unknown): OutcomeClass {
  if (ok) return "ok";
  if (rec.reason !== undefined && value === rec.reason) return "cancelled";
  if (value instanceof TaskTimeoutError) return "timeout";
  if (value instanceof WorkerCrashedError) return "crashed";
  if (value instanceof WorkerRetiredError) return "retired";
  if (value instanceof SerializationError) return "serialization";
  if (value instanceof PoolClosedError) return "closed";
  if (value instanceof QueueFullError) return "queueFull";
  if (value instanceof PoolUnavailableError) return "unavailable";
  if (value instanceof TaskError) return "taskError";
  return "other";
}

/** Per-worker causes seen in the run, from the collector's outcomes. */
interface Causes {
  exitCodes: Map<number, Set<number>>;
  timeouts: Set<number>;
  aborts: Set<number>;
  dies: Set<number>;
}

function causes(records: TaskRecord[]): Causes {
  const c: Causes = { exitCodes: new Map(), timeouts: new Set(), aborts: new Set(), dies: new Set() };
  for (const rec of records) {
    const o = rec.outcomes[0];
    if (!o || o.workerId === null) continue;
    const w = o.workerId;
    const error = o.status === "error" ? o.error : undefined;
    if (rec.plan.b === "exit" || rec.plan.b === "exitAfterReply") {
      const set = c.exitCodes.get(w) ?? new Set<number>();
      set.add(rec.plan.input.code as number);
      c.exitCodes.set(w, set);
    }
    if (error instanceof TaskTimeoutError) c.timeouts.add(w);
    if (rec.reason !== undefined && error === rec.reason) c.aborts.add(w);
    if (rec.plan.b === "die" && o.status === "error") c.dies.add(w);
  }
  return c;
}

const describe = (value: unknown): string => {
  if (value instanceof Error) return `${value.constructor.name}(${value.name}: ${value.message})`;
  try {
    return JSON.stringify(value) ?? String(value);
  } catch {
    return String(value);
  }
};

/** Check the value or error of an own outcome; returns a problem or null. */
function checkOwn(rec: TaskRecord, cls: OutcomeClass, value: unknown, elapsed: number): string | null {
  const { b, id } = rec.plan;
  const input = rec.plan.input;
  const v = (value as { id?: unknown; v?: unknown } | null)?.v;
  const sameId = (value as { id?: unknown } | null)?.id === id;
  switch (cls) {
    case "ok":
      if (!sameId) return "ok with another task's value";
      if (b === "return" || b === "print") return JSON.stringify(v) === JSON.stringify(input.v) ? null : "wrong value";
      if (b === "sleep" || b === "ignoreAbort") {
        if (v !== input.ms) return "wrong value";
        return elapsed + 2 >= (input.ms as number) ? null : `ok after ${elapsed.toFixed(1)} ms < its ${input.ms} ms`;
      }
      if (b === "exitAfterReply") return v === "replied" ? null : "wrong value";
      if (b === "allocate") return typeof v === "number" ? null : "wrong value";
      return null;
    case "taskError": {
      const e = value as TaskError;
      const expected =
        b === "throw"
          ? ["ChaosError", `chaos throw ${id}`]
          : b === "asyncThrow"
            ? ["ChaosAsyncError", `chaos async throw ${id}`]
            : ["WorkerGracefulDie", `chaos die ${id}`];
      return e.name === expected[0] && e.message === expected[1] ? null : `wrong error ${describe(e)}`;
    }
    case "serialization": {
      const message = (value as Error).message;
      const what = b === "unclonableInput" ? /input cannot be sent/ : /result cannot be sent/;
      return what.test(message) ? null : `unclear serialization error: ${message}`;
    }
    case "crashed":
      return null; // checked with the outside causes (same worker, code)
    default:
      return null;
  }
}

/** What happened on worker `w`: its events and its tasks' outcomes (MPMS_CHAOS_DEBUG=1). */
function history(run: RunResult, w: number): string {
  const lines = run.events
    .filter((e) => e.detail.workerId === w)
    .map(
      (e) => `  ${e.at.toFixed(1)} ${e.type} ${JSON.stringify({ ...e.detail, error: String(e.detail.error ?? "") })}`,
    );
  for (const rec of run.records) {
    const o = rec.outcomes[0];
    if (o?.workerId !== w) continue;
    const what = o.status === "ok" ? "ok" : describe(o.error);
    lines.push(`  ${rec.outcomeAt.toFixed(1)} task ${rec.plan.id} ${JSON.stringify(rec.plan.input)} -> ${what}`);
  }
  lines.sort((a, b) => Number.parseFloat(a) - Number.parseFloat(b));
  return `\n${lines.join("\n")}`;
}

/** Every violation of the invariants in `run`, as readable lines (empty: all held). */
export function checkRun(run: RunResult): string[] {
  const out: string[] = [];
  const { plan, records, stats } = run;
  const c = causes(records);
  const destroyed = plan.end !== "close";
  const counted = { ok: 0, cancelled: 0, crashed: 0, timeout: 0, admitted: 0 };

  for (const rec of records) {
    const id = rec.plan.id;
    const where = `task ${id} (${rec.plan.b}${rec.plan.put ? ", put" : ""})`;
    if (rec.settles > 1) out.push(`${where}: promise settled ${rec.settles} times`);
    if (rec.outcomes.length > 1) out.push(`${where}: collector called ${rec.outcomes.length} times`);
    const o = rec.outcomes[0];
    const admitted = o !== undefined;

    if (!admitted) {
      // Refused without being admitted: a submit/put promise rejected, no collector call.
      if (rec.settles === 0) continue; // reported as never settled
      if (rec.ok) {
        out.push(`${where}: resolved without a collector call`);
        continue;
      }
      const cls = classify(rec, false, rec.value);
      const fine =
        (cls === "cancelled" && rec.abortedAt !== undefined) ||
        (cls === "queueFull" && rec.plan.noWait) ||
        (cls === "closed" && rec.settledAt >= run.endStartedAt);
      if (!fine) out.push(`${where}: refused with ${describe(rec.value)}`);
      continue;
    }
    counted.admitted++;
    if (rec.late) out.push(`${where}: submitted after the end began, yet admitted`);
    if (rec.plan.put && rec.settles > 0) out.push(`${where}: put() rejected, yet admitted`);
    const ok = o.status === "ok";
    const value = o.status === "ok" ? o.value : o.error;
    if (!rec.plan.put) {
      if (rec.settles === 1 && (rec.ok !== ok || rec.value !== value)) {
        out.push(`${where}: promise (${describe(rec.value)}) and collector (${describe(value)}) disagree`);
      }
    }
    const settledAt = rec.outcomeAt;
    const elapsed = settledAt - rec.submittedAt;
    const cls = classify(rec, ok, value);
    if (cls === "ok") counted.ok++;
    if (cls === "cancelled" || cls === "closed") counted.cancelled++;
    if (cls === "crashed") counted.crashed++;
    if (cls === "timeout") counted.timeout++;

    const w = o.workerId;
    let problem: string | null = null;
    if (OWN[rec.plan.b].includes(cls)) problem = checkOwn(rec, cls, value, elapsed);
    if (cls === "crashed" || !OWN[rec.plan.b].includes(cls)) {
      // The strict oracle: with one task per worker at a time, no neighbour runs beside a task,
      // so a crash or a retirement it did not cause itself is collateral (prefetch leaking into
      // outcomes). Only the maxAgeHard policy may interrupt a running task.
      const strict = plan.options.concurrency === 1;
      const collateral =
        (cls === "crashed" && !OWN[rec.plan.b].includes(cls)) ||
        (cls === "retired" && (value as WorkerRetiredError).reason !== "maxAgeHard");
      if (strict && collateral) problem = `collateral ${describe(value)} at concurrency 1`;
      else
        switch (cls) {
          case "timeout": {
            const t = (value as TaskTimeoutError).timeout;
            if (t !== rec.timeout) problem = `TaskTimeoutError(${t}) for a ${rec.timeout} ms task`;
            else if (elapsed + 2 < rec.timeout)
              problem = `timed out after ${elapsed.toFixed(1)} ms < ${rec.timeout} ms`;
            break;
          }
          case "cancelled":
            if (rec.abortedAt === undefined) problem = "cancelled, never aborted";
            else if (settledAt < rec.abortedAt) problem = "cancelled before its abort";
            break;
          case "closed":
            if (!destroyed) problem = `PoolClosedError in a graceful close: ${describe(value)}`;
            else if (settledAt < run.endStartedAt) problem = "closed before the end began";
            break;
          case "crashed": {
            const e = value as WorkerCrashedError;
            if (w === null || e.workerId !== w) problem = `crash of worker ${e.workerId}, task ran on ${w}`;
            else if (!c.exitCodes.has(w)) problem = `crash of worker ${w}, where no task exited`;
            else if (e.reason !== "exit") problem = `crash reason ${e.reason}`;
            else if (!c.exitCodes.get(w)?.has(e.exitCode as number)) {
              problem = `crash exit code ${e.exitCode}, not an exit task's`;
            }
            break;
          }
          case "retired": {
            const r = (value as WorkerRetiredError).reason;
            const seen =
              (r === "timeout" && w !== null && c.timeouts.has(w)) ||
              (r === "abort" && w !== null && c.aborts.has(w)) ||
              (r === "gracefulDie" && w !== null && c.dies.has(w)) ||
              (r === "maxAgeHard" && plan.options.maxAgeHard !== undefined);
            if (!seen) problem = `WorkerRetiredError(${r}) on worker ${w} without such a cause there`;
            break;
          }
          default:
            problem = `outcome not allowed: ${describe(value)}`;
        }
    }
    if (problem) out.push(`${where}: ${problem}${w !== null && process.env.MPMS_CHAOS_DEBUG ? history(run, w) : ""}`);
  }

  // Counters agree with the outcomes, and with each other.
  const s = stats;
  if (s.queued !== 0 || s.running !== 0) out.push(`counters: queued ${s.queued}, running ${s.running} after the end`);
  if (s.submitted !== s.completed + s.failed + s.cancelled) {
    out.push(
      `counters: submitted ${s.submitted} != completed ${s.completed} + failed ${s.failed} + cancelled ${s.cancelled}`,
    );
  }
  const expect = (name: string, actual: number, wanted: number): void => {
    if (actual !== wanted) out.push(`counters: ${name} ${actual}, outcomes say ${wanted}`);
  };
  expect("submitted", s.submitted, counted.admitted);
  expect("completed", s.completed, counted.ok);
  expect("cancelled", s.cancelled, counted.cancelled);
  expect("crashed", s.crashed, counted.crashed);
  expect("timedOut", s.timedOut, counted.timeout);
  if (s.state !== "closed") out.push(`pool state ${s.state} after the end`);
  const live = s.workers.filter((w) => w.state !== "zombie");
  if (live.length > 0) out.push(`workers left after the end: ${live.map((w) => `${w.id}:${w.state}`).join(", ")}`);

  // The run as a whole.
  if (run.endHung) out.push(`${plan.end} did not return within the watchdog`);
  const bound = endBound(plan, records, run.endStartedAt);
  if (run.endMs > bound) out.push(`${plan.end} took ${run.endMs.toFixed(0)} ms, bound ${bound.toFixed(0)} ms`);
  if (run.unsettledAtEnd.length > 0) out.push(`unsettled when ${plan.end} returned: ${run.unsettledAtEnd.join(", ")}`);
  if (run.neverSettled.length > 0) out.push(`never settled: ${run.neverSettled.join(", ")}`);
  if (run.lateNotRefused.length > 0) {
    out.push(`submitted after the end and not refused at once: ${run.lateNotRefused.join(", ")}`);
  }
  if (run.strayOutcomes > 0) out.push(`${run.strayOutcomes} collector calls for unknown tasks`);
  if (run.stalled) out.push(`stalled: ${run.stalled}`);
  for (const failure of run.poolFailures) out.push(`the pool failed: ${failure}`);
  for (const error of run.driverErrors) out.push(`driver call threw: ${describe(error)}`);
  return out;
}

/** Outcome classes per behaviour, e.g. { return: { ok: 480, cancelled: 12 } }, for the log. */
export function tally(run: RunResult): Record<string, Record<string, number>> {
  const out: Record<string, Record<string, number>> = {};
  for (const rec of run.records) {
    const o = rec.outcomes[0];
    const cls = o
      ? classify(rec, o.status === "ok", o.status === "ok" ? o.value : o.error)
      : rec.settles > 0
        ? `refused:${classify(rec, false, rec.value)}`
        : "open";
    const key = rec.late ? "late" : rec.plan.b;
    const row = out[key] ?? {};
    row[cls] = (row[cls] ?? 0) + 1;
    out[key] = row;
  }
  return out;
}
