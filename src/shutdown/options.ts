/**
 * Shutdown options: the public shape, defaults, validation, and the environment overrides
 * (MPMS_SHUTDOWN_TIMEOUT, MPMS_SHUTDOWN_DELAY, MPMS_SHUTDOWN_<PHASE>_TIMEOUT). A wrong type
 * throws TypeError and a wrong range RangeError, both naming the option (or variable) and value.
 */

import { MAX_MS } from "../util/limits.ts";
import { rangeError, rejectUnknownKeys, typeError } from "../util/validate.ts";
import type { ShutdownReport } from "./report.ts";

/** The phases every coordinator has, in order. Users may add their own between them. */
export const DEFAULT_PHASES: readonly string[] = ["drain", "workers", "clients", "storage", "final"];

/** Signals a coordinator can listen to. */
export type ShutdownSignalName = "SIGTERM" | "SIGINT" | "SIGHUP" | "SIGQUIT" | "SIGUSR2";
const SIGNALS: readonly string[] = ["SIGTERM", "SIGINT", "SIGHUP", "SIGQUIT", "SIGUSR2"];

/** Where the coordinator writes its lines; `console` fits. */
export interface ShutdownLogger {
  /** A phase's line and the summary of a clean run (falls back to `log`). */
  info?(message: string): void;
  /** A hook that failed or timed out, and the summary of a forced run (falls back to `info`). */
  warn?(message: string): void;
  /** Used when `info` is missing. */
  log?(message: string): void;
}

/** A phase in `phases`: its name and its own timeout (ms, counted from the phase's start). */
export interface PhaseOptions {
  /** The phase's name: a letter, then letters, digits, `_` or `-`. */
  name: string;
  /**
   * The phase's own timeout (ms); it never gets more than the deadline leaves.
   * @default {Infinity} only the deadline
   */
  timeout?: number;
}

/** An exit code, or a function choosing one from the report. */
export type ExitCodeOption = number | ((report: Omit<ShutdownReport, "exitCode">) => number);

/**
 * Options of `new Shutdown()`. Durations are in ms. MPMS_SHUTDOWN_TIMEOUT, MPMS_SHUTDOWN_DELAY
 * and MPMS_SHUTDOWN_<PHASE>_TIMEOUT override `timeout`, `delay` and a phase's timeout.
 *
 * @example
 * ```ts
 * import { Shutdown, type ShutdownOptions } from "mpms";
 * const options: ShutdownOptions = {
 *   timeout: 20_000,
 *   delay: 5_000, // let the load balancer see readiness fail first
 *   phases: ["drain", "workers", { name: "flush", timeout: 3_000 }, "clients", "storage", "final"],
 * };
 * const shutdown = new Shutdown(options);
 * ```
 */
export interface ShutdownOptions {
  /**
   * The one deadline (ms) for the whole run, counted from the signal.
   * @default {30000}
   */
  timeout?: number;
  /**
   * Signals that start a shutdown once `listen()` is called.
   * @default {["SIGTERM", "SIGINT"]}
   */
  signals?: ShutdownSignalName[];
  /**
   * Keep serving this long (ms) after the signal while readiness already fails.
   * @default {0}
   */
  delay?: number;
  /**
   * A second signal during the run forces it to end at once.
   * @default {true}
   */
  forceOnSecondSignal?: boolean;
  /**
   * Signals arriving this soon (ms) after the first count as the same one.
   * @default {100}
   */
  debounce?: number;
  /**
   * End the process when the run is over.
   * @default {true}
   */
  exit?: boolean;
  /**
   * Exit code of a clean run.
   * @default {0}
   */
  exitCode?: ExitCodeOption;
  /**
   * Exit code when a hook failed or timed out, or the run was forced.
   * @default {1}
   */
  forcedExitCode?: ExitCodeOption;
  /**
   * One line per phase and a summary; false for none.
   * @default {console}
   */
  logger?: ShutdownLogger | false;
  /**
   * The phases in order, each a name or { name, timeout }. Must keep the five built-in phases
   * (drain, workers, clients, storage, final) in that order; your own go between them.
   * @default {DEFAULT_PHASES} drain, workers, clients, storage, final, each bounded by the deadline only
   */
  phases?: (string | PhaseOptions)[];
  /**
   * Read the MPMS_SHUTDOWN_* environment overrides.
   * @default {true}
   */
  env?: boolean;
}

/** Options of one hook. */
export interface HookOptions {
  /**
   * Phase to run in (required to exist in `phases`).
   * @default {"workers"}
   */
  phase?: string;
  /**
   * The hook's own timeout (ms); it also never gets more than its phase and the deadline leave.
   * @default {Infinity} what the phase and the deadline leave
   */
  timeout?: number;
  /**
   * Name in logs and the report.
   * @default for objects, their class name
   */
  name?: string;
}

export interface ResolvedPhase {
  name: string;
  timeout: number;
}

export interface ResolvedShutdownOptions {
  timeout: number;
  signals: string[];
  delay: number;
  forceOnSecondSignal: boolean;
  debounce: number;
  exit: boolean;
  exitCode: ExitCodeOption;
  forcedExitCode: ExitCodeOption;
  logger: { info(message: string): void; warn(message: string): void } | undefined;
  phases: ResolvedPhase[];
}

const PHASE_NAME = /^[A-Za-z][A-Za-z0-9_-]*$/;

/** A duration in ms: `min` (inclusive unless `positive`) up to 2^31-1, or Infinity when allowed. */
export function duration(
  name: string,
  value: unknown,
  fallback: number,
  rule: { positive?: boolean; infinite?: boolean } = {},
): number {
  if (value === undefined) return fallback;
  if (typeof value !== "number" || Number.isNaN(value)) throw typeError(name, "a number of milliseconds", value);
  if (value === Number.POSITIVE_INFINITY && rule.infinite) return value;
  const expected = `${rule.positive ? "> 0" : ">= 0"} and <= ${MAX_MS}${rule.infinite ? " (or Infinity)" : ""}`;
  if (!Number.isFinite(value) || value < 0 || (rule.positive && value === 0) || value > MAX_MS) {
    throw rangeError(name, expected, value);
  }
  return value;
}

function bool(name: string, value: unknown, fallback: boolean): boolean {
  if (value === undefined) return fallback;
  if (typeof value !== "boolean") throw typeError(name, "a boolean", value);
  return value;
}

function exitCodeOption(name: string, value: unknown, fallback: number): ExitCodeOption {
  if (value === undefined) return fallback;
  if (typeof value === "function") return value as ExitCodeOption;
  if (typeof value !== "number") throw typeError(name, "an exit code (integer 0-255) or a function", value);
  if (!Number.isInteger(value) || value < 0 || value > 255) throw rangeError(name, "an integer from 0 to 255", value);
  return value;
}

function logger(value: unknown): ResolvedShutdownOptions["logger"] {
  if (value === false || value === null) return undefined;
  const log = (value ?? console) as ShutdownLogger;
  if (typeof log !== "object" && typeof log !== "function") {
    throw typeError("logger", "an object with info() or log(), or false", value);
  }
  const info = typeof log.info === "function" ? log.info : typeof log.log === "function" ? log.log : undefined;
  if (info === undefined) throw typeError("logger", "an object with info() or log(), or false", value);
  const warn = typeof log.warn === "function" ? log.warn : info;
  return { info: (m) => info.call(log, m), warn: (m) => warn.call(log, m) };
}

function signals(value: unknown): string[] {
  if (value === undefined) return ["SIGTERM", "SIGINT"];
  if (!Array.isArray(value)) throw typeError("signals", "an array of signal names", value);
  for (const s of value) {
    if (typeof s !== "string" || !SIGNALS.includes(s)) {
      throw rangeError("signals", `an array of ${SIGNALS.map((n) => `"${n}"`).join(", ")}`, value);
    }
  }
  return [...new Set(value as string[])];
}

function phases(value: unknown): ResolvedPhase[] {
  if (value === undefined) return DEFAULT_PHASES.map((name) => ({ name, timeout: Number.POSITIVE_INFINITY }));
  if (!Array.isArray(value)) throw typeError("phases", "an array of phase names or { name, timeout }", value);
  const out: ResolvedPhase[] = [];
  for (const [i, entry] of value.entries()) {
    const spec = typeof entry === "string" ? { name: entry } : entry;
    if (spec === null || typeof spec !== "object" || typeof spec.name !== "string") {
      throw typeError(`phases[${i}]`, "a phase name or { name, timeout }", entry);
    }
    if (!PHASE_NAME.test(spec.name)) throw rangeError(`phases[${i}].name`, "letters, digits, - or _", spec.name);
    if (out.some((p) => p.name === spec.name)) throw rangeError("phases", "unique names", spec.name);
    const timeout = duration(`phases[${i}].timeout`, spec.timeout, Number.POSITIVE_INFINITY, {
      positive: true,
      infinite: true,
    });
    out.push({ name: spec.name, timeout });
  }
  const builtIn = out.filter((p) => DEFAULT_PHASES.includes(p.name)).map((p) => p.name);
  if (builtIn.join() !== DEFAULT_PHASES.join()) {
    throw rangeError("phases", `to keep ${DEFAULT_PHASES.map((n) => `"${n}"`).join(", ")} in that order`, value);
  }
  return out;
}

/** The environment variable that overrides a phase's timeout: MPMS_SHUTDOWN_<PHASE>_TIMEOUT. */
export function phaseEnvName(phase: string): string {
  return `MPMS_SHUTDOWN_${phase.toUpperCase().replace(/[^A-Z0-9]/g, "_")}_TIMEOUT`;
}

/**
 * Parse a duration from an environment variable: milliseconds ("30000", "30000ms") or seconds
 * ("30s", "1.5s") or minutes ("2m"). Throws a RangeError naming the variable on anything else.
 */
export function parseEnvDuration(name: string, raw: string, positive: boolean): number {
  const m = /^\s*(\d+(?:\.\d+)?)\s*(ms|s|m)?\s*$/.exec(raw);
  const scale = m?.[2] === "s" ? 1_000 : m?.[2] === "m" ? 60_000 : 1;
  const ms = m ? Math.round(Number(m[1]) * scale) : Number.NaN;
  if (!(ms >= 0 && ms <= MAX_MS) || (positive && ms === 0)) {
    throw new RangeError(
      `mpms: environment variable ${name} must be a duration ${positive ? "> 0" : ">= 0"} ` +
        `in milliseconds, or with a unit (e.g. 30000, 30s, 2m), got ${JSON.stringify(raw)}`,
    );
  }
  return ms;
}

const KNOWN = new Set([
  "timeout",
  "signals",
  "delay",
  "forceOnSecondSignal",
  "debounce",
  "exit",
  "exitCode",
  "forcedExitCode",
  "logger",
  "phases",
  "env",
]);

/** Validate options, apply environment overrides (which win over code), fill in defaults. */
export function resolveShutdownOptions(
  options: unknown,
  env: (name: string) => string | undefined,
): ResolvedShutdownOptions {
  if (options === null || typeof options !== "object") throw typeError("options", "an object", options);
  const o = options as Record<string, unknown>;
  rejectUnknownKeys(o, KNOWN, "shutdown");
  const readEnv = bool("env", o.env, true) ? env : () => undefined;
  const resolved: ResolvedShutdownOptions = {
    timeout: duration("timeout", o.timeout, 30_000, { positive: true }),
    signals: signals(o.signals),
    delay: duration("delay", o.delay, 0),
    forceOnSecondSignal: bool("forceOnSecondSignal", o.forceOnSecondSignal, true),
    debounce: duration("debounce", o.debounce, 100),
    exit: bool("exit", o.exit, true),
    exitCode: exitCodeOption("exitCode", o.exitCode, 0),
    forcedExitCode: exitCodeOption("forcedExitCode", o.forcedExitCode, 1),
    logger: logger(o.logger),
    phases: phases(o.phases),
  };
  const timeout = readEnv("MPMS_SHUTDOWN_TIMEOUT");
  if (timeout !== undefined) resolved.timeout = parseEnvDuration("MPMS_SHUTDOWN_TIMEOUT", timeout, true);
  const delay = readEnv("MPMS_SHUTDOWN_DELAY");
  if (delay !== undefined) resolved.delay = parseEnvDuration("MPMS_SHUTDOWN_DELAY", delay, false);
  for (const phase of resolved.phases) {
    const name = phaseEnvName(phase.name);
    const raw = readEnv(name);
    if (raw !== undefined) phase.timeout = parseEnvDuration(name, raw, true);
  }
  if (resolved.delay >= resolved.timeout) {
    throw new RangeError(
      `mpms: shutdown "delay" (${resolved.delay} ms) must be below "timeout" (${resolved.timeout} ms)` +
        " (either may come from MPMS_SHUTDOWN_DELAY / MPMS_SHUTDOWN_TIMEOUT)",
    );
  }
  return resolved;
}

/** Pick the exit code for a report; a throwing or invalid function falls back to 1. */
export function chooseExitCode(options: ResolvedShutdownOptions, report: Omit<ShutdownReport, "exitCode">): number {
  const option = report.ok ? options.exitCode : options.forcedExitCode;
  if (typeof option === "number") return option;
  try {
    const code = option(report);
    return Number.isInteger(code) && code >= 0 && code <= 255 ? code : 1;
  } catch {
    return 1;
  }
}
