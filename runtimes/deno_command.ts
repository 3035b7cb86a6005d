/**
 * `adapter: "deno"` (Deno hosts only): one Deno child per worker through Deno.Command, talking
 * newline-delimited strict JSON over its stdin/stdout (Deno has no IPC of its own, and this is its
 * fastest channel; its kill() and exit status are also right where node:child_process's are not).
 * The child's own stdout output is passed through to the host's stdout, line by line.
 */
import type { Adapter, AdapterOptions, SpawnRequest, WorkerHandle } from "../src/adapter.ts";
import type { ToWorker } from "../src/protocol.ts";
import { fromWireError } from "../src/wire_error.ts";
import { childCommand } from "./child_command.ts";
import { ExitGate, Killer } from "./child_exit.ts";
import { hostEnv, workerEnv } from "./env.ts";
import { FRAME, readLines, type SyncWriter, streamSource, writeAllSync } from "./ndjson.ts";
import { processStopped } from "./process_state.ts";
import { decodeFrame, encodeBatch } from "./wire/frame.ts";

const ENTRY = new URL(`./deno_entry${import.meta.url.endsWith(".ts") ? ".ts" : ".js"}`, import.meta.url);

/** The part of the Deno namespace this adapter uses (the package is typed for Node only). */
interface DenoChild {
  readonly pid: number;
  readonly stdin: WritableStream<Uint8Array>;
  readonly stdout: ReadableStream<Uint8Array>;
  readonly status: Promise<{ code: number; signal: string | null }>;
  kill(signal?: string): void;
}
interface DenoApi {
  Command: new (
    path: string,
    options: {
      args: string[];
      cwd?: string;
      env?: Record<string, string>;
      clearEnv: boolean;
      stdin: "piped";
      stdout: "piped";
      stderr: "inherit";
      detached: boolean;
    },
  ) => { spawn(): DenoChild };
  stdout: SyncWriter;
  kill(pid: number, signal: string): void;
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
  const encoder = new TextEncoder();
  /** The child's own output goes where it would have gone without mpms. */
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
      const child = new deno.Command(command.execPath, {
        args: command.args,
        cwd: options.cwd,
        // The host's environment as it is now, plus `env`, given whole (clearEnv) so that what
        // workerEnv leaves out stays out; a host that may not read its environment (no
        // --allow-env) lets the child inherit it, plus `env`.
        ...(hostEnv() === null ? { env: options.env, clearEnv: false } : { env: workerEnv(options), clearEnv: true }),
        stdin: "piped",
        stdout: "piped",
        stderr: "inherit",
        // Own process group (Ctrl-C reaches the host only); the child exits when stdin closes, or
        // by its watchdog. Kills go to the whole group (child.kill() signals its pid only).
        detached: true,
      }).spawn();
      const writer = child.stdin.getWriter();
      const output = streamSource(child.stdout);
      const gate = new ExitGate((exit) => {
        output.cancel();
        writer.close().catch(() => {});
        request.onExit(exit);
      });
      const killer = new Killer(
        child.pid,
        () => gate.ended,
        (pid, signal) => deno.kill(pid, signal),
      );
      const onLine = (line: string): void => {
        const at = line.indexOf(FRAME);
        if (at === -1) {
          passThrough(`${line}\n`);
          return;
        }
        if (at > 0) passThrough(line.slice(0, at)); // the user's unterminated output
        if (gate.done) return;
        const frame = decodeFrame(line.slice(at + FRAME.length));
        switch (frame.kind) {
          case "batch":
            request.onMessages(frame.batch);
            break;
          case "notice":
            gate.error = fromWireError(frame.notice.fatal);
            break;
          case "foreign":
            passThrough(`${line}\n`); // the user's text that happens to contain the line mark
            break;
          case "invalid":
            request.onChannelError(frame.problem); // a frame of ours that does not decode
            break;
        }
      };
      void readLines(output.next, onLine).then(() => gate.channelClosed());
      void child.status.then((status) => {
        killer.exited();
        gate.exited(status.code, status.signal);
      });
      return {
        pid: child.pid,
        threadId: null,
        send(batch: ToWorker[]) {
          const line = `${encodeBatch(batch)}\n`; // throws, sending nothing, when a value cannot be carried
          if (gate.ended) return;
          writer.write(encoder.encode(line)).catch(() => {}); // fails only once the child is gone
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
