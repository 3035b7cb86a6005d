/**
 * The graceful shutdown coordinator. On the first signal (or `run()`): readiness fails at once;
 * after `delay` the shutdown signal fires and the phases run in order, each hook with a bounded
 * budget inside one global deadline counted from the signal; then a summary is logged and the
 * process exits. A second signal forces the end at once.
 */
import { type Closable, closableHook, closableName, isClosable } from "./shutdown_closable.ts";
import { type ShutdownHost, shutdownHost } from "./shutdown_host.ts";
import {
  chooseExitCode,
  duration,
  type HookOptions,
  type ResolvedShutdownOptions,
  resolveShutdownOptions,
  type ShutdownOptions,
} from "./shutdown_options.ts";
import { type Hook, type HookFn, type PhaseRun, runPhase, skippedPhase } from "./shutdown_phase.ts";
import { formatPhase, formatSummary, type PhaseReport, type ShutdownReport } from "./shutdown_report.ts";

/** idle → delaying (readiness fails, still serving) → running (phases) → done. */
export type ShutdownState = "idle" | "delaying" | "running" | "done";

const now = (): number => performance.now();

/** Longest wait for stdout/stderr before exiting. */
const FLUSH_LIMIT = 100;
/** After a forced end, exit by this time even if something in our own path stalls. */
const FORCE_BACKSTOP = 150;

/** Coordinates a graceful shutdown on signals, in phases, inside one deadline. */
export class Shutdown {
  readonly #options: ResolvedShutdownOptions;
  readonly #host: ShutdownHost;
  readonly #hooks: Hook[] = [];
  readonly #controller = new AbortController();
  readonly #phasesStarted = new Set<string>();
  readonly #phaseRuns: PhaseRun[] = [];
  #state: ShutdownState = "idle";
  #run: Promise<ShutdownReport> | undefined;
  #deadline = Number.POSITIVE_INFINITY;
  #firstSignalAt: number | undefined;
  #forcedBy: ShutdownReport["forcedBy"] = null;
  #current: PhaseRun | undefined;
  #wakeDelay: (() => void) | undefined;
  #uninstall: (() => void) | undefined;
  #exited = false;

  /**
   * @param options see {@link ShutdownOptions}; MPMS_SHUTDOWN_* environment variables override them.
   * @param host the runtime seam (signals, exit, env); defaults to the one for Deno, Bun or Node.
   */
  constructor(options: ShutdownOptions = {}, host?: ShutdownHost) {
    this.#host = host ?? shutdownHost();
    this.#options = resolveShutdownOptions(options, (name) => this.#host.env(name));
  }

  /** True until shutdown starts (first signal or run()); serve it on a readiness probe. */
  get ready(): boolean {
    return this.#state === "idle";
  }

  /** Fires when the phases begin (after `delay`): in-flight work should wrap up now. */
  get signal(): AbortSignal {
    return this.#controller.signal;
  }

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
   */
  add(name: string, fn: HookFn, options?: HookOptions): () => void;
  add(target: Closable, options?: HookOptions): () => void;
  add(first: string | Closable, second?: HookFn | HookOptions, third?: HookOptions): () => void {
    let fn: HookFn;
    let options: HookOptions | undefined;
    let defaultName: string;
    if (typeof first === "string") {
      if (first === "") throw new TypeError('mpms: shutdown hook name must be a non-empty string, got ""');
      if (typeof second !== "function") {
        throw new TypeError(`mpms: shutdown.add("${first}", fn) needs a function, got ${typeof second}`);
      }
      fn = second;
      options = third;
      defaultName = first;
    } else if (isClosable(first)) {
      fn = closableHook(first);
      options = second as HookOptions | undefined;
      defaultName = closableName(first);
    } else {
      throw new TypeError(
        `mpms: shutdown.add() needs (name, fn) or an object with close() or destroy(), got ${String(first)}`,
      );
    }
    const hook = this.#hookFrom(fn, options, defaultName);
    this.#hooks.push(hook);
    return () => {
      const i = this.#hooks.indexOf(hook);
      if (i >= 0) this.#hooks.splice(i, 1);
    };
  }

  #hookFrom(fn: HookFn, options: HookOptions | undefined, defaultName: string): Hook {
    if (options !== undefined && (options === null || typeof options !== "object")) {
      throw new TypeError(`mpms: shutdown hook options must be an object, got ${String(options)}`);
    }
    const phase = options?.phase ?? "workers";
    const names = this.#options.phases.map((p) => p.name);
    if (typeof phase !== "string" || !names.includes(phase)) {
      const list = names.map((n) => `"${n}"`).join(", ");
      throw new RangeError(`mpms: option "phase" must be one of ${list}, got ${JSON.stringify(phase)}`);
    }
    const explicitName = options?.name;
    if (explicitName !== undefined && (typeof explicitName !== "string" || explicitName === "")) {
      throw new TypeError(`mpms: option "name" must be a non-empty string, got ${JSON.stringify(explicitName)}`);
    }
    const timeout = duration("timeout", options?.timeout, Number.POSITIVE_INFINITY, {
      positive: true,
      infinite: true,
    });
    const base = explicitName ?? defaultName;
    if (this.#phasesStarted.has(phase)) {
      throw new Error(`mpms: shutdown phase "${phase}" has already started; hook "${base}" was added too late`);
    }
    let name = base;
    for (let n = 2; this.#hooks.some((h) => h.phase === phase && h.name === name); n++) name = `${base} ${n}`;
    return { name, phase, timeout, fn };
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
      return Promise.reject(new TypeError(`mpms: shutdown reason must be a non-empty string, got ${String(reason)}`));
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

  #force(by: "signal" | "manual", reason: string): void {
    if (this.#state === "done" || this.#forcedBy !== null) return;
    this.#forcedBy = by === "signal" ? "signal" : "manual";
    if (this.#run === undefined) void this.run(reason);
    this.#wakeDelay?.();
    this.#current?.force();
    if (this.#options.exit) {
      const code = typeof this.#options.forcedExitCode === "number" ? this.#options.forcedExitCode : 1;
      setTimeout(() => this.#exit(code), FORCE_BACKSTOP);
    }
  }

  async #execute(reason: string): Promise<ShutdownReport> {
    const o = this.#options;
    const start = now();
    const deadline = start + o.timeout;
    this.#deadline = deadline;
    this.#state = "delaying";
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

    const phases: PhaseReport[] = [];
    for (const phase of o.phases) {
      const hooks = this.#hooks.filter((h) => h.phase === phase.name);
      this.#phasesStarted.add(phase.name);
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
      const report = await run.done;
      this.#current = undefined;
      phases.push(report);
      if (report.status === "timeout" && this.#forcedBy === null && now() >= deadline) {
        this.#forcedBy = "deadline";
      }
      if (report.status === "ok") this.#info(formatPhase(report));
      else this.#warn(formatPhase(report));
    }

    const forced = this.#forcedBy !== null;
    const base = {
      reason,
      ok: !forced && phases.every((p) => p.hooks.every((h) => h.status === "ok")),
      forced,
      forcedBy: this.#forcedBy,
      ms: now() - start,
      phases,
      running: this.#phaseRuns.flatMap((r) => r.unsettled()),
    };
    const report: ShutdownReport = { ...base, exitCode: chooseExitCode(o, base) };
    this.#state = "done";
    if (report.ok) this.#info(formatSummary(report, o.exit));
    else this.#warn(formatSummary(report, o.exit));
    if (o.exit) {
      await Promise.race([this.#host.flush().catch(() => {}), new Promise((r) => setTimeout(r, FLUSH_LIMIT))]);
      this.#exit(report.exitCode);
    } else {
      this.#uninstall?.(); // further signals get the runtime's default behaviour again
    }
    return report;
  }

  #exit(code: number): void {
    if (this.#exited) return;
    this.#exited = true;
    this.#host.exit(code);
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
