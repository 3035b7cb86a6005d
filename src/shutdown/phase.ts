/**
 * Running one shutdown phase: its hooks start together, each with an AbortSignal and a budget of
 * min(its timeout, what the phase and the global deadline leave). A hook that overruns is cut
 * (its signal fires) and reported; the phase never waits past its budget.
 */
import { describeThrown, isTimeoutError } from "./describe.ts";
import type { HookReport, HookStatus, PhaseReport } from "./report.ts";
import { worstStatus } from "./report.ts";

/** What a hook gets besides its AbortSignal. */
export interface HookContext {
  /** What started the shutdown (signal name or run() reason). */
  readonly reason: string;
  /** The phase the hook runs in. */
  readonly phase: string;
  /** The hook's name (unique within its phase). */
  readonly name: string;
  /** When this hook is cut, on the performance.now() clock. */
  readonly deadline: number;
  /** Milliseconds this hook has left (>= 0). */
  timeLeft(): number;
}

/** A shutdown hook: resolve when done; the signal fires when its time is up or the run is forced. */
export type HookFn = (signal: AbortSignal, context: HookContext) => unknown;

export interface Hook {
  name: string;
  phase: string;
  timeout: number;
  fn: HookFn;
}

/** A phase in progress. */
export interface PhaseRun {
  /** Resolves when every hook settled or was cut. */
  readonly done: Promise<PhaseReport>;
  /** Cut every hook still running now (forced shutdown). */
  force(): void;
  /** The phase's report as it stands now (hooks still running count as timed out). */
  report(): PhaseReport;
  /** "phase/name" of hooks whose promise has not settled (including cut ones). */
  unsettled(): string[];
}

const now = (): number => performance.now();

interface HookState {
  hook: Hook;
  status: HookStatus | "running";
  ms: number;
  /** Set when the hook threw or rejected (even with undefined). */
  failure?: { error: unknown; message: string };
  settled: boolean;
  controller: AbortController;
  timer: ReturnType<typeof setTimeout> | undefined;
}

/** Start the hooks of one phase. `deadline` is the global deadline on the performance.now() clock. */
export function runPhase(
  phase: { name: string; timeout: number },
  hooks: readonly Hook[],
  reason: string,
  deadline: number,
): PhaseRun {
  const start = now();
  const phaseEnd = Math.min(start + phase.timeout, deadline);
  const states: HookState[] = [];
  let resolveDone!: (report: PhaseReport) => void;
  const done = new Promise<PhaseReport>((resolve) => (resolveDone = resolve));
  let finished = false;
  let starting = true; // a hook throwing synchronously must not end the phase before the rest start

  const build = (): PhaseReport => {
    const reports: HookReport[] = states.map((s) => ({
      name: s.hook.name,
      phase: phase.name,
      status: s.status === "running" ? "timeout" : s.status,
      ms: s.status === "running" ? now() - start : s.ms,
      ...(s.failure !== undefined ? { error: s.failure.error, message: s.failure.message } : {}),
    }));
    return { name: phase.name, status: worstStatus(reports.map((r) => r.status)), ms: now() - start, hooks: reports };
  };

  const finishIfIdle = (): void => {
    if (starting || finished || states.some((s) => s.status === "running")) return;
    finished = true;
    resolveDone(build());
  };

  const end = (state: HookState, status: HookStatus): void => {
    if (state.status !== "running") return;
    clearTimeout(state.timer);
    state.status = status;
    state.ms = now() - start;
    finishIfIdle();
  };

  /** The hook threw or rejected: a TimeoutError counts as a timeout, anything else as an error. */
  const fail = (state: HookState, error: unknown): void => {
    state.settled = true;
    if (state.status !== "running") return;
    state.failure = { error, message: describeThrown(error) };
    end(state, isTimeoutError(error) ? "timeout" : "error");
  };

  const cut = (state: HookState, why: string, name: "TimeoutError" | "AbortError"): void => {
    if (state.status !== "running") return;
    end(state, "timeout");
    state.controller.abort(new DOMException(`shutdown hook "${state.hook.name}" ${why}`, name));
  };

  for (const hook of hooks) {
    const hookEnd = Math.min(start + hook.timeout, phaseEnd);
    const state: HookState = {
      hook,
      status: "running",
      ms: 0,
      settled: false,
      controller: new AbortController(),
      timer: undefined,
    };
    states.push(state);
    const context: HookContext = {
      reason,
      phase: phase.name,
      name: hook.name,
      deadline: hookEnd,
      timeLeft: () => Math.max(0, hookEnd - now()),
    };
    // Timers may fire a little early (Node starts them from the loop's cached time): re-arm for
    // the rest, so a hook is never cut before its budget is spent.
    const arm = (): void => {
      state.timer = setTimeout(
        () => {
          if (hookEnd - now() > 0) arm();
          else cut(state, "timed out", "TimeoutError");
        },
        Math.max(0, hookEnd - now()),
      );
    };
    arm();
    let result: Promise<unknown>;
    try {
      // Promise.resolve() inside the try: reading a returned promise's `constructor` may throw too
      result = Promise.resolve(hook.fn(state.controller.signal, context));
    } catch (error) {
      fail(state, error);
      continue;
    }
    result.then(
      () => {
        state.settled = true;
        end(state, "ok");
      },
      (error: unknown) => fail(state, error),
    );
  }
  starting = false;
  finishIfIdle();

  return {
    done,
    force: () => {
      for (const s of states) cut(s, "was cut by a forced shutdown", "AbortError");
    },
    report: build,
    unsettled: () => states.filter((s) => !s.settled).map((s) => `${phase.name}/${s.hook.name}`),
  };
}

/** The report of a phase that never started: every hook skipped. */
export function skippedPhase(name: string, hooks: readonly Hook[]): PhaseReport {
  return {
    name,
    status: "skipped",
    ms: 0,
    hooks: hooks.map((h) => ({ name: h.name, phase: name, status: "skipped", ms: 0 })),
  };
}
