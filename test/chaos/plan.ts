/**
 * A chaos run, drawn from one seed: the pool's options, a mix of task behaviours (many cheap
 * ones, a few that cost a worker), random aborts and per-task timeouts, a resize or two, a
 * recycle, and how and when the pool is ended. The same seed always gives the same plan.
 */
import { Rng } from "./rng.ts";

/** What a task does; see chaos_tasks.js. `unclonableInput` never reaches the worker. */
export type Behaviour =
  | "return"
  | "sleep"
  | "throw"
  | "asyncThrow"
  | "print"
  | "unclonable"
  | "unclonableInput"
  | "ignoreAbort"
  | "exit"
  | "exitAfterReply"
  | "spin"
  | "hang"
  | "die"
  | "allocate";

/**
 * Weights per mille. Cheap behaviours dominate; those that cost a worker (exit, exitAfterReply,
 * spin, hang, die, allocate, and the long ignoreAbort) total about 4%, scaled down for adapters
 * whose workers start slowly (see {@link PlanTarget.startMs}).
 */
const EXPENSIVE: readonly Behaviour[] = ["exit", "exitAfterReply", "spin", "hang", "die", "allocate"];

export const WEIGHTS: Readonly<Record<Behaviour, number>> = {
  return: 505,
  sleep: 160,
  throw: 70,
  asyncThrow: 60,
  print: 6,
  unclonable: 25,
  unclonableInput: 20,
  ignoreAbort: 90,
  exit: 8,
  exitAfterReply: 6,
  spin: 5,
  hang: 7,
  die: 7,
  allocate: 3,
};

/** How the run ends: graceful close, close with a deadline, a Shutdown run, or destroy. */
export type EndMode = "close" | "closeTimeout" | "shutdown" | "destroy";
export const END_MODES: readonly EndMode[] = ["close", "closeTimeout", "shutdown", "destroy"];

/** When a task's AbortSignal fires: already aborted, right after submit, or after a delay (ms). */
export type AbortPlan = "none" | "before" | "sync" | number;

export interface TaskPlan {
  id: number;
  b: Behaviour;
  input: Record<string, unknown>;
  /** Per-task timeout; undefined: the pool's taskTimeout. */
  timeout: number | undefined;
  abort: AbortPlan;
  /** Submitted with put() (outcome through the collector only) instead of submit(). */
  put: boolean;
  /** `wait: false`: may reject with QueueFullError instead of waiting for room. */
  noWait: boolean;
  /** Pause (ms) after submitting this task; 0 means go straight on. */
  pauseAfter: number;
}

export type PlanEvent = { at: number; kind: "resize"; workers: number } | { at: number; kind: "recycle" };

/** The pool options a plan chooses (the module and adapter are added by the driver). */
export interface ChaosOptions {
  workers: number;
  concurrency: number;
  prefetch?: number;
  queueSize: number;
  taskTimeout: number;
  killGrace: number;
  maxTasks: number;
  maxTasksJitter: number;
  maxAge?: number;
  maxAgeHard?: number;
  maxMemoryMb: number;
  minAge: number;
  heartbeat: { interval: number; timeout: number };
  gracefulDie: { timeout: number };
  stopTimeout: number;
  restart: { intensity: number; backoff: { initial: number; max: number } };
  maxRecycling: number;
}

export interface Plan {
  seed: number;
  options: ChaosOptions;
  tasks: TaskPlan[];
  events: PlanEvent[];
  end: EndMode;
  /** The end is triggered after submitting this many tasks. */
  endAfter: number;
  /** closeTimeout: close({timeout}); shutdown: the Shutdown's timeout (ms). */
  endTimeout: number;
  /** Tasks submitted after the end began: each must be refused at once. */
  afterEnd: number;
  /** Await start() before submitting (else submits, events and even the end race the start). */
  startFirst: boolean;
  /** The driver keeps at most this many tasks open (unsettled) before submitting more. */
  window: number;
}

/** What the plan needs to know about the adapter. */
export interface PlanTarget {
  /** Workers are processes: memory is RSS (else heap). */
  isolated: boolean;
  /** The memory limit (MiB) workers run under; `allocate` grows past it. */
  memoryLimitMb: number;
  /**
   * The adapter cannot stop a thread in a CPU loop (Deno threads: a terminated thread that was
   * in a loop keeps burning a core until the process ends). The spin behaviour is left out there;
   * the process adapters cover it on Deno.
   */
  noSpin: boolean;
  /**
   * Typical time (ms) to start a worker: 40 (Bun threads) to 450 (Node child processes, which
   * run mpms from source through tsx). Lifetimes scale up and worker-killing behaviours down
   * with it, so each run stays within a few seconds.
   */
  startMs: number;
}

/** Worker start times measured on the 2-core CI machine (ms), per runtime and adapter. */
const START_MS: Record<string, number> = {
  "node/thread": 130,
  "node/process": 450,
  "bun/thread": 40,
  "bun/process": 240,
  "bun/bun": 50,
  "deno/thread": 60,
  "deno/process": 150,
  "deno/deno": 70,
};

/**
 * The target of `adapter` on `runtime`. Memory limits sit above an idle worker: heap (MiB) for
 * threads, RSS for processes (an idle Node child with tsx is ~75 MiB, Bun and Deno ~30-45).
 */
export function planTarget(runtime: string, adapter: string): PlanTarget {
  const startMs = START_MS[`${runtime}/${adapter}`] ?? 200;
  if (adapter === "thread" || adapter === "web") {
    return { isolated: false, memoryLimitMb: 40, noSpin: runtime === "deno", startMs };
  }
  const child = adapter === "bun" ? "bun" : adapter === "deno" ? "deno" : runtime;
  return { isolated: true, memoryLimitMb: child === "node" ? 150 : 110, noSpin: false, startMs };
}

function value(rng: Rng): unknown {
  switch (rng.int(0, 4)) {
    case 0:
      return rng.int(-1_000_000, 1_000_000);
    case 1:
      return `s${rng.int(0, 99_999)}`;
    case 2:
      return [rng.int(0, 9), `x${rng.int(0, 9)}`, null, true];
    case 3:
      return { a: { b: [rng.int(0, 99)] }, c: "ü€😀" };
    default:
      return null;
  }
}

function taskInput(rng: Rng, id: number, b: Behaviour, target: PlanTarget): Record<string, unknown> {
  switch (b) {
    case "return":
    case "print":
      return { b, id, v: value(rng) };
    case "unclonableInput":
      return { b: "return", id, v: () => id };
    case "sleep":
      return { b, id, ms: rng.int(1, 30) };
    case "ignoreAbort":
      // Mostly short; sometimes far past any timeout (then the worker is killed).
      return { b, id, ms: rng.chance(0.08 * Math.min(1, 150 / target.startMs)) ? rng.int(400, 700) : rng.int(1, 25) };
    case "exit":
    case "exitAfterReply":
      return { b, id, code: rng.int(3, 9) };
    case "spin":
      return { b, id, ms: 0 };
    case "allocate":
      return {
        b,
        id,
        rss: target.isolated,
        limit: target.memoryLimitMb * 1024 * 1024,
        maxChunks: target.memoryLimitMb + 32,
      };
    default:
      return { b, id };
  }
}

function abortPlan(rng: Rng): AbortPlan {
  if (!rng.chance(0.1)) return "none";
  const x = rng.next();
  if (x < 0.1) return "before";
  if (x < 0.3) return "sync";
  return rng.int(0, 80);
}

/** Knobs for narrowing a failure down; the suite runs with none of them. */
export interface PlanKnobs {
  /** Behaviours left out (weight 0). */
  off?: readonly Behaviour[];
  /** Force awaiting start() first (true) or racing it (false). */
  startFirst?: boolean;
  /** Force this concurrency (the strict runs use 1). */
  concurrency?: number;
}

export function makePlan(seed: number, count: number, target: PlanTarget, knobs: PlanKnobs = {}): Plan {
  const rng = new Rng(seed);
  const options: ChaosOptions = {
    workers: rng.int(2, 4),
    concurrency: knobs.concurrency ?? rng.int(1, 3),
    queueSize: rng.chance(0.3) ? rng.int(16, 96) : 100_000,
    taskTimeout: 100,
    killGrace: 50,
    maxTasks: rng.int(60, 200),
    maxTasksJitter: rng.int(0, 20),
    maxMemoryMb: target.memoryLimitMb,
    minAge: rng.int(0, 100),
    // On for the memory figures; its timeout is far above any stall a task causes.
    heartbeat: { interval: 50, timeout: 20_000 },
    gracefulDie: { timeout: 300 },
    stopTimeout: 1_000,
    restart: { intensity: Number.POSITIVE_INFINITY, backoff: { initial: 5, max: 100 } },
    maxRecycling: rng.int(1, 2),
  };
  if (rng.chance(0.5)) options.prefetch = rng.int(0, 3);
  const start = target.startMs;
  if (rng.chance(0.4)) options.maxAge = rng.int(Math.max(300, 5 * start), Math.max(1_000, 12 * start));
  if (rng.chance(0.2)) options.maxAgeHard = rng.int(Math.max(1_500, 15 * start), Math.max(3_000, 25 * start));

  const scale = Math.min(1, Math.max(0.3, 150 / start));
  const weights: Record<Behaviour, number> = { ...WEIGHTS };
  for (const b of EXPENSIVE) weights[b] *= scale;
  for (const b of knobs.off ?? []) weights[b] = 0;
  if (target.noSpin) weights.spin = 0;
  const tasks: TaskPlan[] = [];
  for (let id = 1; id <= count; id++) {
    const b = rng.weighted(weights);
    const input = taskInput(rng, id, b, target);
    let timeout = rng.chance(0.3) ? rng.int(30, 300) : undefined;
    if (b === "allocate") timeout = 5_000; // growing 100+ MiB can take a few hundred ms
    const burstEnd = rng.chance(0.04);
    tasks.push({
      id,
      b,
      input,
      timeout,
      abort: abortPlan(rng),
      put: rng.chance(0.1),
      noWait: rng.chance(0.05),
      pauseAfter: burstEnd ? rng.int(1, 15) : 0,
    });
  }
  const events: PlanEvent[] = [];
  for (let i = rng.int(1, 2); i > 0; i--)
    events.push({ at: rng.int(1, count), kind: "resize", workers: rng.int(1, 4) });
  events.push({ at: rng.int(1, count), kind: "recycle" });
  events.sort((a, b) => a.at - b.at);
  const end = END_MODES[seed % END_MODES.length] as EndMode;
  return {
    seed,
    options,
    tasks,
    events,
    end,
    endAfter: rng.int(Math.floor(count * 0.7), count),
    endTimeout: end === "shutdown" ? rng.int(150, 600) : rng.int(30, 400),
    afterEnd: rng.int(1, 20),
    startFirst: knobs.startFirst ?? rng.chance(0.75),
    window: rng.int(8, 80),
  };
}
