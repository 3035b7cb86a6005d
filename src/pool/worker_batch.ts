/**
 * Reading one batch from a worker: checked first (the channel is hostile input), then read in
 * order, the lifecycle messages (`ready`, `initError`, `stopped`, a heartbeat's memory) by the
 * supervisor and the runs of task messages between them by the engine, each run handed over
 * before the lifecycle message that follows it.
 */
import { WorkerStartError } from "../errors.ts";
import type { FromWorker } from "../protocol.ts";
import { fromWireError } from "../wire_error.ts";
import { checkBatch } from "./channel.ts";
import type { WorkerSlot } from "./worker_slot.ts";

/** Who reads what in a batch. */
export interface BatchReader {
  /** The batch is not a protocol batch (`problem` says why). */
  channelError(slot: WorkerSlot, problem: string): void;
  ready(slot: WorkerSlot): void;
  memory(slot: WorkerSlot, bytes: number): void;
  /** A run of task messages (and heartbeats with their held tasks), in order. */
  tasks(slot: WorkerSlot, msgs: FromWorker[]): void;
}

/** Read `received` from `slot`; false if it was refused (the reader was told why). */
export function readBatch(slot: WorkerSlot, received: unknown, reader: BatchReader, at: number): boolean {
  const problem = checkBatch(received, (id) => slot.outstanding.has(id) || slot.late.has(id));
  if (problem !== null) {
    reader.channelError(slot, problem);
    return false;
  }
  slot.lastSeen = at;
  let tasks: FromWorker[] = [];
  const handOver = (): void => {
    if (tasks.length === 0) return;
    reader.tasks(slot, tasks);
    tasks = [];
  };
  for (const msg of received as FromWorker[]) {
    switch (msg.t) {
      case "ready":
        handOver();
        reader.ready(slot);
        break;
      case "initError":
        slot.startError = new WorkerStartError(`worker ${slot.id} failed to start: ${msg.error.message}`, {
          cause: fromWireError(msg.error),
        });
        break;
      case "stopped":
        handOver();
        slot.step({ e: "stopped" });
        break;
      case "hb":
        handOver();
        reader.memory(slot, msg.mem);
        if (msg.held !== undefined) tasks.push(msg); // what it holds: the engine's to check
        break;
      default:
        tasks.push(msg);
    }
  }
  handOver();
  return true;
}
