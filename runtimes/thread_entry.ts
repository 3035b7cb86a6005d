/** Entry of a thread worker (node:worker_threads on Node, Bun and Deno). */
import { type MessagePort, workerData } from "node:worker_threads";
import type { FromWorker, ToWorker } from "../src/protocol.ts";
import { isExitRequest } from "../src/worker/exit_request.ts";
import { runWorker } from "../src/worker/run_worker.ts";
import { ensureTypeScript, guardExit } from "./detect.ts";

// The protocol's own port (parentPort stays the task code's to use).
const port = (workerData as { port?: MessagePort } | null)?.port;
if (!port) throw new Error("mpms thread entry must run in a worker thread started by the thread adapter");

await ensureTypeScript((workerData as { module: string }).module).catch((err) => {
  // Reported by the runner as an init error when it imports the module.
  console.error(String(err?.message ?? err));
});

const worker = runWorker({
  send(batch: FromWorker[], transfer) {
    if (transfer === undefined) port.postMessage(batch);
    else port.postMessage(batch, transfer as never);
  },
  listen(handler) {
    port.on("message", (batch: ToWorker[]) => handler(batch));
  },
  memory() {
    return process.memoryUsage().heapUsed;
  },
  exit(code) {
    exits.exit(code);
  },
});
const exits = guardExit(worker);

// An exit that waits for the running tasks unwinds its caller with an ExitRequest: swallow it.
// Any other uncaught error ends the thread as it would without this listener (the pool gets
// the error event), rethrown on a fresh turn once the listener is gone.
const onUncaught = (error: unknown): void => {
  if (isExitRequest(error)) return;
  process.off("uncaughtException", onUncaught);
  exits.disarm(); // the runtime's own exit on an uncaught error must not wait for tasks
  setTimeout(() => {
    throw error;
  }, 0);
};
process.on("uncaughtException", onUncaught);
