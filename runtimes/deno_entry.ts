/**
 * Entry of a child worker of the `deno` adapter: protocol batches as wire format lines (docs/adapters.md). With
 * `--mpms-channel=<path>` they go over the host's Unix socket at that path (connected before
 * anything else runs; stdin, stdout and stderr are then the task's own); without it, over stdin
 * and, behind the {@link FRAME} mark, stdout (so `console.log` in a task cannot corrupt the
 * channel). Either way the child exits once the channel ends: the host is gone.
 * Usage: deno run <permissions> deno_entry.ts <task module URL> [--mpms-watchdog] [--mpms-channel=<path>]
 */
import type { FromWorker, ToWorker } from "../src/protocol.ts";
import { ExitRequest, isExitRequest } from "../src/worker/exit_request.ts";
import { runWorker } from "../src/worker/run_worker.ts";
import { ByteQueue } from "./byte_queue.ts";
import { CHANNEL_ARGUMENT, type SocketConn } from "./deno_socket.ts";
import { guardExit } from "./detect.ts";
import { type AsyncReader, FRAME, readerSource, readLines, type SyncWriter, writeAllSync } from "./ndjson.ts";
import { hostGone, startWatchdog } from "./watchdog.ts";
import { decodeFrame, encodeBatch, encodeFatal } from "./wire/frame.ts";

/** Longest wait for queued frames to leave before an exit goes ahead anyway. */
const FLUSH_LIMIT_MS = 2_000;

/** The part of the Deno namespace this entry uses. */
interface DenoApi {
  args: string[];
  stdin: AsyncReader;
  stdout: SyncWriter;
  connect(options: { transport: "unix"; path: string }): Promise<SocketConn>;
  exit(code: number): never;
  memoryUsage(): { rss: number };
}
const deno = (globalThis as unknown as { Deno?: DenoApi }).Deno;
if (!deno) throw new Error("mpms: the deno entry runs on Deno only");
const host: DenoApi = deno;
/** The entry's own exits (before guardExit wraps Deno.exit for task code). */
const hardExit = deno.exit.bind(deno) as (code: number) => never;
startWatchdog(); // exits this child once the host is gone, even while a task keeps it busy

/** The channel to the host, whichever it is. */
interface ChildChannel {
  /** Send one frame (without its line end). */
  transmit(text: string): void;
  /** Call `onLine` for each line from the host; settles when the host closed the channel. */
  read(onLine: (line: string) => void): Promise<void>;
  /** True while frames wait to be written. */
  readonly busy: boolean;
  drained(): Promise<void>;
}

const encoder = new TextEncoder();

function stdioChannel(): ChildChannel {
  return {
    transmit(text) {
      try {
        writeAllSync(host.stdout, encoder.encode(`${FRAME}${text}\n`)); // synchronous: never pending
      } catch {
        hardExit(0); // stdout is closed: the parent is gone
      }
    },
    read: (onLine) => readLines(readerSource(host.stdin), onLine),
    busy: false,
    drained: () => Promise.resolve(),
  };
}

async function socketChannel(path: string): Promise<ChildChannel> {
  let conn: SocketConn;
  try {
    conn = await host.connect({ transport: "unix", path });
  } catch (error) {
    console.error(`mpms: the deno worker cannot connect to its pool at ${path}:`, error);
    return hardExit(1);
  }
  const queue = new ByteQueue(hostGone); // a write fails only once the host is gone
  queue.attach(conn);
  return {
    transmit: (text) => queue.write(encoder.encode(`${text}\n`)),
    read: (onLine) => readLines(readerSource(conn), onLine),
    get busy() {
      return queue.busy;
    },
    drained: () => queue.drained(),
  };
}

const prefix = `${CHANNEL_ARGUMENT}=`;
const socketPath = host.args.find((arg) => arg.startsWith(prefix))?.slice(prefix.length);
const channel = socketPath === undefined ? stdioChannel() : await socketChannel(socketPath);

let exitCode: number | undefined;
/** Exit once every frame sent so far has been written (bounded by {@link FLUSH_LIMIT_MS}). */
function exitAfterFlush(code: number): void {
  if (exitCode !== undefined) return;
  exitCode = code;
  if (!channel.busy) hardExit(code);
  void channel.drained().then(() => hardExit(code));
  setTimeout(() => hardExit(code), FLUSH_LIMIT_MS);
}

/** An uncaught error ends the child, as it would by default, but the parent learns what it was. */
function fatal(error: unknown): void {
  console.error(error);
  const notice = encodeFatal(error);
  if (notice !== undefined) channel.transmit(notice);
  exitAfterFlush(1);
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
    channel.transmit(encodeBatch(batch)); // throws before writing when a value cannot be carried
  },
  listen(handler) {
    const done = channel.read((line) => {
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
    // The channel closed: the parent is gone (even SIGKILLed). No orphans: the group goes too.
    void done.then(hostGone);
  },
  memory: () => host.memoryUsage().rss,
  exit: exitAfterFlush,
  // A slow task starts once the frames before it are written (a spinning task stops the event loop).
  unsent: () => (channel.busy ? channel.drained() : undefined),
});
/**
 * The exit task code reaches (through guardExit, which has sent everything posted so far): at once
 * if no frame waits to be written (always so on stdio); otherwise once they are written, unwinding
 * the caller meanwhile as a deferred exit does (an {@link ExitRequest}, which the runner and the
 * error listeners above take as the exit it is).
 */
function exitWhenWritten(code?: number): never {
  const status = typeof code === "number" ? code : Number(globalThis.process?.exitCode ?? 0) || 0;
  if (!channel.busy) return hardExit(status);
  exitAfterFlush(status);
  throw new ExitRequest(status);
}
Object.defineProperty(host, "exit", { value: exitWhenWritten, configurable: true, writable: true });
if (globalThis.process) globalThis.process.exit = exitWhenWritten;
// A task that calls Deno.exit() right after another task settled: that result goes out first.
guardExit(worker);
