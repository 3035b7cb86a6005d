/** The pool's record of one worker: its handle, state, tasks in flight (in send order) and timers. */
import type { WorkerHandle } from "./adapter.ts";
import type { RetireReason } from "./events.ts";
import type { ToWorker } from "./protocol.ts";
import type { WorkerState } from "./stats.ts";
import type { Task } from "./task.ts";

export class WorkerSlot {
  state: WorkerState = "starting";
  handle!: WorkerHandle;
  /** Tasks sent and not settled, in send order: the first `concurrency` are running. */
  readonly outstanding = new Map<number, Task>();
  outbox: ToWorker[] = [];
  flushQueued = false;
  tasksDone = 0;
  tasksSent = 0;
  /** This incarnation retires after this many tasks. */
  taskLimit = Number.POSITIVE_INFINITY;
  lastSeen: number;
  memory: number | null = null;
  /** Set when a planned retirement starts; the worker takes no new tasks. */
  retiring: RetireReason | null = null;
  /** Set when the pool kills the worker. */
  killReason: RetireReason | null = null;
  stopSent = false;
  /** Retiring with unstarted tasks handed back to the queue (false: finish them first). */
  handBack = false;
  stopTimerArmed = false;
  killSent = false;
  exitSeen = false;
  zombieCounted = false;
  /** Worker started to replace this one (planned retirement). */
  replacement: WorkerSlot | null = null;
  /** Worker this one replaces. */
  replaces: WorkerSlot | null = null;
  startError: unknown;
  timers: ReturnType<typeof setTimeout>[] = [];
  /** The worker reported "stopped": finalize ran after all its tasks were done or handed back. */
  finalized = false;
  /** One of the workers start() waits for. */
  initial = false;
  /** Running tasks when killed by a runtime that cannot stop busy workers. */
  zombie = false;

  constructor(
    readonly id: number,
    readonly spawnedAt: number,
  ) {
    this.lastSeen = spawnedAt;
  }

  get accepting(): boolean {
    return this.state === "ready" && this.retiring === null && !this.killSent && this.tasksSent < this.taskLimit;
  }

  clearTimers(): void {
    for (const t of this.timers) clearTimeout(t);
    this.timers.length = 0;
  }
}
