/**
 * Starting one worker: its record (with its `maxTasks` limit, jittered), the adapter's spawn with
 * the callbacks, the `init` message, and the start timeout. A spawn that throws is reported as
 * that worker's exit, on the next microtask, as if it had exited at once.
 */
import type { Adapter, WorkerExit } from "../adapter.ts";
import { WorkerStartError } from "../errors.ts";
import { PROTOCOL_VERSION, type ToWorker } from "../protocol.ts";
import type { ResolvedOptions } from "./options.ts";
import { WorkerSlot } from "./worker_slot.ts";

/** What the adapter calls for one worker. */
export interface WorkerCallbacks {
  onMessages(received: unknown): void;
  onChannelError(received: string): void;
  onForeignMessage(received: string): void;
  onExit(exit: WorkerExit): void;
}

/** A new worker record: its task limit is `maxTasks` plus up to `maxTasksJitter`. */
export function newSlot(id: number, opts: ResolvedOptions, at: number): WorkerSlot {
  const slot = new WorkerSlot(id, at);
  if (opts.maxTasks !== Number.POSITIVE_INFINITY) {
    slot.taskLimit = opts.maxTasks + Math.floor(Math.random() * (opts.maxTasksJitter + 1));
  }
  return slot;
}

/**
 * Spawn the worker and send `init`. `timedOut`: it did not run init within `startTimeout` (its
 * `startError` is set already).
 */
export function startWorker(
  slot: WorkerSlot,
  adapter: Adapter,
  opts: ResolvedOptions,
  callbacks: WorkerCallbacks,
  send: (slot: WorkerSlot, msg: ToWorker) => void,
  timedOut: () => void,
): void {
  try {
    slot.handle = adapter.spawn({
      workerId: slot.id,
      onMessages: (batch) => callbacks.onMessages(batch),
      onChannelError: (received) => callbacks.onChannelError(received),
      onForeignMessage: (received) => callbacks.onForeignMessage(received),
      onExit: (exit) => callbacks.onExit(exit),
    });
  } catch (error) {
    slot.handle = { pid: null, threadId: null, send() {}, kill() {} };
    queueMicrotask(() => callbacks.onExit({ code: null, signal: null, error }));
    return;
  }
  send(slot, {
    t: "init",
    config: {
      protocol: PROTOCOL_VERSION,
      module: opts.module.href,
      workerId: slot.id,
      concurrency: opts.concurrency,
      heartbeat: opts.heartbeatInterval,
      dieErrors: opts.gracefulDieErrors,
    },
  });
  slot.timers.push(
    setTimeout(() => {
      if (slot.life.phase !== "starting") return;
      slot.startError = new WorkerStartError(`worker ${slot.id} did not start within ${opts.startTimeout} ms`);
      timedOut();
    }, opts.startTimeout),
  );
}

/** Spawns waiting out a crash-loop back-off; cancelled together (close, destroy). */
export class DelayedSpawns {
  /** Spawns waiting for their delay. */
  pending = 0;
  private readonly timers = new Set<ReturnType<typeof setTimeout>>();

  /** Run `spawn` after `delay` ms. */
  schedule(delay: number, spawn: () => void): void {
    this.pending++;
    const timer = setTimeout(() => {
      this.timers.delete(timer);
      this.pending--;
      spawn();
    }, delay);
    this.timers.add(timer);
  }

  cancel(): void {
    for (const timer of this.timers) clearTimeout(timer);
    this.timers.clear();
    this.pending = 0;
  }
}
