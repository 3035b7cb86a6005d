/**
 * `mpms run`: the pool, the read loop, the writer, progress and the summary, tied to the
 * Shutdown coordinator so that Ctrl+C behaves as it does for the library: the first signal stops
 * reading input ("drain" phase), the pool finishes what it has ("workers"), every finished
 * outcome is written and the summary printed ("final"), exit 130; a second signal forces.
 */
import { Shutdown } from "../shutdown/shutdown.ts";
import { type RunOptions, UsageError } from "./args.ts";
import { Feeder } from "./feed.ts";
import { checkNotInput, errorCode, readTokenFile } from "./files.ts";
import type { AdminHandle, CliHost, InputSource, OutputSink } from "./host.ts";
import { countLines } from "./lines.ts";
import { LiveProgress } from "./live.ts";
import { crashLoopLimit, createPool, flagMessage, watchCrashLoop } from "./pool_options.ts";
import { PLAIN_INTERVAL, Progress, type ProgressMode } from "./progress.ts";
import { type LineSet, readAnswered } from "./resume.ts";
import { formatSummary } from "./summary.ts";
import { Tally } from "./tally.ts";
import { Window } from "./window.ts";
import { OutcomeWriter } from "./writer.ts";

export { flagMessage } from "./pool_options.ts";

/**
 * Exit codes of `mpms run`. `pipe`: stdout's reader went away (EPIPE, `| head`): 128 + SIGPIPE,
 * what a shell reports for a writer ended by SIGPIPE.
 */
export const EXIT = { ok: 0, failed: 1, usage: 2, interrupted: 130, pipe: 141 } as const;

/** After the output failed, running tasks get this long to finish before the pool is destroyed. */
const OUTPUT_LOST_GRACE_MS = 2_000;

/** The window is this many times what the workers can run at once (at least MIN_WINDOW). */
const WINDOW_FACTOR = 4;
const MIN_WINDOW = 16;

function message(error: unknown): string {
  return error instanceof Error ? error.message : String(error);
}

/** The pool's name on the admin endpoint: the module's file name without extension. */
export function poolName(module: string): string {
  const file =
    module
      .split(/[\\/]/)
      .pop()
      ?.replace(/\.[^.]*$/, "") ?? "";
  const name = file.replace(/[^A-Za-z0-9_.-]/g, "_").slice(0, 64);
  return name === "" ? "tasks" : name;
}

function progressMode(options: RunOptions, host: CliHost): ProgressMode {
  if (options.quiet) return "off";
  // outcomes printed on the same terminal would land inside the bar's line: print whole lines then
  const sharedScreen = options.output === null && host.stdout.isTTY;
  return host.stderr.isTTY && !sharedScreen ? "bar" : "plain";
}

function plainInterval(host: CliHost): number {
  const raw = host.env("MPMS_PROGRESS_INTERVAL");
  const n = raw === undefined ? Number.NaN : Number(raw);
  return Number.isFinite(n) && n >= 10 ? n : PLAIN_INTERVAL;
}

/**
 * Run the command. Resolves with the exit code, or null when an interruption took over (the
 * Shutdown coordinator then ends the process with 130). Throws {@link UsageError} for exit 2.
 */
export async function runCommand(options: RunOptions, host: CliHost): Promise<number | null> {
  const startedAt = performance.now();
  const module = host.resolveModule(options.module);
  if (!host.moduleExists(module)) {
    throw new UsageError(`cannot find the task module ${JSON.stringify(options.module)} (${module.href})`);
  }
  if (options.input !== null && !host.isFile(options.input)) {
    throw new UsageError(`cannot read --input ${JSON.stringify(options.input)}: not a file`);
  }
  checkNotInput(options, host);
  const token = options.tokenFile === undefined ? options.token : readTokenFile(options.tokenFile, host);
  let shutdown: Shutdown;
  let progress: Progress | undefined;
  try {
    shutdown = new Shutdown({
      exitCode: EXIT.interrupted,
      forcedExitCode: EXIT.interrupted,
      // The coordinator's phase lines are noise here; its warnings (forcing, timeouts) are not.
      logger: {
        info: () => {},
        warn: (line: string) => (progress ? progress.log(line) : host.stderr.write(`${line}\n`)),
      },
    });
  } catch (error) {
    throw new UsageError(flagMessage(message(error)));
  }
  const tally = new Tally();
  // Run time of every attempt that reached a worker, for the percentiles in the summary.
  const pool = createPool(options, module, (outcome) => {
    if (outcome.workerId !== null) tally.timings.record(outcome.runMs);
  });
  let answered: LineSet | undefined;
  let admin: AdminHandle | undefined;
  let source: InputSource | null = null;
  let sink: OutputSink;
  let fatal: unknown;
  let feeder: Feeder | undefined;
  const log = (line: string): void => (progress ? progress.log(line) : host.stderr.write(`${line}\n`));
  /** The output failed (ENOSPC, EIO, EPIPE...): stop reading, close the pool (bounded), report. */
  let outputError: unknown;
  const outputFailed = (error: unknown): void => {
    if (outputError !== undefined) return;
    outputError = error;
    fatal ??= error;
    feeder?.stop();
    void pool.close({ timeout: OUTPUT_LOST_GRACE_MS }).catch(() => {});
    const code = errorCode(error);
    if (options.output === null && code === "EPIPE") log("mpms: stdout was closed by its reader (EPIPE); stopping");
    else log(`mpms: cannot write ${options.output ?? "stdout"}: ${code}`);
  };
  try {
    if (options.resume && options.output !== null && host.isFile(options.output)) {
      const earlier = host.openInput(options.output);
      if (earlier) answered = await readAnswered(earlier.chunks);
    }
    source = host.openInput(options.input);
    if (source === null) throw new UsageError(`cannot read --input ${JSON.stringify(options.input)}: no such file`);
    try {
      await pool.start();
    } catch (error) {
      throw new UsageError(`the task module ${JSON.stringify(options.module)} cannot start: ${message(error)}`);
    }
    if (options.admin !== null) {
      try {
        const name = poolName(options.module);
        admin = await host.startAdmin({ name, pool, shutdown, ...options.admin, token });
      } catch (error) {
        const where = `${options.admin.hostname}:${options.admin.port}`;
        throw new UsageError(`cannot serve the admin endpoint on ${where}: ${flagMessage(message(error))}`);
      }
    }
    // Only now, with the pool running and the endpoint bound, is the output created or emptied:
    // a run that cannot start leaves an earlier output as it was.
    try {
      sink = host.openOutput(options.output, options.resume, outputFailed);
    } catch (error) {
      throw new UsageError(`cannot write --output ${JSON.stringify(options.output)}: ${message(error)}`);
    }
  } catch (error) {
    source?.close();
    await Promise.all([pool.destroy(), admin?.close().catch(() => {})]);
    throw error;
  }

  const stats = pool.stats();
  const window = new Window(Math.max(MIN_WINDOW, stats.size * (options.concurrency ?? 1) * WINDOW_FACTOR));
  const writer = new OutcomeWriter(sink, options.ordered, () => window.release(), outputFailed);
  let poolFailed = false;
  // the view shows running tasks' latest progress; with --quiet there is no view to feed
  const live = options.quiet ? undefined : new LiveProgress();
  feeder = new Feeder({
    live,
    pool,
    source,
    window,
    writer,
    tally,
    answered,
    name: options.name,
    retries: options.retries,
    maxLineBytes: options.maxLineBytes,
    onPoolFailed: (error) => {
      if (fatal !== undefined) return;
      fatal = error;
      poolFailed = true;
      progress?.log(`mpms: the pool cannot run tasks any more: ${message(error)}`);
    },
  });
  if (options.restartIntensity === undefined) {
    watchCrashLoop(pool, crashLoopLimit(stats.size), (failures) => {
      if (fatal !== undefined) return;
      fatal = new Error(`workers failed ${failures} times in a row`);
      poolFailed = true;
      log(`mpms: workers failed ${failures} times in a row with no task completing; giving up`);
      feeder?.stop();
      // the tasks in flight cannot finish either: they are left out of the output (--resume runs them)
      void pool.destroy();
    });
  }

  let total: number | undefined;
  if (options.input !== null) {
    const counting = host.openInput(options.input);
    if (counting)
      void countLines(counting.chunks).then(
        (n) => (total = n),
        () => {},
      );
  }
  progress = new Progress(
    host.stderr,
    progressMode(options, host),
    () => ({
      done: tally.answered + tally.skipped,
      total,
      thisRun: tally.answered,
      failed: tally.failed + tally.invalid,
      workers: pool.stats().workers.filter((w) => w.state !== "exited" && w.state !== "zombie").length,
      live: live ? (max) => live.text(max) : undefined,
    }),
    plainInterval(host),
  );
  if (!options.quiet) {
    const adapter = pool.stats().adapter;
    log(
      `mpms: ${options.module} on ${stats.size} ${adapter} workers` +
        `${answered ? `; resuming, ${answered.size} lines already answered in ${options.output}` : ""}`,
    );
  }
  if (admin) log(`mpms: admin endpoint ${admin.url} (dashboard; /metrics, /stats, /healthz)`);

  let interrupted: string | null = null;
  let finishing: Promise<void> | undefined;
  let summarized = false;
  const summarize = (): void => {
    if (summarized) return;
    summarized = true;
    progress?.stop();
    if (!options.quiet) {
      tally.unfinished = feeder.issued - tally.answered;
      const lines = formatSummary({
        tally,
        wallMs: performance.now() - startedAt,
        stats: pool.stats(),
        interrupted: interrupted ?? (poolFailed ? "the pool failed" : outputError ? outputLost(outputError) : null),
        output: options.output,
      });
      host.stderr.write(`${lines.join("\n")}\n`);
    }
  };
  /** Write what is finished, then the summary. */
  const finish = (): Promise<void> => {
    finishing ??= writer.flush().then(summarize, (error) => {
      outputFailed(error); // the sync (fsync) failed
      summarize();
    });
    return finishing;
  };
  /** A forced end: everything finished goes out now, synchronously, then the summary. */
  const finishNow = (): void => {
    writer.flushNow();
    summarize();
  };

  shutdown.add(
    "input",
    (_signal, context) => {
      interrupted = context.reason;
      feeder.stop();
      log(
        `mpms: ${context.reason}: stopped reading input; finishing ${window.used} tasks in flight ` +
          "(Ctrl+C again to stop at once)",
      );
    },
    { phase: "drain" },
  );
  shutdown.add(pool);
  shutdown.add(
    "outcomes",
    async (signal) => {
      signal.addEventListener("abort", finishNow, { once: true });
      await window.idle();
      signal.removeEventListener("abort", finishNow);
    },
    { phase: "workers" },
  );
  shutdown.add(
    "output",
    async (signal) => {
      signal.addEventListener("abort", finishNow, { once: true });
      await finish();
    },
    { phase: "final" },
  );
  shutdown.listen();
  progress.start();

  await feeder.run();
  if (feeder.readError !== undefined && outputError === undefined) {
    fatal ??= feeder.readError;
    log(`mpms: cannot read the input: ${message(feeder.readError)}`);
  }
  await window.idle();
  if (shutdown.state !== "idle") return null;
  progress.stop(); // the last bar shows the run, not the workers closing
  await pool.close();
  if (shutdown.state !== "idle") return null;
  await finish();
  if (shutdown.state !== "idle") return null;
  if (outputError !== undefined) {
    return options.output === null && errorCode(outputError) === "EPIPE" ? EXIT.pipe : EXIT.failed;
  }
  if (fatal !== undefined || tally.failed + tally.invalid > 0) return EXIT.failed;
  return EXIT.ok;
}

/** The summary's reason for an early end after the output failed. */
function outputLost(error: unknown): string {
  const code = errorCode(error);
  return code === "EPIPE" ? "stdout was closed" : `cannot write the output: ${code}`;
}
