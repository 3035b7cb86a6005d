/**
 * `adapter: "thread"`: node:worker_threads, which behaves the same on Node, Bun and Deno
 * (exit codes, error events). On Deno, terminate() does not stop a thread stuck in a CPU loop,
 * hence `canKillBusy: false` there.
 */
import { Worker } from "node:worker_threads";
import type { Adapter, AdapterOptions, SpawnRequest, WorkerHandle } from "../src/adapter.ts";
import type { FromWorker, ToWorker } from "../src/protocol.ts";
import { currentRuntime, isTypeScript } from "./detect.ts";

const ENTRY = new URL(`./thread_entry${import.meta.url.endsWith(".ts") ? ".ts" : ".js"}`, import.meta.url);

/** On Node, a TypeScript entry (running from source) is loaded through tsx, registered first. */
function nodeTsShim(): string {
  const tsx = import.meta.resolve("tsx/esm/api");
  return `import(${JSON.stringify(tsx)}).then((m) => m.register()).then(() => import(${JSON.stringify(ENTRY.href)}))`;
}

export default function threadAdapter(options: AdapterOptions): Adapter {
  const runtime = currentRuntime();
  const viaShim = runtime === "node" && isTypeScript(ENTRY.pathname);
  const shim = viaShim ? nodeTsShim() : "";
  return {
    name: "thread",
    canKillBusy: runtime !== "deno",
    isolated: false,
    spawn(request: SpawnRequest): WorkerHandle {
      const workerData = { module: options.module.href };
      const worker = viaShim
        ? new Worker(shim, { eval: true, workerData, env: options.env, execArgv: options.execArgv })
        : new Worker(ENTRY, { workerData, env: options.env, execArgv: options.execArgv });
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
