/**
 * A test adapter that wraps a real one (or the in-memory fake) and injects faults at the seam:
 * messages from a worker dropped, duplicated, delayed or reordered; batches to a worker dropped,
 * duplicated, delayed, refused (send throws) or fatal (the worker dies instead of receiving it); an exit
 * reported from inside kill(). What it counts, it exposes, so a test can show the fault happened.
 */
import type { Adapter, SpawnRequest, WorkerExit, WorkerHandle } from "../../src/adapter.ts";
import type { FromWorker, ToWorker } from "../../src/protocol.ts";
import { Rng } from "../chaos/rng.ts";

export type FromAction = "deliver" | "drop" | "duplicate";
export type ToAction = "deliver" | "drop" | "duplicate" | "throw" | "die";

export interface Faults {
  /** Each message from a worker: deliver (default), drop, or deliver twice. */
  fromWorker?: (msg: FromWorker, info: { workerId: number }) => FromAction;
  /** Delay every batch from a worker by this many ms; the order is kept. */
  delayFromWorker?: number;
  /** Hold the messages from a worker for `hold` ms, then deliver them shuffled (seeded). */
  reorderFromWorker?: { seed: number; hold: number };
  /**
   * Each batch the pool sends: deliver (default), drop, deliver twice, throw from send() (as
   * for an unserializable batch; nothing is sent), or die: the worker is killed instead.
   * `sendIndex` counts this worker's sends from 1; `totalSends` counts all workers'.
   */
  toWorker?: (batch: ToWorker[], info: { workerId: number; sendIndex: number; totalSends: number }) => ToAction;
  /** Deliver this batch to the worker after this many ms (0: at once); later batches wait behind it. */
  delayToWorker?: (batch: ToWorker[], info: { workerId: number; sendIndex: number }) => number;
  /** kill() reports the exit before it returns (Deno's worker_threads terminate() does). */
  syncExitOnKill?: boolean;
  /** The worker's exit is never reported (a runtime that loses it). */
  neverReportExit?: boolean;
  /** spawn() throws for these spawn numbers (counted from 1 over the adapter's life). */
  spawnThrows?: (spawnNumber: number) => boolean;
}

export interface FaultCounts {
  dropped: number;
  duplicated: number;
  delayed: number;
  reordered: number;
  refused: number;
  died: number;
  spawnsRefused: number;
  sendsDropped: number;
  sendsDuplicated: number;
  sendsDelayed: number;
}

export interface FaultAdapter extends Adapter {
  readonly counts: FaultCounts;
}

export function faultAdapter(inner: Adapter, faults: Faults): FaultAdapter {
  const counts: FaultCounts = {
    dropped: 0,
    duplicated: 0,
    delayed: 0,
    reordered: 0,
    refused: 0,
    died: 0,
    spawnsRefused: 0,
    sendsDropped: 0,
    sendsDuplicated: 0,
    sendsDelayed: 0,
  };
  const rng = new Rng(faults.reorderFromWorker?.seed ?? 1);
  let totalSends = 0;
  let spawns = 0;
  return {
    name: `fault(${inner.name})`,
    canKillBusy: inner.canKillBusy,
    isolated: inner.isolated,
    counts,
    spawn(request: SpawnRequest): WorkerHandle {
      spawns++;
      if (faults.spawnThrows?.(spawns)) {
        counts.spawnsRefused++;
        throw new Error(`fault: spawn ${spawns} refused`);
      }
      const workerId = request.workerId;
      let exited = false;
      let held = 0; // batches delayed or held for reordering, not yet delivered
      let pendingExit: WorkerExit | undefined;
      let holding: FromWorker[] = [];
      let holdTimer: ReturnType<typeof setTimeout> | undefined;

      const exit = (info: WorkerExit): void => {
        if (exited || faults.neverReportExit) return;
        if (held > 0) {
          pendingExit = info; // after the messages still in flight, as the seam requires
          return;
        }
        exited = true;
        request.onExit(info);
      };
      const deliver = (batch: FromWorker[]): void => {
        if (!exited && batch.length > 0) request.onMessages(batch);
      };
      const release = (): void => {
        held--;
        if (held === 0 && pendingExit) exit(pendingExit);
      };
      const onMessages = (batch: FromWorker[]): void => {
        const out: FromWorker[] = [];
        for (const msg of batch) {
          const action = faults.fromWorker?.(msg, { workerId }) ?? "deliver";
          if (action === "drop") counts.dropped++;
          else if (action === "duplicate") {
            counts.duplicated++;
            out.push(msg, structuredClone(msg));
          } else out.push(msg);
        }
        const reorder = faults.reorderFromWorker;
        if (reorder) {
          holding.push(...out);
          if (holdTimer === undefined) {
            held++;
            holdTimer = setTimeout(() => {
              holdTimer = undefined;
              const msgs = holding;
              holding = [];
              for (let i = msgs.length - 1; i > 0; i--) {
                const j = rng.int(0, i);
                [msgs[i], msgs[j]] = [msgs[j] as FromWorker, msgs[i] as FromWorker];
              }
              counts.reordered += msgs.length;
              // Shuffled messages go out in small batches of 1-3.
              for (let i = 0; i < msgs.length; ) {
                const n = rng.int(1, 3);
                deliver(msgs.slice(i, i + n));
                i += n;
              }
              release();
            }, reorder.hold);
          }
          return;
        }
        const delay = faults.delayFromWorker ?? 0;
        if (delay > 0) {
          counts.delayed++;
          held++;
          setTimeout(() => {
            deliver(out);
            release();
          }, delay);
          return;
        }
        deliver(out);
      };

      let sendIndex = 0;
      let killedHere = false;
      // Batches to the worker keep their order: once one is delayed, later ones queue behind it.
      const outbox: ToWorker[][] = [];
      let outboxTimer: ReturnType<typeof setTimeout> | undefined;
      const forward = (batch: ToWorker[]): void => {
        const delay = faults.delayToWorker?.(batch, { workerId, sendIndex }) ?? 0;
        if (delay <= 0 && outbox.length === 0) {
          innerHandle.send(batch);
          return;
        }
        counts.sendsDelayed++;
        outbox.push(batch);
        if (outboxTimer === undefined) {
          outboxTimer = setTimeout(
            () => {
              outboxTimer = undefined;
              for (const b of outbox.splice(0)) innerHandle.send(b);
            },
            Math.max(delay, 1),
          );
        }
      };
      const innerHandle = inner.spawn({
        workerId,
        onMessages,
        onChannelError: (received) => request.onChannelError(received),
        onForeignMessage: (received) => request.onForeignMessage(received),
        onExit: (info) => {
          if (killedHere && faults.syncExitOnKill) return; // already reported from kill()
          exit(info);
        },
      });
      return {
        pid: innerHandle.pid,
        threadId: innerHandle.threadId,
        send(batch: ToWorker[]) {
          sendIndex++;
          totalSends++;
          const action = faults.toWorker?.(batch, { workerId, sendIndex, totalSends }) ?? "deliver";
          switch (action) {
            case "drop":
              counts.sendsDropped++;
              return;
            case "throw":
              counts.refused++;
              throw new TypeError("fault: this batch cannot be sent");
            case "die":
              counts.died++;
              innerHandle.kill(0);
              return;
            case "duplicate":
              counts.sendsDuplicated++;
              forward(batch);
              forward(batch);
              return;
            default:
              forward(batch);
          }
        },
        kill(graceMs?: number) {
          innerHandle.kill(graceMs);
          if (faults.syncExitOnKill && !exited) {
            killedHere = true;
            exit({ code: 1, signal: null });
          }
        },
      };
    },
  };
}
