/**
 * Entry of a child worker of the `process` and `bun` adapters: an IPC channel (node:child_process
 * style, JSON serialization) carrying strict-JSON text. Runs on Node, Bun and Deno.
 * Usage: <runtime> ipc_entry.(ts|js) <task module URL>
 */
import process from "node:process";
import type { FromWorker, ToWorker } from "../src/protocol.ts";
import { runWorker } from "../src/worker/run_worker.ts";
import { ensureTypeScript, flushBeforeExit, isTypeScript } from "./detect.ts";
import { decodeJson, encodeFatal, encodeJson } from "./json_wire.ts";

/** Longest wait for queued messages to leave before an exit goes ahead anyway. */
const FLUSH_LIMIT_MS = 2_000;

type Send = (message: string, callback: (error: Error | null) => void) => boolean;
const channelSend = process.send?.bind(process) as Send | undefined;
if (!channelSend) throw new Error("mpms: the process entry must be started with an IPC channel");
const send: Send = channelSend;

// The parent is gone (even SIGKILLed): exit rather than live on as an orphan.
process.on("disconnect", () => process.exit(0));

let unsent = 0;
let exitCode: number | undefined;

function transmit(text: string): void {
  unsent++;
  try {
    send(text, () => {
      unsent--;
      if (exitCode !== undefined && unsent === 0) process.exit(exitCode);
    });
  } catch {
    unsent--; // the channel closed: "disconnect" ends this process
  }
}

/** Exit once every message sent so far has been written to the channel (bounded). */
function exitAfterFlush(code: number): void {
  if (exitCode !== undefined) return;
  exitCode = code;
  if (unsent === 0) process.exit(code);
  setTimeout(() => process.exit(code), FLUSH_LIMIT_MS);
}

/** An uncaught error ends the child, as it would by default, but the parent learns what it was. */
function fatal(error: unknown): void {
  console.error(error);
  const notice = encodeFatal(error);
  if (notice !== undefined) transmit(notice);
  exitAfterFlush(1);
}
process.on("uncaughtException", fatal);
process.on("unhandledRejection", fatal);

const moduleHref = process.argv[2] ?? "";
if (!isTypeScript(import.meta.url)) {
  // A JavaScript entry (the npm build) on Node needs tsx for a TypeScript task module.
  await ensureTypeScript(moduleHref).catch((err) => console.error(String(err?.message ?? err)));
}

const rss: () => number =
  typeof process.memoryUsage.rss === "function" ? () => process.memoryUsage.rss() : () => process.memoryUsage().rss;

const worker = runWorker({
  send(batch: FromWorker[]) {
    transmit(encodeJson(batch)); // throws before sending when the batch is not JSON
  },
  listen(handler) {
    process.on("message", (text: string) => handler(decodeJson<ToWorker[]>(text)));
  },
  memory: rss,
  exit: exitAfterFlush,
});
// A task that calls process.exit() right after another task settled: that result goes out first.
flushBeforeExit(worker.flush);
