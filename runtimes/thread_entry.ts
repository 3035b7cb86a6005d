/** Entry of a thread worker (node:worker_threads on Node, Bun and Deno). */
import { parentPort, workerData } from "node:worker_threads";
import type { FromWorker, ToWorker } from "../src/protocol.ts";
import { runWorker } from "../src/worker/run_worker.ts";
import { ensureTypeScript, flushBeforeExit } from "./detect.ts";

const port = parentPort;
if (!port) throw new Error("mpms thread entry must run in a worker thread");

await ensureTypeScript((workerData as { module: string }).module).catch((err) => {
  // Reported by the runner as an init error when it imports the module.
  console.error(String(err?.message ?? err));
});

const worker = runWorker({
  send(batch: FromWorker[]) {
    port.postMessage(batch);
  },
  listen(handler) {
    port.on("message", (batch: ToWorker[]) => handler(batch));
  },
  memory() {
    return process.memoryUsage().heapUsed;
  },
  exit(code) {
    process.exit(code);
  },
});
flushBeforeExit(worker.flush);
