/**
 * Entry of a child worker of the `deno` adapter: protocol batches as strict-JSON lines, read from
 * stdin and written to stdout behind the {@link FRAME} mark (so `console.log` in a task cannot
 * corrupt the channel). Writes are synchronous: nothing is pending when the child exits.
 * Usage: deno run <permissions> deno_entry.ts <task module URL>
 */
import type { FromWorker, ToWorker } from "../src/protocol.ts";
import { isExitRequest } from "../src/worker/exit_request.ts";
import { runWorker } from "../src/worker/run_worker.ts";
import { guardExit } from "./detect.ts";
import { type AsyncReader, FRAME, readerSource, readLines, type SyncWriter, writeAllSync } from "./ndjson.ts";
import { hostGone, startWatchdog } from "./watchdog.ts";
import { decodeFrame, encodeBatch, encodeFatal } from "./wire/frame.ts";

/** The part of the Deno namespace this entry uses. */
interface DenoApi {
  stdin: AsyncReader;
  stdout: SyncWriter;
  exit(code: number): never;
  memoryUsage(): { rss: number };
}
const deno = (globalThis as unknown as { Deno?: DenoApi }).Deno;
if (!deno) throw new Error("mpms: the deno entry runs on Deno only");
const host: DenoApi = deno;
/** The entry's own exits (before guardExit wraps Deno.exit for task code). */
const hardExit = deno.exit.bind(deno) as (code: number) => never;
startWatchdog(); // exits this child once the host is gone, even while a task keeps it busy

const encoder = new TextEncoder();

function transmit(text: string): void {
  try {
    writeAllSync(host.stdout, encoder.encode(`${FRAME}${text}\n`));
  } catch {
    hardExit(0); // stdout is closed: the parent is gone
  }
}

/** An uncaught error ends the child, as it would by default, but the parent learns what it was. */
function fatal(error: unknown): void {
  console.error(error);
  const notice = encodeFatal(error);
  if (notice !== undefined) transmit(notice);
  hardExit(1);
}
addEventListener("error", (event) => {
  event.preventDefault();
  const error = (event as ErrorEvent).error;
  if (!isExitRequest(error)) fatal(error); // an exit that waits for the running tasks (see guardExit)
});
addEventListener("unhandledrejection", (event) => {
  event.preventDefault();
  const reason = (event as PromiseRejectionEvent).reason;
  if (!isExitRequest(reason)) fatal(reason);
});

const worker = runWorker({
  send(batch: FromWorker[]) {
    transmit(encodeBatch(batch)); // throws before writing when a value cannot be carried
  },
  listen(handler) {
    const done = readLines(readerSource(host.stdin), (line) => {
      if (line === "") return;
      const frame = decodeFrame(line);
      if (frame.kind === "batch") handler(frame.batch as ToWorker[]);
      else
        fatal(
          new Error(
            `mpms: the pool sent ${frame.kind === "invalid" ? frame.problem : "a line that is not an mpms frame"}`,
          ),
        );
    });
    // stdin closed: the parent is gone (even SIGKILLed). No orphans: the group goes too.
    void done.then(hostGone);
  },
  memory: () => host.memoryUsage().rss,
  exit: (code) => hardExit(code),
});
// A task that calls Deno.exit() right after another task settled: that result goes out first.
guardExit(worker);
