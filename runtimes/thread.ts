/**
 * `adapter: "thread"`: node:worker_threads, which behaves the same on Node, Bun and Deno
 * (exit codes, error events). On Deno, terminate() does not stop a thread stuck in a CPU loop,
 * hence `canKillBusy: false` there.
 */

import { existsSync } from "node:fs";
import { MessageChannel, type MessagePort, receiveMessageOnPort, Worker } from "node:worker_threads";
import type { Adapter, AdapterOptions, SpawnRequest, WorkerHandle } from "../src/adapter.ts";
import { describeReceived } from "../src/pool/channel.ts";
import type { FromWorker, ToWorker } from "../src/protocol.ts";
import type { Movable } from "../src/transfer.ts";
import { currentRuntime } from "./detect.ts";
import { hostEnv, workerEnv } from "./env.ts";

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

/**
 * Take every message still queued on the protocol port. The runtime drains a worker's own
 * parentPort before it reports the exit, but not other ports: the results a thread posted just
 * before it exited (a graceful die finishing its running tasks) would be lost without this.
 */
function drainPort(port: MessagePort, deliver: (batch: FromWorker[]) => void): void {
  try {
    for (let m = receiveMessageOnPort(port); m !== undefined; m = receiveMessageOnPort(port)) {
      deliver(m.message as FromWorker[]);
    }
  } catch {
    // a runtime without receiveMessageOnPort: what is queued is lost, as before
  }
}

export default function threadAdapter(options: AdapterOptions): Adapter {
  const runtime = currentRuntime();
  const { entry, shim } = runtime === "node" ? nodeEntry() : { entry: ENTRY, shim: null };
  return {
    name: "thread",
    canKillBusy: runtime !== "deno",
    transfers: true,
    isolated: false,
    spawn(request: SpawnRequest): WorkerHandle {
      // The protocol has a port of its own: a task's parentPort.postMessage() cannot reach it.
      const { port1: port, port2 } = new MessageChannel();
      const workerData = { module: options.module.href, port: port2 };
      // The host's current environment plus `env`, without the host's own secrets, as for
      // process workers (see workerEnv).
      const env = hostEnv() === null ? options.env : workerEnv(options);
      const init = {
        workerData,
        transferList: [port2],
        env,
        execArgv: options.execArgv,
        resourceLimits: options.resourceLimits,
      };
      const worker = shim !== null ? new Worker(shim, { eval: true, ...init }) : new Worker(entry, init);
      let exited = false;
      let lastError: unknown;
      port.on("message", (batch: FromWorker[]) => {
        if (!exited) request.onMessages(batch);
      });
      worker.on("message", (message: unknown) => {
        if (!exited) request.onForeignMessage(describeReceived(message));
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
        drainPort(port, request.onMessages);
        exited = true;
        port.close();
        request.onExit({ code, signal: null, error: lastError });
      });
      return {
        pid: process.pid,
        threadId: worker.threadId,
        send(batch: ToWorker[], transfer?: readonly Movable[]) {
          if (transfer === undefined) port.postMessage(batch);
          else port.postMessage(batch, transfer as never);
        },
        kill() {
          void worker.terminate().catch(() => {});
        },
      };
    },
  };
}
