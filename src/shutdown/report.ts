/** The outcome of one shutdown run, and the log lines that describe it. */
import type { EmergencyReport } from "./emergency.ts";

/** How a hook (or a phase, taking the worst of its hooks) ended. */
export type HookStatus = "ok" | "error" | "timeout" | "skipped";

/** One hook in the report. */
export interface HookReport {
  /** The hook's name. */
  name: string;
  /** The phase it ran in. */
  phase: string;
  /** "timeout" also covers a hook cut short by a forced shutdown (second signal or deadline). */
  status: HookStatus;
  /** Milliseconds from the hook's start until it settled or was cut. */
  ms: number;
  /** What the hook threw or rejected with (status "error", or "timeout" for a TimeoutError). */
  error?: unknown;
  /** `error` described in one line, built so that no thrown value can make it fail. */
  message?: string;
}

/** One phase in the report. */
export interface PhaseReport {
  /** The phase's name. */
  name: string;
  /** "skipped" when the phase never started; otherwise the worst status of its hooks. */
  status: HookStatus;
  /** Milliseconds from the phase's start to its end (0 when skipped). */
  ms: number;
  /** Its hooks, in registration order. */
  hooks: HookReport[];
}

/** The outcome of one shutdown run: what `run()` resolves with, and what the summary line tells. */
export interface ShutdownReport {
  /** What started the run: a signal name, or the reason given to `run()`. */
  reason: string;
  /** Every hook ran and ended ok, and nothing was forced. */
  ok: boolean;
  /** The run was cut: by a second signal, by `force()`, or because the global deadline passed. */
  forced: boolean;
  /** "error": an uncaught exception or unhandled rejection during the run (see `fatal`). */
  forcedBy: "signal" | "manual" | "deadline" | "error" | null;
  /** The uncaught exception or unhandled rejection that forced the run (forcedBy "error"). */
  fatal?: FatalReport;
  /** Milliseconds from the start of the run (the signal) to the end of the report. */
  ms: number;
  /** The exit code chosen from `exitCode` / `forcedExitCode` (used when `exit` is on). */
  exitCode: number;
  /** Every phase, in order (those never reached as "skipped"). */
  phases: PhaseReport[];
  /** Hooks still running when the report was made ("phase/name"): cut by a timeout or by force. */
  running: string[];
  /** The emergency hooks, in registration order: which ran, threw, or were skipped for budget. */
  emergency: EmergencyReport[];
}

/** An uncaught exception or unhandled rejection during the run. */
export interface FatalReport {
  /** Which of the two it was. */
  kind: "uncaughtException" | "unhandledRejection";
  /** The thrown value or rejection reason. */
  error: unknown;
  /** `error` described in one line. */
  message: string;
}

const RANK: Record<HookStatus, number> = { ok: 0, skipped: 1, error: 2, timeout: 3 };

/** The worst of several statuses (ok < skipped < error < timeout); "ok" for none. */
export function worstStatus(statuses: readonly HookStatus[]): HookStatus {
  let worst: HookStatus = "ok";
  for (const s of statuses) if (RANK[s] > RANK[worst]) worst = s;
  return worst;
}

/** One log line for a finished phase, e.g. `phase drain ok in 2003 ms: http ok 2001 ms`. */
export function formatPhase(phase: PhaseReport): string {
  const hooks = phase.hooks.map((h) => {
    const detail = h.message !== undefined ? ` (${h.message})` : "";
    return h.status === "skipped" ? `${h.name} skipped` : `${h.name} ${h.status} ${Math.round(h.ms)} ms${detail}`;
  });
  const head =
    phase.status === "skipped"
      ? `mpms shutdown: phase ${phase.name} skipped`
      : `mpms shutdown: phase ${phase.name} ${phase.status} in ${Math.round(phase.ms)} ms`;
  return hooks.length === 0 ? `${head} (no hooks)` : `${head}: ${hooks.join(", ")}`;
}

/** The final summary line: outcome, duration, exit code, and every hook that did not end ok. */
export function formatSummary(report: ShutdownReport, exiting: boolean): string {
  const parts: string[] = [];
  const how = report.ok
    ? "done"
    : report.forcedBy === "signal"
      ? "forced by a second signal"
      : report.forcedBy === "deadline"
        ? "forced: deadline reached"
        : report.forcedBy === "manual"
          ? "forced"
          : report.forcedBy === "error"
            ? `forced by an ${report.fatal?.kind === "unhandledRejection" ? "unhandled rejection" : "uncaught exception"}`
            : "done with failures";
  parts.push(`mpms shutdown: ${how} in ${Math.round(report.ms)} ms (${report.reason})`);
  const byStatus = (status: HookStatus): string[] => [
    ...report.phases.flatMap((p) => p.hooks.filter((h) => h.status === status).map((h) => `${p.name}/${h.name}`)),
    ...report.emergency.filter((h) => h.status === status).map((h) => `emergency/${h.name}`),
  ];
  const timedOut = byStatus("timeout");
  const failed = byStatus("error");
  const skipped = byStatus("skipped");
  if (timedOut.length > 0) parts.push(`timed out: ${timedOut.join(", ")}`);
  if (failed.length > 0) parts.push(`failed: ${failed.join(", ")}`);
  if (skipped.length > 0) parts.push(`skipped: ${skipped.join(", ")}`);
  if (report.running.length > 0) parts.push(`still running: ${report.running.join(", ")}`);
  if (exiting) parts.push(`exit code ${report.exitCode}`);
  return parts.join("; ");
}
