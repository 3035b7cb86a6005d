/**
 * The seam between the runtime-agnostic core and a runtime. An adapter spawns one worker per
 * call, carries protocol batches both ways, reports the worker's exit exactly once, and can kill.
 */

import type { FromWorker, ToWorker } from "./protocol.ts";
import type { Movable } from "./transfer.ts";

/** How a worker ended. `code`/`signal` are null where the runtime does not tell. */
export interface WorkerExit {
  /** The exit code, or null. */
  code: number | null;
  /** The signal that ended the worker ("SIGKILL", …), or null. */
  signal: string | null;
  /** An error the runtime reported for the worker (uncaught error, spawn failure). */
  error?: unknown;
}

/** What the core asks an adapter to spawn. */
export interface SpawnRequest {
  /** The pool's id of the worker to spawn. */
  workerId: number;
  /**
   * Called with each batch the worker sends, in order, never after `onExit`. The pool validates
   * every batch (the channel is hostile input: task code can write to it), so an adapter passes
   * on whatever its channel decoded.
   */
  onMessages(batch: FromWorker[] | unknown): void;
  /**
   * The channel carried something that is not an mpms message where one was due: a frame that
   * does not decode, a batch of the wrong shape. The pool kills the worker (reason "channel"),
   * fails its running tasks with WorkerCrashedError {reason: "channel"}, re-queues the unstarted
   * ones. `received` is a short, truncated description of what arrived.
   */
  onChannelError(received: string): void;
  /**
   * A message that is not mpms's arrived on a shared channel (e.g. a task's own
   * `process.send("ready")`): ignored, only counted and reported (`channel` event).
   */
  onForeignMessage(received: string): void;
  /** Called exactly once, after every message the worker sent has been delivered. */
  onExit(exit: WorkerExit): void;
}

/** One running worker, as the core sees it. */
export interface WorkerHandle {
  /** OS process id of the worker (the host's for a thread). */
  readonly pid: number | null;
  /** Thread id, for thread workers. */
  readonly threadId: number | null;
  /**
   * Send a batch. Throws (synchronously) if a message cannot be serialized by this channel;
   * in that case nothing of the batch was sent.
   */
  send(batch: ToWorker[], transfer?: readonly Movable[]): void;
  /**
   * Stop the worker now. `graceMs` > 0 lets a process worker handle SIGTERM first and escalates
   * to SIGKILL after it; 0 kills at once. `onExit` follows (unless the runtime cannot stop it).
   */
  kill(graceMs?: number): void;
  /**
   * Whether the worker's process is frozen right now (stopped by SIGSTOP, or otherwise not
   * scheduled): asked only when a busy worker misses its beats, to tell a long synchronous task
   * from a dead process. Leave it out where the runtime cannot tell.
   */
  frozen?(): boolean;
}

/** A way to run workers. */
export interface Adapter {
  /** The adapter's name, as in `adapter: "thread"` and `stats().adapter`. */
  readonly name: string;
  /** Whether `kill()` stops a worker that is stuck in a CPU loop (false: Deno threads). */
  readonly canKillBusy: boolean;
  /** Whether workers are separate OS processes (memory is then RSS; otherwise heap). */
  readonly isolated: boolean;
  /** Whether `send`'s transfer list moves memory (threads, Web Workers); otherwise inputs are copied. */
  readonly transfers?: boolean;
  /** Start one worker for `request`; its batches and exit come back through the request's callbacks. */
  spawn(request: SpawnRequest): WorkerHandle;
}

/** V8 limits of a worker thread, in MB (as Node's `Worker` `resourceLimits`). */
export interface ResourceLimits {
  /** Size of the main heap (MB). */
  maxOldGenerationSizeMb?: number;
  /** Size of the heap space for recently created objects (MB). */
  maxYoungGenerationSizeMb?: number;
  /** Size of the range reserved for generated code (MB). */
  codeRangeSizeMb?: number;
  /** The thread's stack size (MB). */
  stackSizeMb?: number;
}

/** Options an adapter factory receives (the pool's options, as given). */
export interface AdapterOptions {
  /** The task module. */
  module: URL;
  /** The runtime binary for child processes. */
  execPath?: string;
  /** Runtime flags the workers start with. */
  execArgv?: string[];
  /** Environment variables for the workers, on top of the host's. */
  env?: Record<string, string>;
  /** The children's working directory. */
  cwd?: string;
  /** Deno permission flags for Deno child processes, e.g. ["--allow-read", "--allow-net"]. */
  permissions?: string[];
  /** V8 limits of a worker thread in MB (thread adapter, Node's `resourceLimits`). */
  resourceLimits?: ResourceLimits;
}

/** Makes an adapter for one pool's options (see {@link registerAdapter}). */
export type AdapterFactory = (options: AdapterOptions) => Adapter;

const registry = new Map<string, () => Promise<AdapterFactory>>();

/** Make an adapter available by name (`adapter: name`); the loader runs on first use. */
export function registerAdapter(name: string, load: () => Promise<AdapterFactory>): void {
  registry.set(name, load);
}

/** Names of the adapters that can be chosen by name. */
export function adapterNames(): string[] {
  return [...registry.keys()];
}

/** Load a named adapter's factory. */
export function loadAdapter(name: string): Promise<AdapterFactory> {
  const load = registry.get(name);
  if (!load) return Promise.reject(new RangeError(`unknown adapter ${JSON.stringify(name)}`));
  return load();
}
