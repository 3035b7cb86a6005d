/**
 * Runs one chaos plan against a pool and records what happened to every task: how its promise
 * settled (and how often), every collector call, and the times the checks need. The checks
 * themselves are in check.ts.
 */
import { type Outcome, type Pool, type PoolOptions, type PoolStats, Shutdown } from "../../mod.ts";
import type { Plan, TaskPlan } from "./plan.ts";

export interface TaskRecord {
  plan: TaskPlan;
  /** The timeout the task runs under. */
  timeout: number;
  submittedAt: number;
  /** How often the submit promise settled, or the put promise rejected. */
  settles: number;
  settledAt: number;
  ok: boolean | undefined;
  value: unknown;
  /** put() resolved: the task was queued. */
  queued: boolean;
  /** Every collector call for this task, and the time of the first. */
  outcomes: Outcome[];
  outcomeAt: number;
  reason: Error | undefined;
  abortedAt: number | undefined;
  /** Submitted after the end began. */
  late: boolean;
}

export interface RunResult {
  plan: Plan;
  records: TaskRecord[];
  stats: PoolStats;
  /** When the end was triggered, and how long the close/shutdown/destroy call took (ms). */
  endStartedAt: number;
  endMs: number;
  /** The end call did not return within the watchdog. */
  endHung: boolean;
  /** Tasks still unsettled when the end call returned. */
  unsettledAtEnd: number[];
  /** Tasks still unsettled a second after the end. */
  neverSettled: number[];
  /** Late submits that were not refused at once. */
  lateNotRefused: number[];
  /** Collector calls for input this run never submitted. */
  strayOutcomes: number;
  /** The pool's "failed" events (it gave up on its workers), with the last exits. */
  poolFailures: string[];
  /** Every workerexit and workerretire event, in order (for diagnosing a violation). */
  events: { type: string; at: number; detail: Record<string, unknown> }[];
  /** Set when no task settled for a long time while tasks were open. */
  stalled: string | undefined;
  /** Errors thrown by the driver's own calls (start, resize, recycle, end). */
  driverErrors: unknown[];
  /** Total wall time of the run (ms). */
  totalMs: number;
}

type ChaosPool = Pool<Record<string, unknown>, unknown>;

/** No task settling for this long, with tasks open, counts as a stuck pool. */
const STALL_MS = 10_000;

const sleep = (ms: number): Promise<void> => new Promise((r) => setTimeout(r, ms));

/** Poll `check` every few ms until it holds or `ms` passed. */
async function until(check: () => boolean, ms: number): Promise<void> {
  const end = performance.now() + ms;
  while (!check() && performance.now() < end) await sleep(2);
}
const now = (): number => performance.now();

/** A task counts as settled by its submit promise, its collector call, or a refusal. */
const isSettled = (r: TaskRecord): boolean => r.settles > 0 || r.outcomes.length > 0;

/** The bound the end call must meet (ms), generous where the plan leaves work to finish. */
export function endBound(plan: Plan, records: TaskRecord[], endStartedAt: number): number {
  const o = plan.options;
  switch (plan.end) {
    case "closeTimeout":
    case "shutdown":
      // The pool gives up at the timeout and destroys: kills are immediate.
      return plan.endTimeout + o.killGrace + 1_000;
    case "destroy":
      return o.killGrace + 1_000;
    case "close": {
      // Every open task runs to completion or to its timeout + kill grace, plus a restart, on
      // one worker at worst (a resize may leave one).
      let sum = 0;
      for (const r of records) {
        if (r.submittedAt <= endStartedAt && !(r.outcomeAt > 0 && r.outcomeAt < endStartedAt)) {
          sum += r.timeout + o.killGrace + 500;
        }
      }
      return 3_000 + o.stopTimeout + sum / o.concurrency;
    }
  }
}

function endPool(pool: ChaosPool, plan: Plan): Promise<unknown> {
  switch (plan.end) {
    case "close":
      return pool.close();
    case "closeTimeout":
      return pool.close({ timeout: plan.endTimeout });
    case "destroy":
      return pool.destroy();
    case "shutdown": {
      const shutdown = new Shutdown({ timeout: plan.endTimeout, exit: false, logger: false, env: false });
      shutdown.add(pool);
      return shutdown.run("chaos");
    }
  }
}

export async function runPlan(
  plan: Plan,
  make: (options: PoolOptions<Record<string, unknown>, unknown>) => ChaosPool,
  base: { module: URL; adapter: NonNullable<PoolOptions["adapter"]> },
): Promise<RunResult> {
  const t0 = now();
  const records = new Map<number, TaskRecord>();
  let strayOutcomes = 0;
  let open = 0;
  let lastSettleAt = now();
  let wake: (() => void) | undefined;
  const settledOne = (first: boolean): void => {
    if (!first) return;
    open--;
    lastSettleAt = now();
    wake?.();
  };
  const pool = make({
    ...plan.options,
    module: base.module,
    adapter: base.adapter,
    collector: (outcome) => {
      const id = (outcome.input as { id?: unknown } | undefined)?.id;
      const rec = typeof id === "number" ? records.get(id) : undefined;
      if (!rec) {
        strayOutcomes++;
        return;
      }
      const first = !isSettled(rec);
      if (rec.outcomes.length === 0) rec.outcomeAt = now();
      rec.outcomes.push(outcome as Outcome);
      settledOne(first);
    },
  });
  const driverErrors: unknown[] = [];
  const poolFailures: string[] = [];
  const exits: Record<string, unknown>[] = [];
  const events: RunResult["events"] = [];
  for (const type of ["workerexit", "workerretire", "workerstart"] as const) {
    pool.addEventListener(type, (e) => events.push({ type, at: now(), detail: { ...e.detail } }));
  }
  pool.addEventListener("workerexit", (e) => exits.push({ ...e.detail }));
  pool.addEventListener("failed", (e) => {
    const error = e.detail.error;
    const last = exits.slice(-4).map((x) => JSON.stringify({ ...x, error: String(x.error ?? "") }));
    poolFailures.push(`${error.message}; cause: ${String(error.cause)}; last exits: ${last.join(" ")}`);
  });
  const abortTimers = new Set<ReturnType<typeof setTimeout>>();

  const submitOne = (task: TaskPlan, late: boolean): TaskRecord => {
    const rec: TaskRecord = {
      plan: task,
      timeout: task.timeout ?? plan.options.taskTimeout,
      submittedAt: now(),
      settles: 0,
      settledAt: 0,
      ok: undefined,
      value: undefined,
      queued: false,
      outcomes: [],
      outcomeAt: 0,
      reason: undefined,
      abortedAt: undefined,
      late,
    };
    records.set(task.id, rec);
    open++;
    let controller: AbortController | undefined;
    if (task.abort !== "none") {
      controller = new AbortController();
      rec.reason = new Error(`chaos abort ${task.id}`);
      if (task.abort === "before") {
        rec.abortedAt = now();
        controller.abort(rec.reason);
      }
    }
    const options = { timeout: task.timeout, signal: controller?.signal, wait: !task.noWait };
    const settle = (ok: boolean, value: unknown): void => {
      const first = !isSettled(rec);
      rec.settles++;
      rec.settledAt = now();
      rec.ok = ok;
      rec.value = value;
      settledOne(first);
    };
    if (task.put) {
      pool.put(task.input, options).then(
        () => {
          rec.queued = true;
        },
        (error) => settle(false, error),
      );
    } else {
      pool.submit(task.input, options).then(
        (value) => settle(true, value),
        (error) => settle(false, error),
      );
    }
    if (controller && task.abort === "sync") {
      rec.abortedAt = now();
      controller.abort(rec.reason);
    } else if (controller && typeof task.abort === "number") {
      const c = controller;
      const timer = setTimeout(() => {
        abortTimers.delete(timer);
        rec.abortedAt = now();
        c.abort(rec.reason);
      }, task.abort);
      abortTimers.add(timer);
    }
    return rec;
  };

  const runEvent = (event: Plan["events"][number], salt: number): void => {
    try {
      if (event.kind === "resize") pool.resize(event.workers);
      else {
        const workers = pool.stats().workers.filter((w) => w.retiring === null);
        const pick = workers[salt % Math.max(1, workers.length)];
        if (pick) pool.recycle(pick.id);
      }
    } catch (error) {
      driverErrors.push(error);
    }
  };

  if (plan.startFirst) await pool.start().catch((error) => void driverErrors.push(error));

  // Submit up to the end, keeping at most `window` tasks open, with the plan's events and pauses.
  // If nothing settles for STALL_MS, the pool is stuck: say so, and go on to the end.
  let nextEvent = 0;
  let stalled: string | undefined;
  for (let i = 0; i < plan.endAfter && stalled === undefined; i++) {
    const task = plan.tasks[i] as TaskPlan;
    while (nextEvent < plan.events.length && (plan.events[nextEvent] as Plan["events"][number]).at <= i) {
      runEvent(plan.events[nextEvent++] as Plan["events"][number], task.id);
    }
    while (open >= plan.window && stalled === undefined) {
      await Promise.race([new Promise<void>((r) => (wake = r)), sleep(50)]);
      wake = undefined;
      if (now() - lastSettleAt > STALL_MS) {
        const ids = [...records.values()].filter((r) => !isSettled(r)).map((r) => r.plan.id);
        const stats = { ...pool.stats(), waitTime: undefined, runTime: undefined };
        const last = events.slice(-3).map((e) => JSON.stringify({ ...e.detail, error: String(e.detail.error ?? "") }));
        stalled = `nothing settled for ${STALL_MS} ms; open: ${ids.join(", ")}; stats: ${JSON.stringify(stats)}; last events: ${last.join(" ")}`;
      }
    }
    if (stalled !== undefined) break;
    submitOne(task, false);
    if (task.pauseAfter > 0) await sleep(task.pauseAfter);
  }

  // End the pool at the planned moment; submits from now on must be refused at once.
  const endStartedAt = now();
  let end: Promise<unknown>;
  try {
    end = endPool(pool, plan);
  } catch (error) {
    driverErrors.push(error);
    end = Promise.resolve();
  }
  // A Shutdown closes the pool in its "workers" phase, a few turns later: wait for that first.
  if (plan.end === "shutdown") await until(() => pool.state !== "running" && pool.state !== "starting", 2_000);
  const late: TaskRecord[] = [];
  for (let i = 0; i < plan.afterEnd; i++) {
    const id = plan.tasks.length + 1 + i;
    const task: TaskPlan = {
      id,
      b: "return",
      input: { b: "return", id, v: id },
      timeout: undefined,
      abort: "none",
      put: i % 3 === 0,
      noWait: false,
      pauseAfter: 0,
    };
    late.push(submitOne(task, true));
  }
  await sleep(0);
  const lateNotRefused = late.filter((r) => r.settles !== 1).map((r) => r.plan.id);

  const bound = endBound(plan, [...records.values()], endStartedAt);
  let timer: ReturnType<typeof setTimeout> | undefined;
  const watchdog = new Promise<"hung">((resolve) => {
    timer = setTimeout(() => resolve("hung"), bound * 2 + 5_000);
  });
  const ended = await Promise.race([end.catch((error) => void driverErrors.push(error)), watchdog]);
  clearTimeout(timer);
  // A Shutdown run ends at its deadline even while the pool's destroy() is still killing
  // workers; the pool must be done within the kill grace after that.
  if (plan.end === "shutdown" && ended !== "hung") {
    await until(() => pool.state === "closed" && pool.stats().workers.length === 0, bound);
  }
  const endMs = now() - endStartedAt;
  const endHung = ended === "hung";
  if (endHung) await pool.destroy();
  for (const t of abortTimers) clearTimeout(t);

  const unsettled = (): number[] => [...records.values()].filter((r) => !isSettled(r)).map((r) => r.plan.id);
  const unsettledAtEnd = unsettled();
  // Anything missing gets a last moment before it counts as never settled.
  const deadline = now() + 1_000;
  while (now() < deadline && unsettled().length > 0) await sleep(5);
  return {
    plan,
    records: [...records.values()],
    stats: pool.stats(),
    endStartedAt,
    endMs,
    endHung,
    unsettledAtEnd,
    neverSettled: unsettled(),
    lateNotRefused,
    strayOutcomes,
    driverErrors,
    poolFailures,
    events,
    stalled,
    totalMs: now() - t0,
  };
}
