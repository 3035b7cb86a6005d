/**
 * `adapter: "thread"`: node:worker_threads, which behaves the same on Node, Bun and Deno
 * (exit codes, error events). On Deno, terminate() does not stop a thread stuck in a CPU loop,
 * hence `canKillBusy: false` there.
 */
import { existsSync } from "node:fs";
import { Worker } from "node:worker_threads";
import type { Adapter, AdapterOptions, SpawnRequest, WorkerHandle } from "../src/adapter.ts";
import type { FromWorker, ToWorker } from "../src/protocol.ts";
import { currentRuntime } from "./detect.ts";

const FROM_SOURCE = import.meta.url.endsWith(".ts");
const ENTRY = new URL(`./thread_entry${FROM_SOURCE ? ".ts" : ".js"}`, import.meta.url);
/** The built entry beside the sources (after `npm run build`). */
const BUILT_ENTRY = new URL("../dist/runtimes/thread_entry.js", import.meta.url);

/**
 * Node 20 cannot run the TypeScript entry. Running from source, use the built entry if there is
 * one (a stale build is refused by the protocol version check), else load the entry through tsx.
 */
function nodeEntry(): { entry: URL; shim: string | null } {
  if (!FROM_SOURCE) return { entry: ENTRY, shim: null };
  if (existsSync(BUILT_ENTRY)) return { entry: BUILT_ENTRY, shim: null };
  const tsx = import.meta.resolve("tsx/esm/api");
  const code = `import(${JSON.stringify(tsx)}).then((m) => m.register()).then(() => import(${JSON.stringify(ENTRY.href)}))`;
  return { entry: ENTRY, shim: code };
}

export default function threadAdapter(options: AdapterOptions): Adapter {
  const runtime = currentRuntime();
  const { entry, shim } = runtime === "node" ? nodeEntry() : { entry: ENTRY, shim: null };
  return {
    name: "thread",
    canKillBusy: runtime !== "deno",
    isolated: false,
    spawn(request: SpawnRequest): WorkerHandle {
      const workerData = { module: options.module.href };
      const worker =
        shim !== null
          ? new Worker(shim, { eval: true, workerData, env: options.env, execArgv: options.execArgv })
          : new Worker(entry, { workerData, env: options.env, execArgv: options.execArgv });
      let exited = false;
      let lastError: unknown;
      worker.on("message", (batch: FromWorker[]) => {
        if (!exited) request.onMessages(batch);
      });
      // Without an error listener Node takes the host down; the exit event follows.
      worker.on("error", (err) => {
        lastError = err;
      });
      worker.on("messageerror", (err) => {
        lastError = err;
      });
      worker.on("exit", (code) => {
        if (exited) return;
        exited = true;
        request.onExit({ code, signal: null, error: lastError });
      });
      return {
        pid: process.pid,
        threadId: worker.threadId,
        send(batch: ToWorker[]) {
          worker.postMessage(batch);
        },
        kill() {
          void worker.terminate().catch(() => {});
        },
      };
    },
  };
}
