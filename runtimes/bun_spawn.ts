/**
 * `adapter: "bun"` (Bun hosts only): one child per worker through Bun.spawn and its IPC channel,
 * in JSON mode so that the child may be Node as well as Bun (Bun's default "advanced" mode only
 * talks to Bun; a Node child never answers). The child runs the same entry as `process`.
 */
import type { Adapter, AdapterOptions, SpawnRequest, WorkerHandle } from "../src/adapter.ts";
import type { FromWorker, ToWorker } from "../src/protocol.ts";
import { fromWireError } from "../src/wire_error.ts";
import { childCommand, childEnv } from "./child_command.ts";
import { ExitGate, Killer } from "./child_exit.ts";
import { type ChildNotice, decodeJson, encodeJson, isNotice } from "./json_wire.ts";

const ENTRY = new URL(`./ipc_entry${import.meta.url.endsWith(".ts") ? ".ts" : ".js"}`, import.meta.url);

/** The part of Bun.spawn this adapter uses (the package is typed for Node only). */
interface BunSubprocess {
  readonly pid: number;
  send(message: string): void;
  kill(signal?: string): void;
}
interface BunSpawnOptions {
  cmd: string[];
  cwd?: string;
  env?: Record<string, string>;
  stdio: ["ignore", "inherit", "inherit"];
  serialization: "json";
  detached: boolean;
  ipc(message: string): void;
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
  const env = childEnv(options);
  return {
    name: "bun",
    canKillBusy: true,
    isolated: true,
    spawn(request: SpawnRequest): WorkerHandle {
      const gate = new ExitGate(request.onExit);
      let child: BunSubprocess | undefined;
      const killer = new Killer(
        (signal) => child?.kill(signal),
        () => gate.ended,
      );
      child = bun.spawn({
        cmd: [command.execPath, ...command.args],
        cwd: options.cwd,
        env,
        stdio: ["ignore", "inherit", "inherit"],
        serialization: "json",
        // Own process group (Ctrl-C reaches the host only); the child exits when IPC closes.
        detached: true,
        ipc(text) {
          if (gate.done) return;
          if (isNotice(text)) gate.error = fromWireError(decodeJson<ChildNotice>(text).fatal);
          else request.onMessages(decodeJson<FromWorker[]>(text));
        },
        onExit(_child, exitCode, signalCode, error) {
          killer.cancel();
          if (error !== undefined) gate.error ??= error;
          gate.exited(exitCode, signalCode === null ? null : String(signalCode));
        },
        // Called once the channel closed: no IPC message follows.
        onDisconnect() {
          gate.channelClosed();
        },
      });
      const spawned = child;
      return {
        pid: spawned.pid,
        threadId: null,
        send(batch: ToWorker[]) {
          const text = encodeJson(batch); // throws, sending nothing, when the batch is not JSON
          if (gate.ended) return;
          try {
            spawned.send(text);
          } catch {
            // the channel closed: the exit report follows
          }
        },
        kill(graceMs = 0) {
          killer.kill(graceMs);
        },
      };
    },
  };
}
