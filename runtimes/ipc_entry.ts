/**
 * Entry of a child worker of the `process` and `bun` adapters: an IPC channel (node:child_process
 * style, JSON serialization) carrying wire-format envelopes. Runs on Node, Bun and Deno.
 * Usage: <runtime> ipc_entry.(ts|js) <task module URL>
 */
import process from "node:process";
import type { FromWorker, ToWorker } from "../src/protocol.ts";
import { isExitRequest } from "../src/worker/exit_request.ts";
import { runWorker } from "../src/worker/run_worker.ts";
import { ensureTypeScript, guardExit, isTypeScript, rawExit } from "./detect.ts";
import { hostGone, startWatchdog } from "./watchdog.ts";
import {
  decodeFrame,
  ENVELOPE,
  type Envelope,
  encodeBatch,
  encodeFatal,
  envelopeBatch,
  envelopeFatal,
} from "./wire/frame.ts";

/** Longest wait for queued messages to leave before an exit goes ahead anyway. */
const FLUSH_LIMIT_MS = 2_000;

type Send = (message: Envelope | string, callback: (error: Error | null) => void) => boolean;
const channelSend = process.send?.bind(process) as Send | undefined;
if (!channelSend) throw new Error("mpms: the process entry must be started with an IPC channel");
const send: Send = channelSend;

/** The entry's own exits (before guardExit wraps process.exit for task code). */
const hardExit = rawExit();

// The parent is gone (even SIGKILLed): exit rather than live on as an orphan.
process.on("disconnect", hostGone); // with its group: the tasks' subprocesses go too
startWatchdog(); // the same while a task keeps the event loop busy

let unsent = 0;
let exitCode: number | undefined;

/** Answer in the form the host sends: envelopes, or frame text (see ipcCarriesEnvelopes). */
let envelopes = false;

function transmit(frame: Envelope | string): void {
  unsent++;
  try {
    send(frame, () => {
      unsent--;
      if (exitCode !== undefined && unsent === 0) hardExit(exitCode);
    });
  } catch {
    unsent--; // the channel closed: "disconnect" ends this process
  }
}

/** Exit once every message sent so far has been written to the channel (bounded). */
function exitAfterFlush(code: number): void {
  if (exitCode !== undefined) return;
  exitCode = code;
  if (unsent === 0) hardExit(code);
  setTimeout(() => hardExit(code), FLUSH_LIMIT_MS);
}

/** An uncaught error ends the child, as it would by default, but the parent learns what it was. */
function fatal(error: unknown): void {
  if (isExitRequest(error)) return; // an exit that waits for the running tasks (see guardExit)
  console.error(error);
  try {
    const notice = envelopes ? envelopeFatal(error) : encodeFatal(error);
    if (notice !== undefined) transmit(notice);
  } catch {
    // not even the notice can be encoded: the exit code still tells
  }
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
    transmit(envelopes ? envelopeBatch(batch) : encodeBatch(batch)); // throws before sending when a value cannot be carried
  },
  listen(handler) {
    process.on("message", (received: unknown) => {
      if (received !== null && typeof received === "object" && Object.hasOwn(received, ENVELOPE)) envelopes = true;
      const frame = decodeFrame(received);
      if (frame.kind === "batch") handler(frame.batch as ToWorker[]);
      else if (frame.kind === "invalid") fatal(new Error(`mpms: the pool sent ${frame.problem}`));
      // anything else is not the pool's (the parent's own process.send): not ours to read
    });
  },
  memory: rss,
  exit: exitAfterFlush,
});
// A task that calls process.exit() right after another task settled: that result goes out first.
guardExit(worker);
