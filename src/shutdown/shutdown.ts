/**
 * The graceful shutdown coordinator. On the first signal (or `run()`): readiness fails at once;
 * after `delay` the shutdown signal fires and the phases run in order, each hook with a bounded
 * budget inside one global deadline counted from the signal; then the emergency hooks run, a
 * summary is logged and the process exits. A second signal, the deadline, or an uncaught error
 * during the run forces the end at once (the emergency hooks still run).
 */
import type { Closable } from "./closable.ts";
import { describeThrown, safeGet } from "./describe.ts";
import { type EmergencyFn, EmergencyHooks, type EmergencyOptions, formatEmergency } from "./emergency.ts";
import { HookRegistry } from "./hooks.ts";
import { type FatalKind, type ShutdownHost, shutdownHost } from "./host.ts";
import {
  chooseExitCode,
  type HookOptions,
  type ResolvedShutdownOptions,
  resolveShutdownOptions,
  type ShutdownOptions,
} from "./options.ts";
import { type HookFn, type PhaseRun, runPhase, skippedPhase } from "./phase.ts";
import { type FatalReport, formatPhase, formatSummary, type PhaseReport, type ShutdownReport } from "./report.ts";

/** idle → delaying (readiness fails, still serving) → running (phases) → done. */
export type ShutdownState = "idle" | "delaying" | "running" | "done";

const now = (): number => performance.now();

/** Longest wait for stdout/stderr before exiting. */
const FLUSH_LIMIT = 100;
/** After a forced end (or the deadline), exit by this time even if something in our own path stalls. */
const FORCE_BACKSTOP = 150;

type ForcedBy = ShutdownReport["forcedBy"];

/**
 * Coordinates a graceful shutdown on signals, in phases, inside one deadline.
 *
 * @example
 * ```ts
 * import { Pool, Shutdown } from "mpms";
 *
 * const shutdown = new Shutdown({ timeout: 30_000 });
 * const pool = new Pool({ module: new URL("./task.ts", import.meta.url) });
 * shutdown.add(pool); // closed in the "workers" phase, destroyed if its time runs out
 * shutdown.add("flush metrics", async (signal) => {
 *   if (!signal.aborted) await fetch("http://localhost:9091/flush", { method: "POST", signal });
 * }, { phase: "final", timeout: 2_000 });
 * shutdown.listen(); // SIGTERM or SIGINT starts the run; the process exits when it is over
 * ```
 */
export class Shutdown {
  readonly #options: ResolvedShutdownOptions;
  readonly #host: ShutdownHost;
  readonly #hooks: HookRegistry;
  readonly #controller = new AbortController();
  readonly #phaseRuns: PhaseRun[] = [];
  /** Reports of the phases finished (or skipped) so far, in order. */
  readonly #phaseReports: PhaseReport[] = [];
  readonly #emergency = new EmergencyHooks();
  #state: ShutdownState = "idle";
  #run: Promise<ShutdownReport> | undefined;
  #reason = "";
  #startedAt = 0;
  #deadline = Number.POSITIVE_INFINITY;
  #deadlineTimer: ReturnType<typeof setTimeout> | undefined;
  #backstop: ReturnType<typeof setTimeout> | undefined;
  #firstSignalAt: number | undefined;
  #forcedBy: ForcedBy = null;
  #fatal: FatalReport | undefined;
  #current: PhaseRun | undefined;
  #wakeDelay: (() => void) | undefined;
  #uninstall: (() => void) | undefined;
  #removeFatal: (() => void) | undefined;
  /** The exit code once the report is out (only the stdio flush is left before the exit). */
  #exitCode: number | undefined;
  #exited = false;

  /**
   * Validate the options (TypeError or RangeError naming the option) and make the coordinator;
   * nothing listens to signals before `listen()`.
   * @param options see {@link ShutdownOptions}; MPMS_SHUTDOWN_* environment variables override them.
   * @param host the runtime seam (signals, exit, env); defaults to the one for Deno, Bun or Node.
   */
  constructor(options: ShutdownOptions = {}, host?: ShutdownHost) {
    this.#host = host ?? shutdownHost();
    this.#options = resolveShutdownOptions(options, (name) => this.#host.env(name));
    this.#hooks = new HookRegistry(this.#options.phases.map((p) => p.name));
  }

  /** True until shutdown starts (first signal or run()); serve it on a readiness probe. */
  get ready(): boolean {
    return this.#state === "idle";
  }

  /** Fires when the phases begin (after `delay`): in-flight work should wrap up now. */
  get signal(): AbortSignal {
    return this.#controller.signal;
  }

  /** Where the run is: idle, delaying (readiness fails, still serving), running (phases), done. */
  get state(): ShutdownState {
    return this.#state;
  }

  /** Milliseconds left until the global deadline (Infinity before shutdown starts). */
  timeLeft(): number {
    return Math.max(0, this.#deadline - now());
  }

  /** The resolved global timeout and phase timeouts (after environment overrides), in ms. */
  get timeouts(): { timeout: number; delay: number; phases: Record<string, number> } {
    const o = this.#options;
    return { timeout: o.timeout, delay: o.delay, phases: Object.fromEntries(o.phases.map((p) => [p.name, p.timeout])) };
  }

  /**
   * Register a hook: `add(name, fn, options)`, or `add(object, options)` for anything with close()
   * and/or destroy() (a Pool closes within the hook's time and is destroyed when cut). Hooks
   * default to the "workers" phase. Returns a function that removes the hook again.
   *
   * @example
   * ```ts
   * import { Pool, Shutdown } from "mpms";
   * const shutdown = new Shutdown();
   * const pool = new Pool({ module: new URL("./task.ts", import.meta.url) });
   * shutdown.add(pool, { timeout: 10_000 });
   * const remove = shutdown.add("close db", async (signal, context) => {
   *   console.log(`closing the database, ${context.timeLeft()} ms left`);
   * }, { phase: "storage" });
   * remove(); // no longer needed
   * ```
   */
  add(name: string, fn: HookFn, options?: HookOptions): () => void;
  /** Register an object with close() and/or destroy() (a Pool, a server, a client) as a hook. */
  add(target: Closable, options?: HookOptions): () => void;
  add(first: string | Closable, second?: HookFn | HookOptions, third?: HookOptions): () => void {
    return this.#hooks.add(first, second, third);
  }

  /**
   * Register an emergency hook: synchronous, run once right before the process exits on every
   * way out of the shutdown (a clean end, the deadline, a second signal, force(), an uncaught
   * exception or unhandled rejection during the run), in registration order. A hook that throws
   * does not stop the next; together they get 100 ms (EMERGENCY_BUDGET), checked between hooks
   * (the rest are skipped). For last-resort work: write a state or pid file, flush a synchronous
   * log, remove a lock. Returns a function that removes the hook again.
   *
   * @example
   * ```ts
   * import { rmSync } from "node:fs";
   * import { Shutdown } from "mpms";
   * const shutdown = new Shutdown();
   * const lockFile = "/tmp/app.lock";
   * shutdown.emergency(() => rmSync(lockFile, { force: true }), { name: "lock" });
   * ```
   */
  emergency(fn: EmergencyFn, options?: EmergencyOptions): () => void {
    return this.#emergency.add(fn, options);
  }

  /**
   * Install the signal handlers (SIGTERM and SIGINT by default) on Deno, Bun or Node. The first
   * signal starts the run; a second one (after the debounce) forces it. Returns an uninstall
   * function; calling listen() again returns the same one.
   */
  listen(): () => void {
    if (this.#uninstall) return this.#uninstall;
    if (this.#state === "done") return () => {}; // nothing left to coordinate; keep default signal behaviour
    const remove = this.#host.listen(this.#options.signals, (signal) => this.#onSignal(signal));
    const uninstall = (): void => {
      if (this.#uninstall !== uninstall) return;
      this.#uninstall = undefined;
      remove();
    };
    this.#uninstall = uninstall;
    return uninstall;
  }

  #onSignal(signal: string): void {
    const t = now();
    if (this.#firstSignalAt === undefined) {
      this.#firstSignalAt = t;
      if (this.#run === undefined) void this.run(signal);
      else this.#info(`mpms shutdown: ${signal} received; shutdown already running`);
      return;
    }
    if (this.#state === "done") return; // the summary is out and the exit is under way
    if (t - this.#firstSignalAt < this.#options.debounce) {
      this.#info(`mpms shutdown: ${signal} ignored (within ${this.#options.debounce} ms of the first signal)`);
      return;
    }
    if (!this.#options.forceOnSecondSignal) {
      this.#info(`mpms shutdown: ${signal} ignored; shutdown already running`);
      return;
    }
    this.#warn(`mpms shutdown: ${signal} received again; forcing`);
    this.#force("signal", signal);
  }

  /**
   * Run the shutdown now (the same as receiving a signal, without counting as one). Idempotent:
   * every caller gets the one report.
   */
  run(reason = "manual"): Promise<ShutdownReport> {
    if (typeof reason !== "string" || reason === "") {
      return Promise.reject(
        new TypeError(`mpms: shutdown reason must be a non-empty string, got ${describeThrown(reason)}`),
      );
    }
    this.#run ??= this.#execute(reason);
    return this.#run;
  }

  /**
   * End the run at once: hooks still running are cut (their signals fire), later phases are
   * skipped, and the process exits with `forcedExitCode` when `exit` is on. Starts the run if
   * none is under way.
   */
  force(reason = "manual"): Promise<ShutdownReport> {
    this.#force("manual", reason);
    return this.#run as Promise<ShutdownReport>;
  }

  #force(by: "signal" | "manual" | "error", reason: string): void {
    if (this.#state === "done" || this.#forcedBy !== null) return;
    this.#forcedBy = by;
    if (this.#run === undefined) void this.run(reason);
    this.#wakeDelay?.();
    this.#current?.force();
    this.#armBackstop();
  }

  /** The global deadline passed: the hooks are cut by their own timers; make sure we exit. */
  #onDeadline(): void {
    if (this.#state === "done") return;
    if (this.#forcedBy === null) this.#forcedBy = "deadline";
    this.#wakeDelay?.();
    this.#armBackstop();
  }

  /** An uncaught exception or unhandled rejection during the run (with `exit` on) forces the end. */
  #onFatal(error: unknown, kind: FatalKind): void {
    const message = describeThrown(error);
    const stack = safeGet(error, "stack");
    const what = kind === "unhandledRejection" ? "unhandled rejection" : "uncaught exception";
    const line = `mpms shutdown: ${what} during shutdown: ${typeof stack === "string" ? stack : message}`;
    // the runtime would have printed it: do so even without a logger
    if (this.#options.logger) this.#warn(line);
    else this.#stderr(line);
    if (this.#state === "done") return; // the report is out and the exit under way
    this.#fatal ??= { kind, error, message };
    this.#force("error", kind);
  }

  #armBackstop(): void {
    if (!this.#options.exit || this.#backstop !== undefined) return;
    this.#backstop = setTimeout(
      () => this.#exitNow(`forced end not finished after ${FORCE_BACKSTOP} ms`),
      FORCE_BACKSTOP,
    );
  }

  /**
   * Exit at once (the backstop, or our own path failed): the emergency hooks run if they have not,
   * and the exit code is the report's, or `forcedExitCode` chosen from the run as it stands.
   */
  #exitNow(why: string): void {
    if (this.#exited || !this.#options.exit) return;
    if (this.#exitCode !== undefined) {
      this.#warn(`mpms shutdown: ${why} (flushing output); exiting now with exit code ${this.#exitCode}`);
      this.#exit(this.#exitCode);
      return;
    }
    this.#runEmergency();
    const code = chooseExitCode(this.#options, this.#snapshot());
    this.#warn(`mpms shutdown: ${why}; exiting now with exit code ${code}`);
    this.#exit(code);
  }

  /** The report as things stand (the run is cut): phases so far, the current one, the rest skipped. */
  #snapshot(): Omit<ShutdownReport, "exitCode"> {
    const phases = [...this.#phaseReports];
    if (this.#current !== undefined) phases.push(this.#current.report());
    for (const phase of this.#options.phases.slice(phases.length)) {
      phases.push(skippedPhase(phase.name, this.#hooks.of(phase.name)));
    }
    return {
      reason: this.#reason,
      ok: false,
      forced: true,
      forcedBy: this.#forcedBy ?? "error",
      ...(this.#fatal !== undefined ? { fatal: this.#fatal } : {}),
      ms: now() - this.#startedAt,
      phases,
      running: this.#phaseRuns.flatMap((r) => r.unsettled()),
      emergency: this.#emergency.reports ?? [],
    };
  }

  /** Run the emergency hooks (once) and log which ran. */
  #runEmergency(): void {
    if (this.#emergency.reports !== undefined) return;
    const reports = this.#emergency.run();
    if (reports.length === 0) return;
    if (reports.every((r) => r.status === "ok")) this.#info(formatEmergency(reports));
    else this.#warn(formatEmergency(reports));
  }

  async #execute(reason: string): Promise<ShutdownReport> {
    try {
      return await this.#phasesThenExit(reason);
    } catch (error) {
      // not expected (every step is guarded), but a shutdown must still end
      this.#warn(`mpms shutdown: internal error: ${describeThrown(error)}`);
      this.#exitNow("internal error");
      throw error;
    }
  }

  async #phasesThenExit(reason: string): Promise<ShutdownReport> {
    const o = this.#options;
    const start = now();
    const deadline = start + o.timeout;
    this.#reason = reason;
    this.#startedAt = start;
    this.#deadline = deadline;
    this.#state = "delaying";
    this.#armDeadline();
    if (o.exit && this.#host.onFatal !== undefined) {
      try {
        this.#removeFatal = this.#host.onFatal((error, kind) => this.#onFatal(error, kind));
      } catch {
        // a host that cannot take over uncaught errors leaves them to the runtime
      }
    }
    this.#info(
      `mpms shutdown: ${reason}; deadline ${o.timeout} ms${o.delay > 0 ? `, serving ${o.delay} ms more first` : ""}`,
    );
    if (o.delay > 0 && this.#forcedBy === null) {
      await new Promise<void>((resolve) => {
        const timer = setTimeout(resolve, o.delay);
        this.#wakeDelay = () => {
          clearTimeout(timer);
          resolve();
        };
      });
      this.#wakeDelay = undefined;
    }
    this.#state = "running";
    this.#controller.abort(new DOMException(`shutdown (${reason})`, "AbortError"));

    const phases = this.#phaseReports;
    for (const phase of o.phases) {
      const hooks = this.#hooks.start(phase.name);
      if (this.#forcedBy === null && deadline - now() <= 0) this.#forcedBy = "deadline";
      if (this.#forcedBy !== null) {
        const skipped = skippedPhase(phase.name, hooks);
        phases.push(skipped);
        if (hooks.length > 0) this.#warn(formatPhase(skipped));
        continue;
      }
      const run = runPhase(phase, hooks, reason, deadline);
      this.#current = run;
      this.#phaseRuns.push(run);
      if (this.#forcedBy !== null) run.force(); // a hook forced the run while the phase was starting
      const report = await run.done;
      this.#current = undefined;
      phases.push(report);
      if (report.status === "timeout" && this.#forcedBy === null && now() >= deadline) {
        this.#forcedBy = "deadline";
      }
      if (report.status === "ok") this.#info(formatPhase(report));
      else this.#warn(formatPhase(report));
    }

    this.#runEmergency();
    const emergency = this.#emergency.reports ?? [];
    const forced = this.#forcedBy !== null;
    const base = {
      reason,
      ok:
        !forced &&
        phases.every((p) => p.hooks.every((h) => h.status === "ok")) &&
        emergency.every((h) => h.status === "ok"),
      forced,
      forcedBy: this.#forcedBy,
      ...(this.#fatal !== undefined ? { fatal: this.#fatal } : {}),
      ms: now() - start,
      phases: [...phases],
      running: this.#phaseRuns.flatMap((r) => r.unsettled()),
      emergency,
    };
    const report: ShutdownReport = { ...base, exitCode: chooseExitCode(o, base) };
    this.#state = "done";
    clearTimeout(this.#deadlineTimer);
    if (report.ok) this.#info(formatSummary(report, o.exit));
    else this.#warn(formatSummary(report, o.exit));
    if (o.exit) {
      this.#exitCode = report.exitCode;
      await Promise.race([this.#flush(), new Promise((r) => setTimeout(r, FLUSH_LIMIT))]);
      this.#exit(report.exitCode);
    } else {
      clearTimeout(this.#backstop);
      this.#uninstall?.(); // further signals get the runtime's default behaviour again
    }
    return report;
  }

  /** Arm the global deadline (re-armed when a timer fires early: Node counts from cached loop time). */
  #armDeadline(): void {
    this.#deadlineTimer = setTimeout(
      () => {
        if (this.#deadline - now() > 0) this.#armDeadline();
        else this.#onDeadline();
      },
      Math.max(0, this.#deadline - now()),
    );
  }

  /** The host's flush, which must not fail the exit whatever it does. */
  async #flush(): Promise<void> {
    try {
      await this.#host.flush();
    } catch {
      // output may be lost; the exit goes on
    }
  }

  #exit(code: number): void {
    if (this.#exited) return;
    this.#exited = true;
    clearTimeout(this.#deadlineTimer);
    clearTimeout(this.#backstop);
    this.#host.exit(code);
    this.#removeFatal?.(); // only reached with a host whose exit() returns (tests)
  }

  #stderr(message: string): void {
    try {
      console.error(message);
    } catch {
      // nowhere left to write
    }
  }

  #info(message: string): void {
    try {
      this.#options.logger?.info(message);
    } catch {
      // a failing logger must not stop the shutdown
    }
  }

  #warn(message: string): void {
    try {
      this.#options.logger?.warn(message);
    } catch {
      // a failing logger must not stop the shutdown
    }
  }
}
