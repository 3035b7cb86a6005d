/**
 * `adapter: "bun"` (Bun hosts only): one child per worker through Bun.spawn and its IPC channel,
 * in JSON mode so that the child may be Node as well as Bun (Bun's default "advanced" mode only
 * talks to Bun; a Node child never answers). The child runs the same entry as `process`.
 */
import type { Adapter, AdapterOptions, SpawnRequest, WorkerHandle } from "../src/adapter.ts";
import type { ToWorker } from "../src/protocol.ts";
import { fromWireError } from "../src/wire_error.ts";
import { childCommand } from "./child_command.ts";
import { ExitGate, Killer } from "./child_exit.ts";
import { workerEnv } from "./env.ts";
import { processStopped } from "./process_state.ts";
import { deliverFrame, encodeBatch, envelopeBatch, ipcCarriesEnvelopes } from "./wire/frame.ts";

const ENTRY = new URL(`./ipc_entry${import.meta.url.endsWith(".ts") ? ".ts" : ".js"}`, import.meta.url);

/** The part of Bun.spawn this adapter uses (the package is typed for Node only). */
interface BunSubprocess {
  readonly pid: number;
  send(message: unknown): void;
  kill(signal?: string): void;
}
interface BunSpawnOptions {
  cmd: string[];
  cwd?: string;
  env?: Record<string, string>;
  stdio: ["ignore", "inherit", "inherit"];
  serialization: "json";
  detached: boolean;
  ipc(message: unknown): void;
  onExit(subprocess: BunSubprocess, exitCode: number | null, signalCode: string | number | null, error?: unknown): void;
  onDisconnect(): void;
}
interface BunApi {
  spawn(options: BunSpawnOptions): BunSubprocess;
}

export default function bunAdapter(options: AdapterOptions): Adapter {
  const bun = (globalThis as { Bun?: BunApi }).Bun;
  if (!bun) throw new Error('mpms: adapter "bun" needs a Bun host; use adapter "process" on this runtime');
  const command = childCommand(options, ENTRY);
  const envelopes = ipcCarriesEnvelopes(command.runtime);
  return {
    name: "bun",
    canKillBusy: true,
    isolated: true,
    spawn(request: SpawnRequest): WorkerHandle {
      const gate = new ExitGate(request.onExit);
      const child = bun.spawn({
        cmd: [command.execPath, ...command.args],
        cwd: options.cwd,
        env: workerEnv(options), // the host's environment as it is now, plus `env`
        stdio: ["ignore", "inherit", "inherit"],
        serialization: "json",
        // Own process group (Ctrl-C reaches the host only); the child exits when IPC closes, or
        // by its watchdog. Kills go to the whole group (the tasks' subprocesses too).
        detached: true,
        ipc(received) {
          if (gate.done) return;
          deliverFrame(received, request, (notice) => {
            gate.error = fromWireError(notice.fatal);
          });
        },
        onExit(_child, exitCode, signalCode, error) {
          killer.exited(); // never during spawn(): Bun reports exits on a later turn
          if (error !== undefined) gate.error ??= error;
          gate.exited(exitCode, signalCode === null ? null : String(signalCode));
        },
        // Called once the channel closed: no IPC message follows.
        onDisconnect() {
          gate.channelClosed();
        },
      });
      const spawned = child;
      const killer = new Killer(spawned.pid, () => gate.ended);
      // The first frame (init) goes as text, whose mark names the wire version: a child of another
      // version (a stale build) then refuses it with a clear error instead of ignoring an envelope
      // it does not know. It answers in text until the first envelope comes.
      let first = true;
      return {
        pid: spawned.pid,
        threadId: null,
        send(batch: ToWorker[]) {
          // throws, sending nothing, when a value cannot be carried
          const frame = envelopes && !first ? envelopeBatch(batch) : encodeBatch(batch);
          first = false;
          if (gate.ended) return;
          try {
            spawned.send(frame);
          } catch {
            // the channel closed: the exit report follows
          }
        },
        kill(graceMs = 0) {
          killer.kill(graceMs);
        },
        frozen() {
          return !gate.ended && processStopped(spawned.pid);
        },
      };
    },
  };
}
