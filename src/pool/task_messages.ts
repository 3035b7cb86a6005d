/**
 * What a worker's task messages mean for its tasks: start reports, progress, results, hand-backs,
 * its exit notice, and the held list of a beat. The engine owns the tasks and settles them; this
 * module decides what each message does to them, through {@link TaskMessagesHost}. One small
 * function per kind of message, so that each stays small and is compiled early on the hot path.
 */
import { TaskTimeoutError } from "../errors.ts";
import type { FromWorker } from "../protocol.ts";
import { movablesIn } from "../transfer.ts";
import { fromWireError } from "../wire_error.ts";
import type { SettleKind } from "./counters.ts";
import { Clock, type Task } from "./task.ts";
import type { TaskClocks } from "./task_clocks.ts";
import { alive } from "./worker_lifecycle.ts";
import type { WorkerSlot } from "./worker_slot.ts";

type Message<T extends FromWorker["t"]> = Extract<FromWorker, { t: T }>;

/** What the messages need from the engine. */
export interface TaskMessagesHost {
  readonly clocks: TaskClocks;
  readonly workers: {
    gracefulDie(slot: WorkerSlot, boundRunning?: boolean): void;
    armStopTimer(slot: WorkerSlot): void;
    onChannelError(slot: WorkerSlot, received: string, kind: "lost"): void;
  };
  /** The one place a task settles (`fromWorker`: the worker gave this outcome). */
  settle(task: Task, ok: boolean, value: unknown, kind: SettleKind, fromWorker?: boolean): void;
  /** Tasks go back to the front of the queue, in order. */
  requeue(tasks: Task[]): void;
  /** A running task's progress. */
  progress(task: Task, slot: WorkerSlot, value: unknown): void;
}

/** A worker's task messages, in order (the supervisor read the batch and handles the rest). */
export function onTaskMessages(host: TaskMessagesHost, slot: WorkerSlot, msgs: FromWorker[]): void {
  for (const msg of msgs) {
    switch (msg.t) {
      case "started":
        started(host, slot, msg.ids);
        break;
      case "progress": {
        const task = slot.outstanding.get(msg.id);
        if (task) host.progress(task, slot, msg.value); // else settled already: dropped
        break;
      }
      case "ok":
      case "err":
        result(host, slot, msg);
        break;
      case "returned":
        returned(host, slot, msg);
        break;
      case "exiting":
        exiting(host, slot, msg);
        break;
      case "hb":
        if (msg.runs !== undefined && msg.held !== undefined) checkHeld(host, slot, msg.runs, msg.held);
        break;
    }
  }
}

function started(host: TaskMessagesHost, slot: WorkerSlot, ids: readonly number[]): void {
  for (const id of ids) {
    const task = slot.outstanding.get(id);
    if (!task) continue; // settled already without the worker's word
    // Reported after the pool killed the worker (the batch was in flight): the kill was decided
    // without it, so the task is no victim of it and goes back to the queue. A task killed for
    // its own timeout before its report came keeps that outcome.
    if (!alive(slot.life) && !task.timedOut) continue;
    task.started = true;
    host.clocks.start(task, Clock.Exact, slot.lastSeen);
  }
}

function result(host: TaskMessagesHost, slot: WorkerSlot, msg: Message<"ok"> | Message<"err">): void {
  // A graceful die first: the worker starts nothing after it, so no task gets a clock.
  if (msg.t === "err" && msg.die) host.workers.gracefulDie(slot);
  const task = slot.outstanding.get(msg.id);
  if (!task) {
    slot.late.delete(msg.id); // settled already (timeout, abort): exactly once
    return;
  }
  task.started = true;
  if (msg.t === "ok") host.settle(task, true, msg.value, "completed", true);
  else if (task.abortSent === "abort") host.settle(task, false, task.signal?.reason, "cancelled", true);
  else if (task.abortSent === "timeout" || (task.timeoutAborted && msg.error.name === "TimeoutError")) {
    const err = new TaskTimeoutError(task.timeout);
    (err as { cause?: unknown }).cause = fromWireError(msg.error);
    host.settle(task, false, err, "timeout", true);
  } else host.settle(task, false, fromWireError(msg.error), "failed", true);
}

/** The worker handed back tasks it had not started (work stealing, a stop, a stray exit). */
function returned(host: TaskMessagesHost, slot: WorkerSlot, msg: Message<"returned">): void {
  slot.stealSent = false;
  for (const back of msg.inputs ?? []) {
    // a moved input came back with its buffers: the task can be sent again
    const task = slot.outstanding.get(back.id);
    if (task?.moves === undefined) continue;
    task.input = back.input;
    task.moves = movablesIn(back.input);
  }
  host.requeue(msg.ids.map((id) => slot.outstanding.get(id)).filter((t): t is Task => t !== undefined));
  host.clocks.promote(slot);
  if (slot.outstanding.size === 0) host.workers.armStopTimer(slot);
}

function exiting(host: TaskMessagesHost, slot: WorkerSlot, msg: Message<"exiting">): void {
  if (msg.id !== undefined) {
    // Its own exit: it was running, and ends with the worker (unless the pool had killed the
    // worker before it heard: then, as for a late start report, it runs again).
    const task = slot.outstanding.get(msg.id);
    if (task && (alive(slot.life) || task.timedOut)) task.started = true;
  } else if (msg.wait === true) {
    // A stray exit from outside any task body: the worker finishes what runs, hands back the
    // rest and exits; the pool retires it as for a graceful die (replaced first), but the
    // running tasks are bounded by their own timeouts, not gracefulDie.timeout.
    host.workers.gracefulDie(slot, false);
  }
}

/**
 * A beat lists what the worker holds after it received its first `runs` tasks. Its answers
 * travel ahead of the beat on the same ordered channel, so a task among those that is neither
 * held nor answered was lost (a result the channel dropped): the worker ran it, so it fails
 * with the worker, which is killed as a broken channel. Bounds every task to the heartbeat.
 */
function checkHeld(host: TaskMessagesHost, slot: WorkerSlot, runs: number, held: number[]): void {
  const lost: Task[] = [];
  for (const task of slot.outstanding.values()) {
    if (task.sendSeq <= runs && !held.includes(task.id)) lost.push(task);
  }
  if (lost.length === 0) return;
  for (const task of lost) task.started = true;
  host.workers.onChannelError(
    slot,
    `no answer for task${lost.length > 1 ? "s" : ""} ${lost.map((t) => t.id).join(", ")}`,
    "lost",
  );
}
