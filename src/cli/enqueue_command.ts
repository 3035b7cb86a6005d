/**
 * `mpms enqueue --queue NAME --redis URL`: every JSON line of the input becomes a job (its data);
 * with --output (or --wait) the command waits for the jobs and writes one outcome line per job,
 * `{"line":N,"job":ID,"status":"ok","value":…}` or `{"line":N,"job":ID,"status":"error","error":{…}}`,
 * in completion order. Exit 0 when every job completed, 1 when any failed or was not JSON.
 */
import type { Job, JobsOptions } from "bullmq";
import { UsageError } from "./args.ts";
import type { CliHost, OutputSink } from "./host.ts";
import { readLines } from "./lines.ts";
import { badInputLine } from "./outcome_line.ts";
import { ENQUEUE_HELP, parseEnqueueArgs, wantsHelp } from "./queue_args.ts";

const BATCH = 500;
/** Between sweeps of the jobs not yet reported (an event can be missed on a reconnect). */
const SWEEP_MS = 500;

function message(error: unknown): string {
  return error instanceof Error ? error.message : String(error);
}

/** The error's name from BullMQ's stored stack ("TypeError: …"), else "Error". */
function errorName(job: Job): string {
  const first = job.stacktrace?.[job.stacktrace.length - 1]?.split("\n", 1)[0] ?? "";
  const m = /^([A-Za-z_$][\w$]*):/.exec(first);
  return m?.[1] ?? "Error";
}

function outcomeLine(line: number, job: Job, state: "completed" | "failed"): string {
  const base: Record<string, unknown> = { line, job: job.id };
  if (state === "completed") {
    base.status = "ok";
    base.value = job.returnvalue ?? null;
  } else {
    base.status = "error";
    base.error = { name: errorName(job), message: job.failedReason, code: null };
  }
  if (job.attemptsMade > 1) base.attempts = job.attemptsMade;
  return JSON.stringify(base);
}

/** Run `mpms enqueue`; resolves with the exit code. */
export async function enqueueCommand(argv: readonly string[], host: CliHost): Promise<number> {
  if (wantsHelp(argv)) {
    host.stdout.write(ENQUEUE_HELP);
    return 0;
  }
  const options = parseEnqueueArgs(argv, (name) => host.env(name));
  const { connectionFromUrl } = await import("../bullmq/options.ts");
  let connection: ReturnType<typeof connectionFromUrl>;
  try {
    connection = connectionFromUrl(options.redis);
  } catch (error) {
    throw new UsageError(message(error).replace(/^mpms: option "connection"/, "--redis"));
  }
  if (options.input !== null && !host.isFile(options.input)) {
    throw new UsageError(`cannot read --input ${JSON.stringify(options.input)}: not a file`);
  }
  const source = host.openInput(options.input);
  if (source === null) throw new UsageError(`cannot read --input ${JSON.stringify(options.input)}: no such file`);
  let sink: OutputSink | undefined;
  /** The output failed (ENOSPC, EPIPE...): stop waiting for outcomes, exit 1. */
  let outputError: unknown;
  let wake: (() => void) | undefined;
  if (options.wait) {
    try {
      sink = host.openOutput(options.output, false, (error) => {
        outputError ??= error;
        wake?.();
      });
    } catch (error) {
      source.close();
      throw new UsageError(`cannot write --output ${JSON.stringify(options.output)}: ${message(error)}`);
    }
  }
  const { Queue, QueueEvents } = await import("bullmq");
  const queue = new Queue(options.queue, { connection });
  const events = options.wait ? new QueueEvents(options.queue, { connection }) : undefined;
  queue.on("error", () => {});
  events?.on("error", () => {});
  const pending = new Map<string, number>(); // job id → input line
  let added = 0;
  let bad = 0;
  let failed = 0;
  const report = async (id: string): Promise<void> => {
    const line = pending.get(id);
    if (line === undefined || !sink) return;
    const state = await queue.getJobState(id);
    if (state !== "completed" && state !== "failed") return;
    const job = await queue.getJob(id);
    if (!job || !pending.has(id)) return;
    pending.delete(id);
    if (state === "failed") failed++;
    await sink.write(`${outcomeLine(line, job, state)}\n`);
    if (pending.size === 0) wake?.();
  };
  events?.on("completed", ({ jobId }) => void report(jobId).catch(() => {}));
  events?.on("failed", ({ jobId }) => void report(jobId).catch(() => {}));
  try {
    await Promise.all([queue.waitUntilReady(), events?.waitUntilReady()]);
    const jobOptions: JobsOptions = {};
    if (options.attempts !== undefined) jobOptions.attempts = options.attempts;
    if (options.backoff !== undefined) jobOptions.backoff = { type: "fixed", delay: options.backoff };
    let batch: { line: number; data: unknown }[] = [];
    const flush = async (): Promise<void> => {
      if (batch.length === 0) return;
      const jobs = await queue.addBulk(
        batch.map(({ line, data }) => ({
          name: options.name,
          data,
          opts: options.idPrefix === undefined ? jobOptions : { ...jobOptions, jobId: `${options.idPrefix}-${line}` },
        })),
      );
      jobs.forEach((job, i) => {
        if (job.id !== undefined) pending.set(job.id, (batch[i] as { line: number }).line);
      });
      added += jobs.length;
      batch = [];
    };
    for await (const { line, text } of readLines(source.chunks)) {
      let data: unknown;
      try {
        data = JSON.parse(text);
      } catch (error) {
        bad++;
        await sink?.write(`${badInputLine(line, error)}\n`);
        continue;
      }
      batch.push({ line, data });
      if (batch.length >= BATCH) await flush();
    }
    await flush();
    if (!options.quiet) host.stderr.write(`mpms enqueue: added ${added} jobs to ${options.queue}\n`);
    if (sink) {
      const deadline = options.waitTimeout === undefined ? Number.POSITIVE_INFINITY : Date.now() + options.waitTimeout;
      while (pending.size > 0 && outputError === undefined && Date.now() < deadline) {
        await new Promise<void>((resolve) => {
          wake = resolve;
          setTimeout(resolve, Math.min(SWEEP_MS, Math.max(0, deadline - Date.now())));
        });
        wake = undefined;
        for (const id of [...pending.keys()]) await report(id);
      }
      await sink.flush().catch((error: unknown) => {
        outputError ??= error;
      });
      if (outputError !== undefined) {
        host.stderr.write(`mpms enqueue: cannot write ${options.output ?? "stdout"}: ${message(outputError)}\n`);
        return 1;
      }
      if (pending.size > 0) {
        host.stderr.write(`mpms enqueue: ${pending.size} jobs not finished within --wait-timeout\n`);
        return 1;
      }
      if (!options.quiet) host.stderr.write(`mpms enqueue: ${added - failed} completed, ${failed} failed\n`);
    }
    return failed + bad > 0 ? 1 : 0;
  } finally {
    source.close();
    await Promise.allSettled([queue.close(), events?.close()]);
  }
}
