/**
 * `adapter: "process"`: one child process per worker through node:child_process, with an IPC
 * channel carrying strict-JSON text. Works from a Node, Bun or Deno host, and with any of the
 * three as the child runtime. Signals go through process.kill(-pid) to the child's process group:
 * Deno's ChildProcess.kill() ignores every call after the first and cuts the IPC channel at once.
 */
import { spawn } from "node:child_process";
import type { Adapter, AdapterOptions, SpawnRequest, WorkerHandle } from "../src/adapter.ts";
import type { ToWorker } from "../src/protocol.ts";
import { fromWireError } from "../src/wire_error.ts";
import { childCommand } from "./child_command.ts";
import { ExitGate, Killer } from "./child_exit.ts";
import { currentRuntime } from "./detect.ts";
import { hostEnv, workerEnv } from "./env.ts";
import { processStopped } from "./process_state.ts";
import { deliverFrame, encodeBatch, envelopeBatch, ipcCarriesEnvelopes } from "./wire/frame.ts";

const ENTRY = new URL(`./ipc_entry${import.meta.url.endsWith(".ts") ? ".ts" : ".js"}`, import.meta.url);

const ignoreSendError = (): void => {};

/**
 * Deno's node:child_process never reports "close" (nor "disconnect") for a child that died with
 * input it had not read (a busy worker sent an abort, then killed): there, a channel silent for
 * this long after the exit counts as drained. Node and Bun always report "close".
 */
const DENO_QUIET_MS = 100;

export default function processAdapter(options: AdapterOptions): Adapter {
  const command = childCommand(options, ENTRY);
  const envelopes = ipcCarriesEnvelopes(command.runtime);
  const quietMs = currentRuntime() === "deno" ? DENO_QUIET_MS : 0;
  return {
    name: "process",
    canKillBusy: true,
    isolated: true,
    spawn(request: SpawnRequest): WorkerHandle {
      const child = spawn(command.execPath, command.args, {
        stdio: ["ignore", "inherit", "inherit", "ipc"],
        serialization: "json",
        // Own process group: a terminal's Ctrl-C reaches the host only, which then drains the
        // pool. The child still dies with the host: it exits when the IPC channel closes, or by
        // its watchdog. Kills go to the whole group (the tasks' subprocesses too).
        detached: true,
        // The host's environment as it is now, plus `env` (a host that may not read its own
        // environment lets the child inherit it: Deno without --allow-env).
        env: hostEnv() === null ? options.env : workerEnv(options),
        cwd: options.cwd,
        windowsHide: true,
      });
      const gate = new ExitGate(request.onExit, quietMs);
      const pid = child.pid ?? null;
      const killer = new Killer(pid, () => pid === null || gate.ended);
      child.on("message", (received: unknown) => {
        if (gate.done) return;
        gate.message();
        deliverFrame(received, request, (notice) => {
          gate.error = fromWireError(notice.fatal);
        });
      });
      child.on("exit", (code, signal) => {
        killer.exited();
        gate.exited(code, signal);
      });
      // "close" follows the last message on every host (Deno's "disconnect" is not reliable).
      child.on("close", (code, signal) => {
        gate.exited(code, signal);
        gate.channelClosed();
      });
      child.on("error", (error) => {
        if (pid === null) gate.failed(error); // could not spawn: there is no exit to wait for
      });
      // The first frame (init) goes as text, whose mark names the wire version: a child of another
      // version (a stale build) then refuses it with a clear error instead of ignoring an envelope
      // it does not know. It answers in text until the first envelope comes.
      let first = true;
      return {
        pid,
        threadId: null,
        send(batch: ToWorker[]) {
          // throws, sending nothing, when a value cannot be carried
          const frame = envelopes && !first ? envelopeBatch(batch) : encodeBatch(batch);
          first = false;
          if (!child.connected) return; // exiting: the exit report follows
          try {
            child.send(frame, ignoreSendError);
          } catch {
            // the channel closed under us: same as above
          }
        },
        kill(graceMs = 0) {
          killer.kill(graceMs);
        },
        frozen() {
          return !gate.ended && processStopped(pid);
        },
      };
    },
  };
}
