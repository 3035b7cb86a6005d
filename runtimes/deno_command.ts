/**
 * `adapter: "deno"` (Deno hosts only): one Deno child per worker through Deno.Command (its kill()
 * and exit status are right where node:child_process's are not), talking wire format lines (docs/adapters.md).
 *
 * The channel is a private Unix domain socket per worker (deno_socket.ts): the child's stdin is
 * "null" (a task's own subprocess or `Deno.stdin` reads end of file, never protocol bytes) and its
 * stdout and stderr are the host's, untouched (nothing the child prints passes through the host's
 * event loop). A host that may not make the socket (no net access or no read and write access to
 * the temp folder, a `permissions` sandbox that denies them, Windows) falls back to the stdio
 * channel: frames on the child's stdin and, behind the {@link FRAME} mark, its stdout, whose other
 * lines the host passes through.
 *
 * Either way, a frame that does not decode, or on the socket anything that is not an mpms frame,
 * is a channel crash (`onChannelError`); reading goes on to the end of the channel.
 */
import { fileURLToPath } from "node:url";
import type { Adapter, AdapterOptions, SpawnRequest, WorkerHandle } from "../src/adapter.ts";
import { describeReceived } from "../src/pool/channel.ts";
import type { ToWorker } from "../src/protocol.ts";
import { fromWireError } from "../src/wire_error.ts";
import { ByteQueue } from "./byte_queue.ts";
import { childCommand } from "./child_command.ts";
import { ExitGate, Killer } from "./child_exit.ts";
import { deniesSocket, socketPermissions } from "./deno_permissions.ts";
import { CHANNEL_ARGUMENT, type HostSocket, listenSocket, type SocketConn } from "./deno_socket.ts";
import { hostEnv, workerEnv } from "./env.ts";
import { FRAME, readerSource, readLines, type SyncWriter, streamSource, writeAllSync } from "./ndjson.ts";
import { processStopped } from "./process_state.ts";
import { decodeFrame, encodeBatch, type Received } from "./wire/frame.ts";

const ENTRY = new URL(`./deno_entry${import.meta.url.endsWith(".ts") ? ".ts" : ".js"}`, import.meta.url);

/** The part of the Deno namespace this adapter uses (the package is typed for Node only). */
interface DenoChild {
  readonly pid: number;
  readonly stdin: WritableStream<Uint8Array> | null;
  readonly stdout: ReadableStream<Uint8Array> | null;
  readonly status: Promise<{ code: number; signal: string | null }>;
}
interface DenoApi {
  Command: new (
    path: string,
    options: {
      args: string[];
      cwd?: string;
      env?: Record<string, string>;
      clearEnv: boolean;
      stdin: "piped" | "null";
      stdout: "piped" | "inherit";
      stderr: "inherit";
      detached: boolean;
    },
  ) => { spawn(): DenoChild };
  stdout: SyncWriter;
  kill(pid: number, signal: string): void;
}

/** What a channel does for the adapter: carry batches to the child, and end with it. */
interface Channel {
  send(bytes: Uint8Array): void;
  /** The child's exit was reported: let go of everything. */
  close(): void;
}

export default function denoAdapter(options: AdapterOptions): Adapter {
  const deno = (globalThis as { Deno?: DenoApi }).Deno;
  if (!deno) throw new Error('mpms: adapter "deno" needs a Deno host; use adapter "process" on this runtime');
  const command = childCommand(options, ENTRY);
  if (command.runtime !== "deno") {
    throw new RangeError(
      `mpms: adapter "deno" runs Deno children, but execPath is ${JSON.stringify(command.execPath)}`,
    );
  }
  // The child's flags end before the entry file; a sandbox that denies what a socket needs gets stdio.
  const entryAt = command.args.indexOf(fileURLToPath(ENTRY));
  const flags = command.args.slice(0, entryAt);
  const socketsAllowed = !deniesSocket(flags);
  const encoder = new TextEncoder();

  /** Stdio channel only: the child's own output goes where it would have gone without mpms. */
  const passThrough = (text: string): void => {
    try {
      writeAllSync(deno.stdout, encoder.encode(text));
    } catch {
      // the host's stdout is closed: drop it
    }
  };

  return {
    name: "deno",
    canKillBusy: true,
    isolated: true,
    spawn(request: SpawnRequest): WorkerHandle {
      const socket = socketsAllowed ? listenSocket() : null;
      const args =
        socket === null
          ? command.args
          : [
              ...flags,
              ...socketPermissions(flags, socket.path),
              ...command.args.slice(entryAt),
              `${CHANNEL_ARGUMENT}=${socket.path}`,
            ];
      let child: DenoChild;
      try {
        child = new deno.Command(command.execPath, {
          args,
          cwd: options.cwd,
          // The host's environment as it is now, plus `env`, given whole (clearEnv) so that what
          // workerEnv leaves out stays out; a host that may not read its environment (no
          // --allow-env) lets the child inherit it, plus `env`.
          ...(hostEnv() === null ? { env: options.env, clearEnv: false } : { env: workerEnv(options), clearEnv: true }),
          stdin: socket === null ? "piped" : "null",
          stdout: socket === null ? "piped" : "inherit",
          stderr: "inherit",
          // Own process group (Ctrl-C reaches the host only); the child exits when its channel
          // closes, or by its watchdog. Kills go to the whole group (child.kill() signals its pid only).
          detached: true,
        }).spawn();
      } catch (error) {
        socket?.close();
        throw error;
      }
      let channel: Channel | undefined;
      const gate = new ExitGate((exit) => {
        channel?.close();
        request.onExit(exit);
      });
      channel =
        socket === null ? stdioChannel(child, request, gate, passThrough) : socketChannel(socket, request, gate);
      const killer = new Killer(
        child.pid,
        () => gate.ended,
        (pid, signal) => deno.kill(pid, signal),
      );
      void child.status.then((status) => {
        killer.exited();
        socket?.close(); // a child that never connected: stop listening
        gate.exited(status.code, status.signal);
      });
      const open = channel;
      return {
        pid: child.pid,
        threadId: null,
        send(batch: ToWorker[]) {
          const line = `${encodeBatch(batch)}\n`; // throws, sending nothing, when a value cannot be carried
          if (gate.ended) return;
          open.send(encoder.encode(line));
        },
        kill(graceMs = 0) {
          killer.kill(graceMs);
        },
        frozen() {
          return !gate.ended && processStopped(child.pid);
        },
      };
    },
  };
}

/**
 * Calls `deliver` for each line until the first bad one, then reports that one as a channel crash
 * and ignores the rest (the pool kills the worker); reading never stops before the channel ends.
 */
function frameReader(
  request: SpawnRequest,
  gate: ExitGate,
  deliver: (line: string) => string | null,
): (line: string) => void {
  let broken = false;
  return (line) => {
    if (broken || gate.done) return;
    let problem: string | null;
    try {
      problem = deliver(line);
    } catch (error) {
      problem = `the pool failed on a batch: ${describeReceived(error instanceof Error ? error.message : error)}`;
    }
    if (problem === null) return;
    broken = true;
    request.onChannelError(problem);
  };
}

/** Hand one decoded frame to the pool; returns a problem for a frame that is not a good one. */
function deliver(frame: Received, line: string, request: SpawnRequest, gate: ExitGate): string | null {
  switch (frame.kind) {
    case "batch":
      request.onMessages(frame.batch);
      return null;
    case "notice":
      gate.error = fromWireError(frame.notice.fatal);
      return null;
    case "foreign":
      return `not an mpms frame: ${describeReceived(line)}`;
    case "invalid":
      return frame.problem;
  }
}

/** The socket channel: every line on it must be an mpms frame (nobody else can write to it). */
function socketChannel(socket: HostSocket, request: SpawnRequest, gate: ExitGate): Channel {
  const queue = new ByteQueue();
  let conn: SocketConn | null = null;
  let closed = false;
  void socket.connected.then((accepted) => {
    if (accepted === null) {
      gate.channelClosed(); // the child ended before it connected
      return;
    }
    conn = accepted;
    if (closed) {
      accepted.close();
      return;
    }
    queue.attach(accepted);
    const onLine = frameReader(request, gate, (line) => deliver(decodeFrame(line), line, request, gate));
    void readLines(readerSource(accepted), onLine).then(() => gate.channelClosed());
  });
  return {
    send: (bytes) => queue.write(bytes),
    close() {
      closed = true;
      socket.close();
      try {
        conn?.close();
      } catch {
        // closed by the read's end already
      }
    },
  };
}

/** The stdio fallback: frames behind {@link FRAME} on the child's stdout, among its own output. */
function stdioChannel(
  child: DenoChild,
  request: SpawnRequest,
  gate: ExitGate,
  passThrough: (text: string) => void,
): Channel {
  const writer = (child.stdin as WritableStream<Uint8Array>).getWriter();
  const output = streamSource(child.stdout as ReadableStream<Uint8Array>);
  const onLine = frameReader(request, gate, (line) => {
    const at = line.indexOf(FRAME);
    if (at === -1) {
      passThrough(`${line}\n`);
      return null;
    }
    if (at > 0) passThrough(line.slice(0, at)); // the user's unterminated output
    const framed = line.slice(at + FRAME.length);
    const frame = decodeFrame(framed);
    if (frame.kind === "foreign") {
      passThrough(`${line}\n`); // the user's text that happens to contain the line mark
      return null;
    }
    return deliver(frame, framed, request, gate);
  });
  void readLines(output.next, (line) => {
    if (gate.done) return;
    onLine(line);
  }).then(() => gate.channelClosed());
  return {
    send: (bytes) => {
      writer.write(bytes).catch(() => {}); // fails only once the child is gone
    },
    close() {
      output.cancel();
      writer.close().catch(() => {});
    },
  };
}
