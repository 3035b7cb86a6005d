/**
 * The pool's record of one worker: its handle, its lifecycle (see worker_lifecycle.ts), the tasks
 * in flight (in send order) and its timers.
 */
import type { WorkerHandle } from "../adapter.ts";
import type { ToWorker } from "../protocol.ts";
import { isDetached, type Movable } from "../transfer.ts";
import type { RetireReason } from "./events.ts";
import type { WorkerState, WorkerStats } from "./stats.ts";
import type { Task } from "./task.ts";
import {
  accepting,
  gone,
  type Lifecycle,
  type LifecycleEvent,
  publicState,
  retireOf,
  step,
} from "./worker_lifecycle.ts";

export class WorkerSlot {
  /** Where the worker is in its life: changed only by {@link step} (the supervisor's). */
  life: Lifecycle = { phase: "starting", retire: null };
  handle!: WorkerHandle;
  /** Tasks sent and not settled, in send order (the worker starts them in this order). */
  readonly outstanding = new Map<number, Task>();
  /**
   * Tasks this worker was sent that the pool settled without its word (timeout, abort, destroy):
   * the worker may still answer for them once, and that is not a channel error.
   */
  readonly late = new Set<number>();
  /** Outstanding tasks with a timeout clock (started, or inferred to be). */
  clocked = 0;
  /**
   * Every lane of this worker has been busy far longer than tasks take: it gets no prefetch
   * until one of its tasks settles (its unstarted tasks were taken back for idle workers).
   */
  stuck = false;
  /** A `returnUnstarted` is on its way to this worker (answered by `returned`). */
  stealSent = false;
  /** The channel carried garbage: nothing more from it is read (the worker is being killed). */
  channelBroken = false;
  outbox: ToWorker[] = [];
  /** What moves with a message of the outbox (moved task inputs), by message. */
  outboxMoves: Map<ToWorker, readonly Movable[]> | undefined;
  flushQueued = false;
  tasksDone = 0;
  tasksSent = 0;
  /** This incarnation retires after this many tasks. */
  taskLimit = Number.POSITIVE_INFINITY;
  lastSeen: number;
  /** When it ran `init` (0: not yet). */
  readyAt = 0;
  /** When it began to take tasks (ms; 0 while starting or standby): its task rate counts from here. */
  servingSince = 0;
  memory: number | null = null;
  /** Worker started to replace this one (planned retirement). */
  replacement: WorkerSlot | null = null;
  /** Worker this one replaces. */
  replaces: WorkerSlot | null = null;
  startError: unknown;
  timers: ReturnType<typeof setTimeout>[] = [];

  constructor(
    readonly id: number,
    readonly spawnedAt: number,
  ) {
    this.lastSeen = spawnedAt;
  }

  /** Apply a lifecycle event; false if it changed nothing (see {@link transition}). */
  step(ev: LifecycleEvent): boolean {
    const next = step(this.life, ev);
    if (next === null) return false;
    this.life = next;
    return true;
  }

  /** The public state (stats, events). */
  get state(): WorkerState {
    return publicState(this.life);
  }

  /** Its exit was reported. */
  get gone(): boolean {
    return gone(this.life);
  }

  /** Its planned retirement, if any. */
  get retiring(): RetireReason | null {
    return retireOf(this.life)?.reason ?? null;
  }

  get accepting(): boolean {
    return accepting(this.life) && this.tasksSent < this.taskLimit;
  }

  /**
   * Send the coalesced outbox as one batch. If the channel refuses the batch, each message goes
   * alone, so only the runs it cannot carry fail: those are returned, with the reason.
   */
  flushOutbox(): { id: number; cause: unknown }[] {
    this.flushQueued = false;
    const batch = this.outbox;
    if (batch.length === 0 || this.gone) {
      batch.length = 0;
      return [];
    }
    this.outbox = [];
    const moves = this.outboxMoves;
    this.outboxMoves = undefined;
    const unsendable: { id: number; cause: unknown }[] = [];
    if (moves !== undefined) {
      // A moved input whose buffers are gone (moved to a worker that ended before starting it)
      // cannot be sent again: postMessage would drop the message silently.
      for (const [msg, list] of moves) {
        const i = list.findIndex(isDetached);
        if (i < 0 || msg.t !== "run") continue;
        moves.delete(msg);
        batch.splice(batch.indexOf(msg), 1);
        unsendable.push({
          id: msg.id,
          cause: new Error(`transfer[${i}] was moved to a worker that ended before it started the task`),
        });
      }
      if (batch.length === 0) return unsendable;
    }
    try {
      if (moves === undefined) this.handle.send(batch);
      else this.handle.send(batch, [...moves.values()].flat());
      return unsendable;
    } catch {
      // find the messages the channel cannot carry
    }
    for (const msg of batch) {
      try {
        this.handle.send([msg], moves?.get(msg));
      } catch (cause) {
        if (msg.t === "run") unsendable.push({ id: msg.id, cause });
      }
    }
    return unsendable;
  }

  /** The public view of this worker at time `t`. */
  info(t: number): WorkerStats {
    return {
      id: this.id,
      state: this.state,
      tasksDone: this.tasksDone,
      running: this.outstanding.size,
      started: this.startedCount(),
      age: t - this.spawnedAt,
      pid: this.handle.pid,
      threadId: this.handle.threadId,
      memory: this.memory,
      retiring: this.retiring,
    };
  }

  private startedCount(): number {
    let n = 0;
    for (const task of this.outstanding.values()) if (task.started) n++;
    return n;
  }

  clearTimers(): void {
    for (const t of this.timers) clearTimeout(t);
    this.timers.length = 0;
  }
}
