/**
 * A sent task's timeout clock and deadlines, and what each deadline does. The clock counts from
 * the task's start: exact when the worker said so, inferred when the worker had a free lane for
 * it (a safety net for a start report stuck behind a long synchronous task; never used for an
 * outcome). At the soft deadline the task's signal is aborted; at the hard one (soft + killGrace,
 * or killGrace after a user abort) the outcome is recorded first, then the worker is killed if
 * the task runs, or is what blocks it.
 */

import { TaskTimeoutError } from "../errors.ts";
import type { ToWorker } from "../protocol.ts";
import { toWireError } from "../wire_error.ts";
import type { SettleKind } from "./counters.ts";
import { type Deadline, Deadlines } from "./deadlines.ts";
import type { RetireReason } from "./events.ts";
import type { ResolvedOptions } from "./options.ts";
import { Clock, type Task, TaskState } from "./task.ts";
import { mayStart } from "./worker_lifecycle.ts";
import type { WorkerSlot } from "./worker_slot.ts";

/**
 * The clock, looked up once: on Node the global `performance` is an accessor, and reading it
 * costs a getter call on every `performance.now()` of the hot path.
 */
const clock = performance;
const now = (): number => clock.now();

/** Deadline kinds. */
const SOFT = 0; // task timeout: abort ctx.signal
const HARD = 1; // timeout/abort + kill grace: settle, then kill the worker
const CHECK = 2; // an unstarted task waited for its start report: is its worker silent now?
/** A hard deadline the host noticed this late (ms) was due while its event loop was blocked… */
const NOTICED_LATE_MS = 20;
/** …and is judged this long after (ms), once the messages that came meanwhile are read. */
const PUT_OFF_MS = 5;

/** What the clocks need from the pool. */
export interface ClocksHost {
  settle(task: Task, ok: boolean, value: unknown, kind: SettleKind): void;
  send(slot: WorkerSlot, msg: ToWorker): void;
  readonly workers: {
    kill(slot: WorkerSlot, reason: RetireReason): void;
    responsive(slot: WorkerSlot): boolean;
    readonly silentAfter: number;
  };
}

export class TaskClocks {
  private readonly deadlines: Deadlines<Task>;

  constructor(
    private readonly opts: Pick<ResolvedOptions, "concurrency" | "killGrace">,
    private readonly host: ClocksHost,
  ) {
    this.deadlines = new Deadlines(now, (entry) => this.onDeadline(entry));
  }

  /**
   * Start (or confirm) a task's timeout clock. An exact start keeps an inferred clock's time
   * (it is earlier by no more than the channel's latency); a task with no clock starts now.
   */
  start(task: Task, clock: Clock, at: number): void {
    if (task.clock !== Clock.None) {
      if (clock === Clock.Exact) task.clock = Clock.Exact;
      return;
    }
    (task.worker as WorkerSlot).clocked++;
    task.clock = clock;
    task.startedAt = at;
    this.deadlines.remove(task.check);
    task.check = undefined;
    if (task.timeout !== Number.POSITIVE_INFINITY) {
      task.soft = this.deadlines.add(at + task.timeout, task, SOFT, task.deadlineGen);
    }
  }

  /** The task leaves its worker (settled or re-queued): its clock and deadlines go. */
  leave(task: Task, slot: WorkerSlot): void {
    if (task.clock !== Clock.None) slot.clocked--;
    this.drop(task);
  }

  /** Its deadlines go (it settled). */
  drop(task: Task): void {
    this.deadlines.remove(task.soft);
    this.deadlines.remove(task.hard);
    this.deadlines.remove(task.check);
    task.soft = undefined;
    task.hard = undefined;
    task.check = undefined;
  }

  /** A user abort was sent for the task: its hard deadline is killGrace from now. */
  aborted(task: Task): void {
    this.deadlines.remove(task.hard);
    task.hard = this.deadlines.add(now() + this.opts.killGrace, task, HARD, task.deadlineGen);
  }

  clear(): void {
    this.deadlines.clear();
  }

  /**
   * When a task is sent to or leaves a live worker, the first ones in send order within
   * `concurrency` get an inferred clock: the worker has room for them, so they have probably
   * started (their start report may be stuck behind a long synchronous task). Only for
   * timeouts, never for outcomes. `at`: now, if the caller has just read the clock.
   */
  promote(slot: WorkerSlot, at?: number): void {
    const limit = this.opts.concurrency;
    if (slot.clocked >= limit || !mayStart(slot.life)) return;
    // `at`: the caller's clock reading of this instant (a dispatch), else read once it is needed.
    let t = at ?? -1;
    for (const task of slot.outstanding.values()) {
      if (slot.clocked >= limit) break;
      if (task.clock !== Clock.None) continue;
      if (t < 0) t = now();
      this.start(task, Clock.Inferred, t);
    }
  }

  private onDeadline(entry: Deadline<Task>): void {
    const task = entry.item;
    if (task.state !== TaskState.Sent || entry.gen !== task.deadlineGen) return;
    const slot = task.worker as WorkerSlot;
    if (entry.kind === SOFT) {
      task.soft = undefined;
      if (task.abortSent !== null) return;
      task.abortSent = "timeout";
      task.timeoutAborted = true;
      const reason = toWireError(
        Object.assign(new Error(`task timed out after ${task.timeout} ms`), { name: "TimeoutError" }),
      );
      // ifStarted: a task the worker has not started (its clock was inferred) stays queued there.
      this.host.send(slot, { t: "abort", id: task.id, reason, ifStarted: true });
      task.hard = this.deadlines.add(now() + this.opts.killGrace, task, HARD, task.deadlineGen);
      return;
    }
    if (entry.kind === CHECK) {
      task.check = undefined;
      // A clock since (it started, or got a free lane) or an abort: their deadlines decide.
      if (!task.started && task.clock === Clock.None && task.abortSent === null) this.notStarted(task, slot);
      return;
    }
    task.hard = undefined;
    // Noticed late, the host's event loop was blocked: what the worker said meanwhile (a result,
    // a start) waits behind this timer. Judged once those are read (once: a host that is always
    // late still judges).
    const t = now();
    if (t - entry.at > NOTICED_LATE_MS && !task.putOff) {
      task.putOff = true;
      task.hard = this.deadlines.add(t + PUT_OFF_MS, task, HARD, task.deadlineGen);
      return;
    }
    // HARD: record the outcome first, so it never depends on the kill working.
    if (task.abortSent === "abort") {
      // Kill only for a task that runs, or may (silent, and no other task of ours blocks it): an
      // unstarted task is dropped by the worker when it reads the abort, and its neighbours must
      // not pay for it.
      const mayRun = task.started || (!this.host.workers.responsive(slot) && !this.otherStarted(slot, task));
      this.host.settle(task, false, task.signal?.reason, "cancelled");
      if (mayRun) this.host.workers.kill(slot, "abort");
      return;
    }
    if (task.started) {
      this.host.settle(task, false, new TaskTimeoutError(task.timeout), "timeout");
      this.host.workers.kill(slot, "timeout");
      return;
    }
    task.abortSent = null;
    this.notStarted(task, slot);
  }

  /**
   * A task's deadline passed and the worker never said it started it. If the worker is silent,
   * no task of it said it started, and this one holds a lane (the worker starts in send order),
   * this task is what blocks it, its start report stuck behind it: the worker is killed, the
   * task goes back to the queue, and after MAX_REQUEUES such rounds it fails with
   * TaskTimeoutError. Otherwise it has not started: the clock was early, and it waits for its
   * start report without one; a task that started decides by its own deadline, and if the
   * worker still answered, the pool looks again once silence would tell (a task that blocks the
   * worker just as its deadline comes). So no task that never started costs a neighbour its run.
   */
  private notStarted(task: Task, slot: WorkerSlot): void {
    const answers = this.host.workers.responsive(slot);
    if (!answers && !this.otherStarted(slot, task) && this.holdsLane(slot, task)) {
      task.timedOut = true;
      this.host.workers.kill(slot, "timeout");
      return;
    }
    if (task.clock !== Clock.None) {
      slot.clocked--;
      task.clock = Clock.None;
      task.startedAt = 0;
    }
    if (answers && task.timeout !== Number.POSITIVE_INFINITY) {
      task.check = this.deadlines.add(now() + this.host.workers.silentAfter + 1, task, CHECK, task.deadlineGen);
    }
  }

  /** Whether `task` is among the first `concurrency` tasks of its worker, in send order. */
  private holdsLane(slot: WorkerSlot, task: Task): boolean {
    let ahead = 0;
    for (const other of slot.outstanding.values()) {
      if (other === task) return true;
      if (++ahead >= this.opts.concurrency) return false;
    }
    return false;
  }

  /** Whether the worker said it started some task other than `task`. */
  private otherStarted(slot: WorkerSlot, task: Task): boolean {
    for (const other of slot.outstanding.values()) if (other !== task && other.started) return true;
    return false;
  }
}
