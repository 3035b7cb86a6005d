/**
 * Options of createQueueWorker() and their validation: every mistake is a TypeError or RangeError
 * that names the option and the value, thrown before anything connects to Redis.
 */
/** @internal BullMQ's own types, from the bullmq package. */
import type { ConnectionOptions, Job, WorkerOptions } from "bullmq";
import type { PoolOptions } from "../pool/options.ts";
import type { Pool } from "../pool/pool.ts";
import type { Shutdown } from "../shutdown/shutdown.ts";
import { MAX_MS } from "../util/limits.ts";
import { rejectUnknownKeys, show } from "../util/validate.ts";

/** The BullMQ Worker options a caller may set; the processor, concurrency and autorun are ours. */
export type QueueWorkerBullOptions = Omit<WorkerOptions, "connection" | "concurrency" | "autorun">;

/** Options of {@link createQueueWorker}: the queue, Redis, the pool, and how jobs map to tasks. */
export interface QueueWorkerOptions<In = unknown, Out = unknown> {
  /** The BullMQ queue name to take jobs from. */
  queue: string;
  /**
   * Redis: a `redis://` / `rediss://` URL, ioredis options, or a client (as BullMQ's own
   * `connection`). Options and URLs get `maxRetriesPerRequest: null`, which a Worker requires.
   */
  connection: string | ConnectionOptions;
  /** A pool you made; it is not closed by the worker unless `closePool` is true. */
  pool?: Pool<In, Out>;
  /** Options of a pool the worker makes, starts and closes itself. Give this or `pool`. */
  poolOptions?: PoolOptions<In, Out>;
  /** Close (or destroy) the pool when the worker closes. Default: true for `poolOptions`, false for `pool`. */
  closePool?: boolean;
  /**
   * Jobs run at once (BullMQ's `concurrency`). Default: what the pool runs at once, its workers ×
   * per-worker `concurrency` (from `poolOptions`; 1 per worker for a given `pool`).
   */
  concurrency?: number;
  /**
   * The task's time limit for a job (ms): a number for every job, or a function of the job
   * (undefined: the pool's `taskTimeout`). Default: the `timeoutField` of the job's data, if set.
   */
  timeout?: number | ((job: Job) => number | undefined);
  /** A field of the job's data (an object) that holds the job's time limit in ms, e.g. "timeoutMs". */
  timeoutField?: string;
  /** Call the task export named like the job (`job.name`) instead of the default export. Default false. */
  exportFromJobName?: boolean;
  /** The task input for a job (default: `job.data`). */
  input?: (job: Job) => In;
  /**
   * Errors that fail the job at once, with no retry (BullMQ's UnrecoverableError): error names
   * (a task's error keeps its name: "TypeError", "TaskTimeoutError", "WorkerCrashedError"), or a
   * predicate.
   */
  unrecoverable?: readonly string[] | ((error: Error, job: Job) => boolean);
  /** More BullMQ Worker options: lockDuration, stalledInterval, maxStalledCount, removeOnComplete, … */
  workerOptions?: QueueWorkerBullOptions;
  /**
   * Wire the worker into this Shutdown: stop fetching in "drain"; in "workers", running jobs get
   * the budget, then the jobs still running are handed back to the queue; then the worker closes.
   */
  shutdown?: Shutdown;
  /** Errors of the BullMQ worker and refused hand-backs (default: a console.warn line). */
  onError?: (error: Error) => void;
  /** Hand-back reserve: how long before the hook's budget ends the jobs are handed back (ms; default min(1000, budget/5)). */
  handBackReserve?: number;
}

export interface ResolvedQueueWorkerOptions<In, Out> {
  queue: string;
  connection: ConnectionOptions;
  pool: Pool<In, Out> | undefined;
  poolOptions: PoolOptions<In, Out> | undefined;
  closePool: boolean;
  concurrency: number | undefined;
  timeout: (job: Job) => number | undefined;
  exportFromJobName: boolean;
  input: (job: Job) => In;
  unrecoverable: (error: Error, job: Job) => boolean;
  workerOptions: QueueWorkerBullOptions;
  shutdown: Shutdown | undefined;
  handBackReserve: number | undefined;
  onError: (error: Error) => void;
}

function fail(option: string, expected: string, value: unknown, range = false): never {
  const text = `mpms: option "${option}" must be ${expected}, got ${show(value)}`;
  throw range ? new RangeError(text) : new TypeError(text);
}

function checkMs(option: string, value: unknown): number {
  if (typeof value !== "number" || Number.isNaN(value)) fail(option, "a number of ms", value);
  if (!(value > 0) || (value > MAX_MS && value !== Number.POSITIVE_INFINITY)) {
    fail(option, `> 0 and <= ${MAX_MS} (or Infinity)`, value, true);
  }
  return value;
}

/** `redis://[user:pass@]host[:port][/db]` (or rediss:) as ioredis options. */
export function connectionFromUrl(url: string): ConnectionOptions {
  let parsed: URL;
  try {
    parsed = new URL(url);
  } catch {
    return fail("connection", "a redis:// or rediss:// URL, or connection options", url);
  }
  if (parsed.protocol !== "redis:" && parsed.protocol !== "rediss:") {
    fail("connection", "a redis:// or rediss:// URL, or connection options", url);
  }
  const db = parsed.pathname.replace(/^\//, "");
  if (db !== "" && !/^\d+$/.test(db)) fail("connection", "a URL whose path is a database number", url, true);
  const options: Record<string, unknown> = {
    host: parsed.hostname.replace(/^\[|\]$/g, "") || "127.0.0.1",
    port: parsed.port === "" ? 6379 : Number(parsed.port),
    maxRetriesPerRequest: null,
  };
  if (db !== "") options.db = Number(db);
  if (parsed.username !== "") options.username = decodeURIComponent(parsed.username);
  if (parsed.password !== "") options.password = decodeURIComponent(parsed.password);
  if (parsed.protocol === "rediss:") options.tls = {};
  return options as ConnectionOptions;
}

function resolveConnection(value: unknown): ConnectionOptions {
  if (typeof value === "string") return connectionFromUrl(value);
  if (value === null || typeof value !== "object")
    fail("connection", "a redis:// URL, connection options or a client", value);
  // a client instance (ioredis, or a BullMQ IRedisClient) is passed through as it is
  const proto = Object.getPrototypeOf(value);
  if (proto !== Object.prototype && proto !== null) return value as ConnectionOptions;
  const options = value as Record<string, unknown>;
  return (
    "maxRetriesPerRequest" in options ? options : { ...options, maxRetriesPerRequest: null }
  ) as ConnectionOptions;
}

function resolveTimeout(
  timeout: QueueWorkerOptions["timeout"],
  field: string | undefined,
): (job: Job) => number | undefined {
  if (timeout !== undefined) {
    if (typeof timeout === "function") {
      return (job) => {
        const ms = timeout(job);
        return ms === undefined ? undefined : checkMs("timeout", ms);
      };
    }
    const ms = checkMs("timeout", timeout);
    return () => ms;
  }
  if (field === undefined) return () => undefined;
  return (job) => {
    const data = job.data as Record<string, unknown> | null;
    const ms = data !== null && typeof data === "object" ? data[field] : undefined;
    return ms === undefined || ms === null ? undefined : checkMs(`data.${field} of job ${job.id}`, ms);
  };
}

function resolveUnrecoverable(value: unknown): (error: Error, job: Job) => boolean {
  if (value === undefined) return () => false;
  if (typeof value === "function") return value as (error: Error, job: Job) => boolean;
  if (!Array.isArray(value) || !value.every((name) => typeof name === "string" && name !== "")) {
    fail("unrecoverable", "a list of error names or a function (error, job) => boolean", value);
  }
  const names = new Set<string>(value);
  return (error) => names.has(error.name);
}

const KNOWN = new Set([
  "queue",
  "connection",
  "pool",
  "poolOptions",
  "closePool",
  "concurrency",
  "timeout",
  "timeoutField",
  "exportFromJobName",
  "input",
  "unrecoverable",
  "workerOptions",
  "shutdown",
  "handBackReserve",
  "onError",
]);

/** Check every option; throws TypeError/RangeError naming the option. */
export function resolveQueueWorkerOptions<In, Out>(
  options: QueueWorkerOptions<In, Out>,
  isPool: (value: unknown) => boolean,
  isShutdown: (value: unknown) => boolean,
): ResolvedQueueWorkerOptions<In, Out> {
  if (options === null || typeof options !== "object") {
    throw new TypeError(`mpms: createQueueWorker() options must be an object, got ${show(options)}`);
  }
  rejectUnknownKeys(options, KNOWN, "createQueueWorker()");
  const o = options;
  if (typeof o.queue !== "string" || o.queue === "") fail("queue", "a non-empty string", o.queue);
  if (o.connection === undefined) fail("connection", "a redis:// URL, connection options or a client", undefined);
  const connection = resolveConnection(o.connection);
  if ((o.pool === undefined) === (o.poolOptions === undefined)) {
    throw new TypeError('mpms: createQueueWorker() needs exactly one of "pool" and "poolOptions"');
  }
  if (o.pool !== undefined && !isPool(o.pool)) fail("pool", "a Pool", o.pool);
  if (o.poolOptions !== undefined && (o.poolOptions === null || typeof o.poolOptions !== "object")) {
    fail("poolOptions", "an object of pool options", o.poolOptions);
  }
  if (o.closePool !== undefined && typeof o.closePool !== "boolean") fail("closePool", "a boolean", o.closePool);
  if (o.concurrency !== undefined) {
    if (typeof o.concurrency !== "number" || !Number.isInteger(o.concurrency)) {
      fail("concurrency", "an integer", o.concurrency);
    }
    if (o.concurrency < 1 || o.concurrency > 100_000) fail("concurrency", ">= 1 and <= 100000", o.concurrency, true);
  }
  if (o.timeout !== undefined && typeof o.timeout !== "function") checkMs("timeout", o.timeout);
  if (o.timeoutField !== undefined && (typeof o.timeoutField !== "string" || o.timeoutField === "")) {
    fail("timeoutField", "a non-empty string", o.timeoutField);
  }
  if (o.exportFromJobName !== undefined && typeof o.exportFromJobName !== "boolean") {
    fail("exportFromJobName", "a boolean", o.exportFromJobName);
  }
  if (o.input !== undefined && typeof o.input !== "function") fail("input", "a function (job) => input", o.input);
  if (o.workerOptions !== undefined && (o.workerOptions === null || typeof o.workerOptions !== "object")) {
    fail("workerOptions", "an object of BullMQ Worker options", o.workerOptions);
  }
  for (const key of ["connection", "concurrency", "autorun"]) {
    if (o.workerOptions && key in o.workerOptions) {
      throw new TypeError(`mpms: option "workerOptions.${key}" is set by createQueueWorker(); use its own "${key}"`);
    }
  }
  if (o.shutdown !== undefined && !isShutdown(o.shutdown)) fail("shutdown", "a Shutdown", o.shutdown);
  if (o.handBackReserve !== undefined) checkMs("handBackReserve", o.handBackReserve);
  if (o.onError !== undefined && typeof o.onError !== "function")
    fail("onError", "a function (error) => void", o.onError);
  return {
    queue: o.queue,
    connection,
    pool: o.pool,
    poolOptions: o.poolOptions,
    closePool: o.closePool ?? o.pool === undefined,
    concurrency: o.concurrency,
    timeout: resolveTimeout(o.timeout, o.timeoutField),
    exportFromJobName: o.exportFromJobName ?? false,
    input: o.input ?? ((job: Job) => job.data as In),
    unrecoverable: resolveUnrecoverable(o.unrecoverable),
    workerOptions: o.workerOptions ?? {},
    shutdown: o.shutdown,
    handBackReserve: o.handBackReserve,
    onError: o.onError ?? ((error: Error) => console.warn(`mpms queue worker ${o.queue}: ${error.message}`)),
  };
}
