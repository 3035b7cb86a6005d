/**
 * The worker protocol. Every transmission is a batch (an array) of messages, in both directions,
 * so that messages can be coalesced per event-loop turn without changing the protocol.
 */
import type { WireError } from "./wire_error.ts";

/**
 * Bumped on every protocol change. A worker built from another version (a stale dist/ next to
 * the sources) refuses to start instead of misbehaving.
 */
export const PROTOCOL_VERSION = 4;

/** Settings a worker receives in its first message. */
export interface WorkerConfig {
  /** The pool's {@link PROTOCOL_VERSION}; a worker of another version refuses to start. */
  protocol: number;
  /** URL (href) of the user's task module. */
  module: string;
  /** The pool's id of this worker. */
  workerId: number;
  /** Tasks run at once inside this worker. */
  concurrency: number;
  /** Heartbeat period in ms (0: none). */
  heartbeat: number;
  /** Names of errors that retire the worker when a task throws them. */
  dieErrors: string[];
}

/** Parent → worker. */
export type ToWorker =
  /** The first message: the worker's settings. */
  | { t: "init"; config: WorkerConfig }
  /** Run a task; `name` null means the default export. */
  | { t: "run"; id: number; name: string | null; input: unknown; moved?: 1 }
  /**
   * Abort a task: drop it if not started (unless `ifStarted`: a timeout only concerns a task
   * that runs), abort its `ctx.signal` if running.
   */
  | { t: "abort"; id: number; reason: WireError; ifStarted?: boolean }
  /**
   * Planned stop: finish running tasks (and, unless `handBack`, the unstarted ones too; with
   * `handBack` those are returned), run `finalize`, exit.
   */
  | { t: "stop"; handBack: boolean }
  /**
   * Work stealing: hand back every task received and not started yet (answered with
   * `returned`, possibly empty). The worker keeps running and takes new tasks.
   */
  | { t: "returnUnstarted" };

/** Worker → parent. */
export type FromWorker =
  /** `init` ran; the worker takes tasks. */
  | { t: "ready" }
  /** The module failed to load, or `init` threw. */
  | { t: "initError"; error: WireError }
  /** The task returned `value`. */
  | { t: "ok"; id: number; value: unknown }
  /**
   * The latest `ctx.progress(value)` of a running task since the last batch (coalesced: one per
   * task per batch). Never sent for a task whose result is already on its way.
   */
  | { t: "progress"; id: number; value: unknown }
  /**
   * These tasks started (the pool's only source of truth for starts). Left out for a task that
   * settled before the batch was sent: its `ok`/`err` says it started.
   */
  | { t: "started"; ids: number[] }
  /**
   * Task code called exit (`process.exit`, `Deno.exit`) with `code`: from the body of task `id`
   * (which ends with the worker), or while idle (the exit follows). With `wait`, it came from
   * outside any task body while tasks run (a timer a settled task left behind): the worker
   * finishes its running tasks, hands back the unstarted ones, then exits.
   */
  | { t: "exiting"; code: number; id?: number; wait?: boolean }
  /** The task failed; `die` means it threw a graceful-die error and the worker is retiring. */
  | { t: "err"; id: number; error: WireError; die?: boolean }
  /**
   * Tasks handed back without being started (on stop, graceful die, `returnUnstarted`). The
   * inputs of tasks whose `run` had `moved` come back too (their buffers moved back with them).
   */
  | { t: "returned"; ids: number[]; inputs?: { id: number; input: unknown }[] }
  /**
   * Liveness and memory (bytes): RSS for a process, heap for a thread. `runs`: `run` messages
   * received so far; `held`: the ids of the tasks it holds (running or waiting to start). A task
   * the pool sent among the first `runs` that is neither held nor answered was lost on the way.
   */
  | { t: "hb"; mem: number; runs?: number; held?: number[] }
  /** `finalize` ran (error set if it threw); the worker exits next. */
  | { t: "stopped"; error?: WireError };

/** Exit code a worker uses when it stops after a graceful die or a planned stop. */
export const EXIT_OK = 0;
