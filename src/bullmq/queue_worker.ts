/**
 * A BullMQ Worker whose processor runs each job as a task on an mpms Pool. The host process only
 * talks to Redis (locks, stalled checks) and supervises; the job's code runs in pool workers, so
 * a CPU-bound job never starves lock renewal, and a job's time limit really stops it.
 */
/** @internal BullMQ's Worker and Job, from the bullmq package. */
import { type Job, WaitingError, Worker } from "bullmq";
import type { Family } from "../admin/prometheus.ts";
import { QUEUE_JOBS_SHOWN, type QueueView } from "../admin/queues.ts";
import { PoolClosedError, PoolUnavailableError, TaskError, TaskTimeoutError, WorkerCrashedError } from "../errors.ts";
import { Pool } from "../pool/pool.ts";
import { Shutdown } from "../shutdown/shutdown.ts";
import { type JobFailure, QueueMetrics, type QueueWorkerStats } from "./metrics.ts";
import { type QueueWorkerOptions, type ResolvedQueueWorkerOptions, resolveQueueWorkerOptions } from "./options.ts";
import { asError, checkJobValue, JobCancelledError, unrecoverable } from "./outcome.ts";
import { forwardProgress, type ProgressForwarder } from "./progress.ts";
import { QueueCounts } from "./queue_counts.ts";

/** Options of {@link QueueWorker.close}. */
export interface QueueWorkerCloseOptions {
  /** Running jobs get this long (ms) to finish; then they are handed back. Default: no limit. */
  timeout?: number;
  /** Aborting it hands the running jobs back at once. */
  signal?: AbortSignal;
}

/** One job on this node: how to cut it short. */
interface ActiveJob {
  job: Job;
  token: string | undefined;
  controller: AbortController;
  /** Resolves once the job was handed back (the processor then ends with WaitingError). */
  cut: Promise<void>;
  /**
   * Give the job back (moveToWait) and abort its task; the processor then ends with WaitingError.
   * A no-op once the task's outcome is in: the processor commits that instead.
   */
  handBack(): Promise<void>;
  /** handBack() was called in time: the job goes back whatever its task does now. */
  handingBack: boolean;
  /** The task's outcome is in and will be committed (a hand-back comes too late). */
  committing: boolean;
  lockLost: boolean;
  /** Date.now() when it started on this node. */
  startedAt: number;
}

/** Longest wait for the processors to return after the hand-back, and for worker.close(). */
const CLOSE_LIMIT = 5_000;
/** Longest wait for a job's last progress update before its outcome is returned to BullMQ. */
const PROGRESS_FLUSH_LIMIT = 2_000;

function bounded<T>(promise: Promise<T>, ms: number): Promise<T | undefined> {
  let timer: ReturnType<typeof setTimeout> | undefined;
  return Promise.race([
    promise,
    new Promise<undefined>((resolve) => {
      timer = setTimeout(() => resolve(undefined), ms);
    }),
  ]).finally(() => clearTimeout(timer));
}

function failureKind(error: Error): JobFailure {
  if (error instanceof TaskTimeoutError) return "timeout";
  if (error instanceof WorkerCrashedError) return "crash";
  if (error instanceof JobCancelledError) return "cancelled";
  return error instanceof TaskError ? "error" : "other";
}

function reasonText(reason: unknown): string {
  if (reason instanceof Error) return reason.message;
  return reason === undefined ? "cancelled" : String(reason);
}

/**
 * The node: a BullMQ Worker feeding an mpms Pool. Make it with {@link createQueueWorker}; it runs
 * once `start()` resolved.
 */
export class QueueWorker<In = unknown, Out = unknown> {
  /** The BullMQ Worker (events: completed, failed, …). Do not close it directly; use close(). */
  readonly worker: Worker;
  /** The pool that runs the jobs. */
  readonly pool: Pool<In, Out>;
  readonly #options: ResolvedQueueWorkerOptions<In, Out>;
  readonly #metrics: QueueMetrics;
  readonly #active = new Map<string, ActiveJob>();
  /** The queue's job counts for queueView(): a Queue connection opened on the first ask. */
  readonly #counts: QueueCounts;
  #stopping = false;
  #running: Promise<void> | undefined;
  #closing: Promise<void> | undefined;
  #started: Promise<void> | undefined;
  /** Processors still running (each ends its own entry). */
  readonly #processors = new Set<Promise<unknown>>();

  /** Validates `options` (nothing connects to Redis until `start()`). */
  constructor(options: QueueWorkerOptions<In, Out>) {
    const o = resolveQueueWorkerOptions(
      options,
      (p) => p instanceof Pool,
      (s) => s instanceof Shutdown,
    );
    this.#options = o;
    this.pool = o.pool ?? new Pool<In, Out>(o.poolOptions as NonNullable<typeof o.poolOptions>);
    const concurrency =
      o.concurrency ?? (o.pool ? this.pool.stats().size : this.pool.stats().size * (o.poolOptions?.concurrency ?? 1));
    this.#metrics = new QueueMetrics(o.queue);
    this.#counts = new QueueCounts(o.queue, o.connection, o.workerOptions.prefix);
    this.worker = new Worker(o.queue, (job, token, signal) => this.#process(job, token, signal), {
      ...o.workerOptions,
      connection: o.connection,
      concurrency,
      autorun: false,
    });
    // an EventEmitter 'error' with no listener throws: report it instead
    this.worker.on("error", (error) => o.onError(asError(error)));
    this.worker.on("lockRenewalFailed", (ids) => {
      for (const id of ids) {
        this.#metrics.lockRenewalFailures++;
        const entry = this.#active.get(id);
        if (!entry) continue;
        entry.lockLost = true;
        entry.controller.abort(new JobCancelledError("the job's lock could not be renewed"));
      }
    });
    this.worker.on("stalled", () => {
      this.#metrics.stalled++;
    });
    // A failed pool starts no task any more, and one already sent to a busy worker would wait
    // there behind the running one, its job held `active`: give every job back at once.
    this.pool.addEventListener("failed", this.#onPoolFailed);
    if (o.shutdown) this.#attach(o.shutdown);
  }

  readonly #onPoolFailed = (event: { detail: { error: Error } }): void => {
    this.pool.removeEventListener("failed", this.#onPoolFailed);
    this.#options.onError(
      new Error(
        `the pool failed, this node stops taking jobs and hands back the ${this.#active.size} it holds: ${event.detail.error.message}`,
      ),
    );
    void this.stopFetching().catch((error) => this.#options.onError(asError(error)));
    void this.handBackAll();
  };

  /** Start the pool, connect, and begin taking jobs. Idempotent. */
  start(): Promise<void> {
    this.#started ??= (async () => {
      await this.pool.start();
      await this.worker.waitUntilReady();
      if (this.#stopping) return;
      this.#running = this.worker.run().catch((error) => this.#options.onError(asError(error)));
    })();
    return this.#started;
  }

  /** Jobs run at once on this node (BullMQ concurrency); can be changed at run time. */
  get concurrency(): number {
    return this.worker.concurrency;
  }

  set concurrency(n: number) {
    if (!Number.isInteger(n) || n < 1 || n > 100_000) {
      throw new RangeError(`mpms: option "concurrency" must be an integer >= 1 and <= 100000, got ${String(n)}`);
    }
    this.worker.concurrency = n;
  }

  /** Jobs running on this node now. */
  /** Jobs this node is running now. */
  get active(): number {
    return this.#active.size;
  }

  /** This node's numbers (also in /metrics when served by the admin). */
  stats(): QueueWorkerStats {
    const m = this.#metrics;
    return {
      queue: this.#options.queue,
      active: this.#active.size,
      concurrency: this.worker.concurrency,
      completed: m.completed,
      failed: m.failed,
      failures: { ...m.failures },
      handedBack: m.handedBack,
      handBackFailures: m.handBackFailures,
      lockRenewalFailures: m.lockRenewalFailures,
      stalled: m.stalled,
    };
  }

  /** The Prometheus families of this queue worker (for the admin endpoint's `metrics` option). */
  metricFamilies(): Family[] {
    return this.#metrics.families(this.#active.size, this.worker.concurrency);
  }

  /**
   * The queue for the admin's dashboard and /stats (`createAdmin({ queues: [queueWorker] })`):
   * the queue's job counts as BullMQ reports them (fetched in the background, at most every 2 s,
   * 1 s time limit; the last answer is shown, with `countsError` when the latest fetch failed),
   * this node's numbers and the jobs it runs (the first 50). Answers at once.
   */
  queueView(): QueueView {
    const counts = this.#counts.latest();
    const s = this.stats();
    const now = Date.now();
    const jobs: QueueView["jobs"] = [];
    for (const [id, entry] of this.#active) {
      if (jobs.length === QUEUE_JOBS_SHOWN) break;
      jobs.push({
        id,
        name: entry.job.name,
        attempt: entry.job.attemptsMade + 1,
        runningMs: Math.max(0, now - entry.startedAt),
      });
    }
    return {
      queue: s.queue,
      kind: "bullmq",
      counts: counts.counts,
      countsAt: counts.at,
      countsError: counts.error,
      node: {
        active: s.active,
        concurrency: s.concurrency,
        completed: s.completed,
        failed: s.failed,
        handedBack: s.handedBack,
        handBackFailures: s.handBackFailures,
        lockRenewalFailures: s.lockRenewalFailures,
        stalled: s.stalled,
      },
      jobs,
    };
  }

  /** Stop taking new jobs now; running jobs go on. A job fetched meanwhile is handed back. */
  async stopFetching(): Promise<void> {
    if (this.#stopping) return;
    this.#stopping = true;
    if (this.#running) await this.worker.pause(true);
  }

  /** Give every running job back to the queue now, without using an attempt or a stall. */
  async handBackAll(): Promise<void> {
    this.#stopping = true;
    await Promise.all([...this.#active.values()].map((entry) => entry.handBack()));
  }

  /**
   * Stop fetching, let running jobs finish (within `timeout`), hand back those still running,
   * close the BullMQ worker and then the pool (when it is ours). Idempotent.
   */
  close(options: QueueWorkerCloseOptions = {}): Promise<void> {
    this.#closing ??= this.#close(options);
    return this.#closing;
  }

  async #close({ timeout, signal }: QueueWorkerCloseOptions): Promise<void> {
    await this.stopFetching();
    if (this.#active.size > 0) {
      await new Promise<void>((resolve) => {
        let timer: ReturnType<typeof setTimeout> | undefined;
        const done = (): void => {
          clearTimeout(timer);
          signal?.removeEventListener("abort", done);
          this.#onIdle = undefined;
          resolve();
        };
        if (timeout !== undefined && Number.isFinite(timeout)) timer = setTimeout(done, Math.max(0, timeout));
        if (signal?.aborted) return done();
        signal?.addEventListener("abort", done, { once: true });
        this.#onIdle = done;
      });
    }
    await this.handBackAll();
    await bounded(Promise.allSettled([...this.#processors]), CLOSE_LIMIT);
    const closed = await bounded(
      this.worker.close().then(() => true),
      CLOSE_LIMIT,
    );
    if (closed === undefined) await bounded(this.worker.close(true), CLOSE_LIMIT).catch(() => {});
    await bounded(this.#running ?? Promise.resolve(), CLOSE_LIMIT);
    await this.#counts.close();
    if (this.#options.closePool) {
      // everything still on the pool was handed back: nothing there has an owner any more
      await this.pool.close({ timeout: 0 }).catch(() => this.pool.destroy());
    }
  }

  #onIdle: (() => void) | undefined;

  #attach(shutdown: Shutdown): void {
    const name = `queue ${this.#options.queue}`;
    shutdown.add(`${name} fetch`, () => this.stopFetching(), { phase: "drain" });
    shutdown.add(
      name,
      (signal, context) => {
        const left = context.timeLeft();
        const reserve = this.#options.handBackReserve ?? Math.min(1_000, left / 5);
        return this.close({ timeout: Math.max(0, left - reserve), signal });
      },
      { phase: "workers" },
    );
  }

  async #process(job: Job, token: string | undefined, signal: AbortSignal | undefined): Promise<unknown> {
    const id = job.id ?? "";
    const startedAt = Date.now();
    const controller = new AbortController();
    let handedBack: Promise<void> | undefined;
    let cutResolve: () => void = () => {};
    const cut = new Promise<void>((resolve) => {
      cutResolve = resolve;
    });
    const entry: ActiveJob = {
      job,
      token,
      controller,
      cut,
      handingBack: false,
      committing: false,
      lockLost: false,
      startedAt,
      handBack: () => {
        if (entry.committing) return Promise.resolve();
        entry.handingBack = true;
        handedBack ??= (async () => {
          controller.abort(new JobCancelledError("handed back to the queue"));
          try {
            await job.moveToWait(token);
            this.#metrics.handedBack++;
          } catch (error) {
            // the lock was already gone: stalled detection gives the job to another node
            this.#metrics.handBackFailures++;
            this.#options.onError(asError(error));
          }
          cutResolve();
        })();
        return handedBack;
      },
    };
    this.#active.set(id, entry);
    const finished = this.#run(job, entry, signal, startedAt).finally(() => {
      this.#active.delete(id);
      this.#processors.delete(finished);
      if (this.#active.size === 0) this.#onIdle?.();
    });
    this.#processors.add(finished);
    return await finished;
  }

  async #run(job: Job, entry: ActiveJob, signal: AbortSignal | undefined, startedAt: number): Promise<unknown> {
    const o = this.#options;
    const m = this.#metrics;
    m.waitTime.recordMs(Math.max(0, startedAt - (job.timestamp + (job.delay ?? 0))));
    const onCancel = (): void => entry.controller.abort(new JobCancelledError(reasonText(signal?.reason)));
    if (signal?.aborted) onCancel();
    else signal?.addEventListener("abort", onCancel, { once: true });
    type Settled = { ok: true; value: unknown } | { ok: false; error: unknown } | { cut: true };
    let settled: Settled;
    let progress: ProgressForwarder | undefined;
    try {
      if (this.#stopping) {
        // fetched while the node stops (BullMQ may have been blocked on Redis): give it back
        await entry.handBack();
        settled = { cut: true };
      } else {
        progress = forwardProgress(job, o.onError);
        const task = this.pool.submit(o.input(job), {
          signal: entry.controller.signal,
          name: o.exportFromJobName ? job.name : undefined,
          timeout: o.timeout(job),
          onProgress: progress.report,
        });
        settled = await Promise.race<Settled>([
          task.then(
            (value) => {
              entry.committing = !entry.handingBack;
              return { ok: true, value };
            },
            (error) => {
              // a task the pool never ran to an outcome is handed back below, not committed
              entry.committing =
                !entry.handingBack && !(error instanceof PoolClosedError || error instanceof PoolUnavailableError);
              return { ok: false, error };
            },
          ),
          entry.cut.then(() => ({ cut: true })),
        ]);
        // The hand-back began before the outcome came: the job is going back to the queue (its
        // task was aborted, or finished meanwhile), so its outcome must not be committed too.
        if (entry.handingBack) {
          await entry.cut;
          settled = { cut: true };
        }
      }
    } catch (error) {
      settled = { ok: false, error };
    } finally {
      signal?.removeEventListener("abort", onCancel);
    }
    // the last progress reaches the job before its outcome does (a slow Redis does not hold it
    // long); most tasks report none, and then no timer is armed for it
    if (progress !== undefined) {
      const flushed = progress.finish();
      if (progress.pending()) await bounded(flushed, PROGRESS_FLUSH_LIMIT);
    }
    if ("ok" in settled && !settled.ok) {
      // a task the pool never ran to an outcome (pool closed or failed) is not the job's fault
      const error = settled.error;
      if (error instanceof PoolClosedError || error instanceof PoolUnavailableError) {
        if (error instanceof PoolUnavailableError && !this.#stopping) {
          // a pool that had failed before this node was made (#onPoolFailed never ran)
          o.onError(new Error(`the pool failed, this node stops taking jobs: ${error.message}`));
          void this.stopFetching().catch((e) => o.onError(asError(e)));
        }
        await entry.handBack();
        settled = { cut: true };
      }
    }
    m.runTime.recordMs(Date.now() - startedAt);
    if ("cut" in settled) throw new WaitingError();
    if (settled.ok) {
      const problem = checkJobValue(settled.value);
      if (problem === null) {
        m.completed++;
        return settled.value;
      }
      m.fail("value");
      throw unrecoverable(problem);
    }
    let error = asError(settled.error);
    if (entry.lockLost) error = new JobCancelledError("the job's lock could not be renewed");
    else if (signal?.aborted && !(error instanceof JobCancelledError))
      error = new JobCancelledError(reasonText(signal.reason));
    if (error instanceof JobCancelledError || o.unrecoverable(error, job)) {
      m.fail(error instanceof JobCancelledError ? "cancelled" : "unrecoverable");
      throw unrecoverable(error);
    }
    m.fail(failureKind(error));
    throw error;
  }
}

/**
 * A BullMQ Worker that runs each job on an mpms Pool. Call `start()` on the result (or pass
 * `start: false` semantics by calling it later); jobs are taken once it resolves.
 */
export function createQueueWorker<In = unknown, Out = unknown>(
  options: QueueWorkerOptions<In, Out>,
): QueueWorker<In, Out> {
  return new QueueWorker(options);
}
