/**
 * A fake adapter whose workers run in this process: each spawn runs `runWorker` over an
 * in-memory endpoint. Both directions copy each batch with structuredClone (so an unclonable
 * value throws at send, as on a real channel) and deliver it on a later macrotask. No runtime
 * API is involved: what a test proves with it is the pool's own logic.
 *
 * Limits: a task cannot be stopped (kill() cuts the channel and reports the exit; the task runs
 * on, unseen), and tasks must not call process.exit. A killed worker is asked to stop, so its
 * heartbeat timer ends once its tasks have.
 */
import type { Adapter, SpawnRequest, WorkerHandle } from "../../src/adapter.ts";
import type { FromWorker, ToWorker } from "../../src/protocol.ts";
import { runWorker } from "../../src/worker/run_worker.ts";

export interface MemoryAdapterOptions {
  /** kill() reports nothing (a runtime that cannot stop the worker). */
  ignoreKill?: boolean;
}

export function memoryAdapter(options: MemoryAdapterOptions = {}): Adapter {
  return {
    name: "memory",
    canKillBusy: true,
    isolated: false,
    spawn(request: SpawnRequest): WorkerHandle {
      let alive = true;
      let exited = false;
      let toRunner: ((batch: ToWorker[]) => void) | undefined;
      const inbox: ToWorker[][] = [];
      // Worker → pool batches are delivered in order; the exit only after the last of them.
      let inFlight = 0;
      let pendingExit: { code: number | null; signal: string | null } | undefined;
      const reportExit = (exit: { code: number | null; signal: string | null }): void => {
        if (exited) return;
        if (inFlight > 0) {
          pendingExit = exit;
          return;
        }
        exited = true;
        request.onExit(exit);
      };
      runWorker({
        send(batch: FromWorker[]) {
          if (!alive) return;
          const copy = structuredClone(batch);
          inFlight++;
          setTimeout(() => {
            inFlight--;
            if (!exited) request.onMessages(copy);
            if (inFlight === 0 && pendingExit) reportExit(pendingExit);
          }, 0);
        },
        listen(handler) {
          toRunner = handler;
          for (const batch of inbox.splice(0)) handler(batch);
        },
        memory: () => 0,
        exit(code) {
          if (!alive) return;
          alive = false;
          reportExit({ code, signal: null });
        },
      });
      return {
        pid: null,
        threadId: null,
        send(batch: ToWorker[]) {
          if (!alive) return;
          const copy = structuredClone(batch);
          setTimeout(() => {
            if (!alive) return;
            if (toRunner) toRunner(copy);
            else inbox.push(copy);
          }, 0);
        },
        kill() {
          if (options.ignoreKill || !alive) return;
          alive = false;
          toRunner?.([{ t: "stop", handBack: false }]);
          setTimeout(() => reportExit({ code: null, signal: "SIGKILL" }), 0);
        },
      };
    },
  };
}
