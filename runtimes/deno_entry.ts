/**
 * Entry of a child worker of the `deno` adapter: protocol batches as strict-JSON lines, read from
 * stdin and written to stdout behind the {@link FRAME} mark (so `console.log` in a task cannot
 * corrupt the channel). Writes are synchronous: nothing is pending when the child exits.
 * Usage: deno run <permissions> deno_entry.ts <task module URL>
 */
import type { FromWorker, ToWorker } from "../src/protocol.ts";
import { runWorker } from "../src/worker/run_worker.ts";
import { flushBeforeExit } from "./detect.ts";
import { decodeJson, encodeFatal, encodeJson } from "./json_wire.ts";
import { type AsyncReader, FRAME, readerSource, readLines, type SyncWriter, writeAllSync } from "./ndjson.ts";

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

const encoder = new TextEncoder();

function transmit(text: string): void {
  try {
    writeAllSync(host.stdout, encoder.encode(`${FRAME}${text}\n`));
  } catch {
    host.exit(0); // stdout is closed: the parent is gone
  }
}

/** An uncaught error ends the child, as it would by default, but the parent learns what it was. */
function fatal(error: unknown): void {
  console.error(error);
  const notice = encodeFatal(error);
  if (notice !== undefined) transmit(notice);
  host.exit(1);
}
addEventListener("error", (event) => {
  event.preventDefault();
  fatal((event as ErrorEvent).error);
});
addEventListener("unhandledrejection", (event) => {
  event.preventDefault();
  fatal((event as PromiseRejectionEvent).reason);
});

const worker = runWorker({
  send(batch: FromWorker[]) {
    transmit(encodeJson(batch)); // throws before writing when the batch is not JSON
  },
  listen(handler) {
    const done = readLines(readerSource(host.stdin), (line) => {
      if (line !== "") handler(decodeJson<ToWorker[]>(line));
    });
    // stdin closed: the parent is gone (even SIGKILLed) or done with us. No orphans.
    void done.then(() => host.exit(0));
  },
  memory: () => host.memoryUsage().rss,
  exit: (code) => host.exit(code),
});
// A task that calls Deno.exit() right after another task settled: that result goes out first.
flushBeforeExit(worker.flush);
