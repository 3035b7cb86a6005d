/**
 * Pool options and the options of submit/put/map/close: the public shapes, defaults, and
 * validation in one place. A wrong type throws TypeError and a wrong range RangeError, both naming
 * the option and the value; an unknown key throws TypeError naming it.
 */
import type { Adapter, ResourceLimits } from "../adapter.ts";
import { isDetached, isMovable, type Movable } from "../transfer.ts";
import { MAX_CONCURRENCY, MAX_MS, MAX_PREFETCH, MAX_WORKERS } from "../util/limits.ts";
import { keysOf, rangeError, rejectUnknownKeys, show, typeError } from "../util/validate.ts";
import { resolveElastic } from "./elastic.ts";
import type { Outcome } from "./outcome.ts";
import { PRIORITY_MAX, PRIORITY_MIN } from "./task_queue.ts";

/** @internal An error name, or an error class (matched by its name). */
type ErrorMatcher = string | (new (...args: never[]) => Error);

/**
 * Options of `new Pool()`. Only `module` is required. Durations are in ms.
 *
 * @example
 * ```ts
 * import { Pool, type PoolOptions } from "mpms";
 * const options: PoolOptions<string, number> = {
 *   module: new URL("./task.ts", import.meta.url),
 *   workers: 4,
 *   taskTimeout: 30_000,
 *   maxTasks: 1_000,
 *   restart: { intensity: 5, period: 10_000 },
 * };
 * const pool = new Pool(options);
 * ```
 */
export interface PoolOptions<In = unknown, Out = unknown> {
  /** The task module: a URL or an absolute path. Required. */
  module: URL | string;
  /**
   * "thread", "process", "bun", "deno", "web", or an Adapter object.
   * @default {"thread"}
   */
  adapter?: string | Adapter;
  /**
   * Number of workers: a fixed pool (minWorkers = maxWorkers = workers). Not together with
   * `minWorkers`/`maxWorkers`.
   * @default {navigator.hardwareConcurrency} the available parallelism (4 when unknown)
   */
  workers?: number;
  /**
   * Elastic pool: the fewest workers kept (0: none until the first submit). The pool starts with
   * this many. An integer >= 0, at most `maxWorkers`.
   * @default {1} when only `maxWorkers` is given; else `workers`
   */
  minWorkers?: number;
  /**
   * Elastic pool: the most workers. Tasks queued with no free capacity add workers up to this.
   * @default {minWorkers} the available parallelism (at least `minWorkers`) when only `minWorkers` is given; else `workers`
   */
  maxWorkers?: number;
  /**
   * Elastic pool: a worker above `minWorkers` idle (no task) this long (ms) retires gracefully
   * (reason `"idle"`). Infinity: never scale down.
   * @default {10000}
   */
  idleTimeout?: number;
  /**
   * Tasks running at once inside one worker.
   * @default {1}
   */
  concurrency?: number;
  /**
   * Tasks sent to a worker beyond `concurrency`, to hide the round trip.
   * @default {"auto"} adaptive, from the measured round trip and task time
   */
  prefetch?: number;
  /**
   * Bound of the queue of tasks not yet dispatched (Infinity: unbounded).
   * @default {1024}
   */
  queueSize?: number;
  /**
   * Called once per task, in the parent, with its Outcome.
   * @default {undefined} none
   */
  collector?: (outcome: Outcome<In, Out>) => void;

  /**
   * Retire a worker after this many tasks (plus up to `maxTasksJitter`); failed tasks count.
   * @default {Infinity} never
   */
  maxTasks?: number;
  /**
   * Up to this many more tasks, picked per worker, so workers do not all retire at once.
   * @default {0}
   */
  maxTasksJitter?: number;
  /**
   * Soft age (ms): take no new tasks, finish running ones, retire.
   * @default {Infinity} never
   */
  maxAge?: number;
  /**
   * Hard age (ms): kill; running tasks settle with WorkerRetiredError.
   * @default {Infinity} never
   */
  maxAgeHard?: number;
  /**
   * Retire a worker whose memory (RSS for processes, heap for threads) is over this (MiB).
   * @default {Infinity} no limit
   */
  maxMemoryMb?: number;
  /**
   * No memory retirement before this age (ms).
   * @default {0}
   */
  minAge?: number;
  /**
   * Soft task timeout (ms): aborts `ctx.signal`; after `killGrace` more the worker is killed.
   * @default {Infinity} none
   */
  taskTimeout?: number;
  /**
   * After a task's timeout or abort, how long (ms) it may still take before its worker is killed.
   * @default {2000}
   */
  killGrace?: number;
  /**
   * A task that throws WorkerGracefulDie (or an error named in `errors`) retires its worker; its
   * other running tasks get `timeout` ms before the worker is killed.
   * @default {{ timeout: 5000, errors: ["WorkerGracefulDie"] }}
   */
  gracefulDie?: { timeout?: number; errors?: ErrorMatcher[] };
  /**
   * Liveness beats. `timeout`: an idle worker silent this long is killed (a busy one only if its
   * process is frozen). `maxBlocked`: also kill a busy worker whose event loop stayed blocked this
   * long (off by default: long synchronous tasks are what workers are for). `false` turns
   * heartbeats off.
   * @default {{ interval: 1000, timeout: 10000, maxBlocked: Infinity }}
   */
  heartbeat?: { interval?: number; timeout?: number; maxBlocked?: number } | false;
  /**
   * How long (ms) a worker may take to load and run `init`.
   * @default {10000}
   */
  startTimeout?: number;
  /**
   * How long (ms) a stopping worker may take to finish and exit before it is killed.
   * @default {5000}
   */
  stopTimeout?: number;
  /**
   * Crash-loop limits: more than `intensity` failures within `period` ms fail the pool; from the
   * second failure in a row, worker starts back off from `initial` ms by `factor` up to `max` ms.
   * @default {{ intensity: 10, period: 60000, backoff: { initial: 100, max: 30000, factor: 2 } }}
   */
  restart?: {
    intensity?: number;
    period?: number;
    backoff?: { initial?: number; max?: number; factor?: number };
  };
  /**
   * Planned retirements in progress at once.
   * @default {1}
   */
  maxRecycling?: number;

  /**
   * Process adapters: the runtime binary for children.
   * @default {process.execPath} the host's
   */
  execPath?: string;
  /**
   * Runtime flags the workers start with.
   * @default {[]} none
   */
  execArgv?: string[];
  /**
   * Environment variables for the workers, on top of the host's.
   * @default {undefined} the host's only
   */
  env?: Record<string, string>;
  /**
   * Process adapters: the children's working directory.
   * @default {process.cwd()} the host's
   */
  cwd?: string;
  /**
   * Deno children: permission flags.
   * @default {undefined} read access to the task module
   */
  permissions?: string[];
  /**
   * Thread adapter: V8 limits of each worker thread (Node's `resourceLimits`, in MB). A thread
   * that runs out of heap ends with `WorkerCrashedError {reason: "oom"}` on Node; Bun and Deno
   * accept the option and do not enforce it. Not for the other adapters (for a Node child use
   * `execArgv: ["--max-old-space-size=N"]`; `maxMemoryMb` recycles on every adapter).
   * @default {undefined} the runtime's
   */
  resourceLimits?: ResourceLimits;
}

const RESOURCE_LIMIT_KEYS = ["maxOldGenerationSizeMb", "maxYoungGenerationSizeMb", "codeRangeSizeMb", "stackSizeMb"];

/** Options of one submit/put. */
export interface SubmitOptions {
  /** Abort before dispatch removes the task; while running, `ctx.signal` fires. */
  signal?: AbortSignal;
  /** Named export to call (default: the default export). */
  name?: string;
  /** Overrides the pool's `taskTimeout` for this task (ms). */
  timeout?: number;
  /** Wait for room when the queue is full (default true); false rejects with QueueFullError. */
  wait?: boolean;
  /**
   * Queue order: an integer from -20 (runs first) to 19 (runs last), FIFO within a priority;
   * default 0. It orders the queue only: tasks already sent to a worker (running, or prefetched
   * there) are not overtaken, see "Priorities" in the README.
   */
  priority?: number;
  /**
   * ArrayBuffers and MessagePorts in the input to move to the worker instead of copying them
   * (threads and Web Workers; process workers get a copy). A moved buffer is no longer usable
   * in the host (its byteLength becomes 0), as with `postMessage`'s transfer list.
   */
  transfer?: readonly Movable[];
  /**
   * Called with each `ctx.progress(value)` of the task while it runs (coalesced: the latest
   * value per event-loop turn of the worker), never after the task settled. A throw from it
   * is reported as the pool's `error` event.
   */
  onProgress?: (value: unknown) => void;
}

/** Options of `map()`. */
export interface MapOptions {
  /** Yield in input order (default false: completion order). */
  ordered?: boolean;
  /** Named export to call for every input (default: the default export). */
  name?: string;
  /** Overrides the pool's `taskTimeout` for every task (ms). */
  timeout?: number;
  /** Aborting it removes the queued tasks and aborts `ctx.signal` of running ones. */
  signal?: AbortSignal;
  /** Tasks in flight at once (default: enough to keep every worker busy). */
  window?: number;
  /** Queue order of every task of this map, as `submit`'s `priority`. */
  priority?: number;
}

/** Options of `close()`. */
export interface CloseOptions {
  /**
   * After this many ms, close() gives up waiting and destroys (Infinity or left out: no limit).
   * Given to a close() that is already pending, it tightens that one's deadline.
   */
  timeout?: number;
}

/** Options after defaults and validation. Durations are ms; Infinity means "never". */
export interface ResolvedOptions {
  module: URL;
  adapter: string | Adapter;
  workers: number;
  minWorkers: number;
  maxWorkers: number;
  idleTimeout: number;
  concurrency: number;
  prefetch: number | "auto";
  queueSize: number;
  collector: ((outcome: Outcome<never, never>) => void) | undefined;
  maxTasks: number;
  maxTasksJitter: number;
  maxAge: number;
  maxAgeHard: number;
  maxMemoryBytes: number;
  minAge: number;
  taskTimeout: number;
  killGrace: number;
  gracefulDieTimeout: number;
  gracefulDieErrors: string[];
  heartbeatInterval: number;
  heartbeatTimeout: number;
  heartbeatMaxBlocked: number;
  startTimeout: number;
  stopTimeout: number;
  restartIntensity: number;
  restartPeriod: number;
  backoffInitial: number;
  backoffMax: number;
  backoffFactor: number;
  maxRecycling: number;
  execPath: string | undefined;
  execArgv: string[] | undefined;
  env: Record<string, string> | undefined;
  cwd: string | undefined;
  permissions: string[] | undefined;
  resourceLimits: ResourceLimits | undefined;
}

interface NumberRule {
  min?: number;
  /** The value must be strictly above `min`. */
  exclusiveMin?: boolean;
  max?: number;
  integer?: boolean;
  /** Infinity is accepted (meaning "never" / "unbounded"). */
  infinite?: boolean;
}

/** A duration in ms: at most what setTimeout honours (or Infinity where allowed). */
function ms(name: string, value: unknown, fallback: number, rule: NumberRule): number {
  return num(name, value, fallback, rule, MAX_MS);
}

/**
 * A number option. Checked on every submit (a task's timeout, priority), so nothing is built
 * unless the value is wrong.
 */
function num(name: string, value: unknown, fallback: number, rule: NumberRule, max = rule.max): number {
  if (value === undefined) return fallback;
  if (typeof value !== "number" || Number.isNaN(value)) throw typeError(name, "a number", value);
  const min = rule.min ?? 0;
  if (value === Number.POSITIVE_INFINITY) {
    if (rule.infinite) return value;
    throw rangeError(name, expected(rule, min, max), value);
  }
  if (
    !Number.isFinite(value) ||
    (rule.integer && !Number.isInteger(value)) ||
    value < min ||
    (rule.exclusiveMin && value === min) ||
    (max !== undefined && value > max)
  ) {
    throw rangeError(name, expected(rule, min, max), value);
  }
  return value;
}

/** What a number option must be, for its error message. */
function expected(rule: NumberRule, min: number, max: number | undefined): string {
  return `${rule.integer ? "an integer" : "a number"} ${rule.exclusiveMin ? ">" : ">="} ${min}${
    max !== undefined ? ` and <= ${max}` : ""
  }${rule.infinite ? " (or Infinity)" : ""}`;
}

function obj(name: string, value: unknown): Record<string, unknown> {
  if (value === undefined) return {};
  if (value === null || typeof value !== "object" || Array.isArray(value)) {
    throw typeError(name, "an object", value);
  }
  return value as Record<string, unknown>;
}

function strings(name: string, value: unknown): string[] | undefined {
  if (value === undefined) return undefined;
  if (!Array.isArray(value) || value.some((v) => typeof v !== "string")) {
    throw typeError(name, "an array of strings", value);
  }
  return value as string[];
}

function resourceLimits(value: unknown, adapter: unknown): ResourceLimits | undefined {
  if (value === undefined) return undefined;
  if (value === null || typeof value !== "object" || Array.isArray(value)) {
    throw typeError("resourceLimits", "an object", value);
  }
  if (typeof adapter === "string" && adapter !== "thread") {
    throw new TypeError(
      `mpms: option "resourceLimits" applies to the "thread" adapter only, not "${adapter}" (for a Node child use execArgv: ["--max-old-space-size=N"]; maxMemoryMb recycles on every adapter)`,
    );
  }
  const limits: Record<string, number> = {};
  for (const [key, v] of Object.entries(value)) {
    if (!RESOURCE_LIMIT_KEYS.includes(key)) throw new TypeError(`mpms: unknown option "resourceLimits.${key}"`);
    if (v === undefined) continue;
    limits[key] = num(`resourceLimits.${key}`, v, 0, { min: 0, exclusiveMin: true });
  }
  return limits as ResourceLimits;
}

function optionalString(name: string, value: unknown): string | undefined {
  if (value === undefined) return undefined;
  if (typeof value !== "string" || value === "") throw typeError(name, "a non-empty string", value);
  return value;
}

function moduleUrl(value: unknown): URL {
  if (value instanceof URL) return value;
  if (typeof value !== "string") throw typeError("module", "a URL or an absolute path", value);
  if (value.startsWith("/")) return new URL(`file://${value.split("/").map(encodeURIComponent).join("/")}`);
  if (/^[A-Za-z]:[\\/]/.test(value)) return new URL(`file:///${value.replaceAll("\\", "/")}`);
  try {
    return new URL(value);
  } catch {
    throw rangeError("module", "a URL or an absolute path", value);
  }
}

function errorNames(value: unknown): string[] {
  if (value === undefined) return ["WorkerGracefulDie"];
  if (!Array.isArray(value)) throw typeError("gracefulDie.errors", "an array of error names or classes", value);
  return value.map((entry) => {
    if (typeof entry === "string" && entry !== "") return entry;
    if (typeof entry === "function" && typeof entry.name === "string" && entry.name !== "") {
      return entry.name;
    }
    throw typeError("gracefulDie.errors", "an array of error names or classes", value);
  });
}

function ensureBelow(soft: string, softValue: number, hard: string, hardValue: number): void {
  if (Number.isFinite(softValue) && Number.isFinite(hardValue) && softValue >= hardValue) {
    throw new RangeError(`mpms: option "${soft}" (${softValue}) must be below "${hard}" (${hardValue})`);
  }
}

const KNOWN = keysOf<PoolOptions>({
  module: true,
  adapter: true,
  workers: true,
  minWorkers: true,
  maxWorkers: true,
  idleTimeout: true,
  concurrency: true,
  prefetch: true,
  queueSize: true,
  collector: true,
  maxTasks: true,
  maxTasksJitter: true,
  maxAge: true,
  maxAgeHard: true,
  maxMemoryMb: true,
  minAge: true,
  taskTimeout: true,
  killGrace: true,
  gracefulDie: true,
  heartbeat: true,
  startTimeout: true,
  stopTimeout: true,
  restart: true,
  maxRecycling: true,
  execPath: true,
  execArgv: true,
  env: true,
  cwd: true,
  permissions: true,
  resourceLimits: true,
});
const SUBMIT_KEYS = keysOf<SubmitOptions>({
  signal: true,
  name: true,
  timeout: true,
  wait: true,
  priority: true,
  onProgress: true,
  transfer: true,
});
const MAP_KEYS = keysOf<MapOptions>({
  ordered: true,
  name: true,
  timeout: true,
  signal: true,
  window: true,
  priority: true,
});
const CLOSE_KEYS = keysOf<CloseOptions>({ timeout: true });

/** What a call without options is checked as: one frozen object, not a new one per submit. */
const NO_OPTIONS: Readonly<Record<string, unknown>> = Object.freeze({});

/** The options of one call (`submit`, `put`, `map`, `close`): an object, or left out. */
function callOptions(scope: string, options: unknown, known: ReadonlySet<string>): Readonly<Record<string, unknown>> {
  if (options === undefined) return NO_OPTIONS;
  if (options === null || typeof options !== "object") {
    throw new TypeError(`mpms: ${scope} options must be an object, got ${show(options)}`);
  }
  rejectUnknownKeys(options, known, scope);
  return options as Record<string, unknown>;
}

const TASK_TIMEOUT_RULE: NumberRule = { min: 0, exclusiveMin: true, infinite: true };

/** The task options `submit`, `put` and `map` share. */
function checkTaskOptions(o: Readonly<Record<string, unknown>>): void {
  optionalString("name", o.name);
  if (o.timeout !== undefined) ms("timeout", o.timeout, 0, TASK_TIMEOUT_RULE);
  if (o.signal !== undefined && !(o.signal instanceof AbortSignal)) {
    throw typeError("signal", "an AbortSignal", o.signal);
  }
  if (o.priority !== undefined) {
    num("priority", o.priority, 0, { min: PRIORITY_MIN, max: PRIORITY_MAX, integer: true });
  }
}

/** Validate the options of `submit` or `put` (`scope` names which). */
export function checkSubmitOptions(options: unknown, scope: "submit" | "put"): void {
  const o = callOptions(scope, options, SUBMIT_KEYS);
  checkTaskOptions(o);
  if (o.onProgress !== undefined && typeof o.onProgress !== "function") {
    throw typeError("onProgress", "a function", o.onProgress);
  }
  if (o.transfer !== undefined) {
    if (!Array.isArray(o.transfer))
      throw typeError("transfer", "an array of ArrayBuffers and MessagePorts", o.transfer);
    o.transfer.forEach((item: unknown, i: number) => {
      if (!isMovable(item)) throw typeError(`transfer[${i}]`, "an ArrayBuffer (not shared) or a MessagePort", item);
      if (isDetached(item)) throw typeError(`transfer[${i}]`, "an ArrayBuffer that was not moved away already", item);
    });
  }
}

/** Validate the options of `map`; returns its window, or undefined for the default. */
export function checkMapOptions(options: unknown): number | undefined {
  const o = callOptions("map", options, MAP_KEYS);
  checkTaskOptions(o);
  return o.window === undefined ? undefined : num("window", o.window, 1, { min: 1, integer: true });
}

/** Validate the options of `close`; returns its timeout (undefined: none). */
export function checkCloseOptions(options: unknown): number | undefined {
  const o = callOptions("close", options, CLOSE_KEYS);
  return o.timeout === undefined ? undefined : ms("timeout", o.timeout, 0, { infinite: true });
}

/** Clamp a count of workers from the environment (available parallelism) to the limit. */
export function workersFor(parallelism: number | undefined): number {
  return typeof parallelism === "number" && parallelism > 0 ? Math.min(parallelism, MAX_WORKERS) : 4;
}

/** Validate a new pool size (`resize()`). */
export function checkWorkers(workers: unknown): number {
  if (typeof workers !== "number" || !Number.isInteger(workers) || workers < 1 || workers > MAX_WORKERS) {
    throw new RangeError(`mpms: option "workers" must be an integer >= 1 and <= ${MAX_WORKERS}, got ${show(workers)}`);
  }
  return workers;
}

/** Validate `options` and fill in defaults. */
export function resolveOptions(
  options: unknown,
  defaults: { workers: number; adapterNames: string[] },
): ResolvedOptions {
  if (options === null || typeof options !== "object") throw typeError("options", "an object", options);
  const o = options as Record<string, unknown>;
  rejectUnknownKeys(o, KNOWN);
  const adapter = o.adapter ?? "thread";
  if (typeof adapter === "string") {
    if (!defaults.adapterNames.includes(adapter)) {
      throw rangeError("adapter", `one of ${defaults.adapterNames.map((n) => `"${n}"`).join(", ")}`, adapter);
    }
  } else if (adapter === null || typeof adapter !== "object" || typeof (adapter as Adapter).spawn !== "function") {
    throw typeError("adapter", "an adapter name or an object with spawn()", adapter);
  }
  if (o.collector !== undefined && typeof o.collector !== "function") {
    throw typeError("collector", "a function", o.collector);
  }
  const prefetch =
    o.prefetch === undefined ? "auto" : num("prefetch", o.prefetch, 0, { integer: true, max: MAX_PREFETCH });

  const gracefulDie = obj("gracefulDie", o.gracefulDie);
  const heartbeat = o.heartbeat === false ? false : obj("heartbeat", o.heartbeat);
  const restart = obj("restart", o.restart);
  const backoff = obj("restart.backoff", restart.backoff);
  const env = obj("env", o.env);
  for (const [k, v] of Object.entries(env)) {
    if (typeof v !== "string") throw typeError(`env.${k}`, "a string", v);
  }

  const resolved: ResolvedOptions = {
    module: moduleUrl(o.module),
    adapter: adapter as string | Adapter,
    ...resolveElastic(o, defaults.workers),
    concurrency: num("concurrency", o.concurrency, 1, { min: 1, max: MAX_CONCURRENCY, integer: true }),
    prefetch,
    queueSize: num("queueSize", o.queueSize, 1024, { min: 1, integer: true, infinite: true }),
    collector: o.collector as ResolvedOptions["collector"],
    maxTasks: num("maxTasks", o.maxTasks, Number.POSITIVE_INFINITY, { min: 1, integer: true, infinite: true }),
    maxTasksJitter: num("maxTasksJitter", o.maxTasksJitter, 0, { integer: true }),
    maxAge: ms("maxAge", o.maxAge, Number.POSITIVE_INFINITY, { min: 0, exclusiveMin: true, infinite: true }),
    maxAgeHard: ms("maxAgeHard", o.maxAgeHard, Number.POSITIVE_INFINITY, {
      min: 0,
      exclusiveMin: true,
      infinite: true,
    }),
    maxMemoryBytes:
      num("maxMemoryMb", o.maxMemoryMb, Number.POSITIVE_INFINITY, { min: 0, exclusiveMin: true, infinite: true }) *
      1024 *
      1024,
    minAge: ms("minAge", o.minAge, 0, {}),
    taskTimeout: ms("taskTimeout", o.taskTimeout, Number.POSITIVE_INFINITY, {
      min: 0,
      exclusiveMin: true,
      infinite: true,
    }),
    killGrace: ms("killGrace", o.killGrace, 2_000, {}),
    gracefulDieTimeout: ms("gracefulDie.timeout", gracefulDie.timeout, 5_000, { infinite: false }),
    gracefulDieErrors: errorNames(gracefulDie.errors),
    heartbeatInterval: heartbeat === false ? 0 : ms("heartbeat.interval", heartbeat.interval, 1_000, { min: 1 }),
    heartbeatTimeout:
      heartbeat === false ? Number.POSITIVE_INFINITY : ms("heartbeat.timeout", heartbeat.timeout, 10_000, { min: 1 }),
    heartbeatMaxBlocked:
      heartbeat === false
        ? Number.POSITIVE_INFINITY
        : ms("heartbeat.maxBlocked", heartbeat.maxBlocked, Number.POSITIVE_INFINITY, { min: 1, infinite: true }),
    startTimeout: ms("startTimeout", o.startTimeout, 10_000, { min: 0, exclusiveMin: true }),
    stopTimeout: ms("stopTimeout", o.stopTimeout, 5_000, {}),
    restartIntensity: num("restart.intensity", restart.intensity, 10, { integer: true, infinite: true }),
    restartPeriod: ms("restart.period", restart.period, 60_000, { min: 0, exclusiveMin: true }),
    backoffInitial: ms("restart.backoff.initial", backoff.initial, 100, {}),
    backoffMax: ms("restart.backoff.max", backoff.max, 30_000, {}),
    backoffFactor: num("restart.backoff.factor", backoff.factor, 2, { min: 1 }),
    maxRecycling: num("maxRecycling", o.maxRecycling, 1, { min: 1, integer: true }),
    execPath: optionalString("execPath", o.execPath),
    execArgv: strings("execArgv", o.execArgv),
    env: o.env === undefined ? undefined : (env as Record<string, string>),
    cwd: optionalString("cwd", o.cwd),
    permissions: strings("permissions", o.permissions),
    resourceLimits: resourceLimits(o.resourceLimits, adapter),
  };
  ensureBelow("maxAge", resolved.maxAge, "maxAgeHard", resolved.maxAgeHard);
  ensureBelow("minAge", resolved.minAge, "maxAge", resolved.maxAge);
  ensureBelow("minAge", resolved.minAge, "maxAgeHard", resolved.maxAgeHard);
  ensureBelow("heartbeat.interval", resolved.heartbeatInterval, "heartbeat.timeout", resolved.heartbeatTimeout);
  if (resolved.backoffInitial > resolved.backoffMax) {
    throw new RangeError(
      `mpms: option "restart.backoff.initial" (${resolved.backoffInitial}) must not be above "restart.backoff.max" (${resolved.backoffMax})`,
    );
  }
  return resolved;
}
