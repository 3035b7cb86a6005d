/**
 * `adapter: "web"`: the web-standard `new Worker(url, { type: "module" })`, on Deno, Bun and in
 * browsers. The protocol runs over a dedicated MessageChannel port handed to the worker in its
 * first message, so task code calling `self.postMessage` cannot disturb it; what arrives on the
 * worker itself is only reported (`onForeignMessage`).
 *
 * A Web Worker's end is not observable the same way everywhere: Deno and browsers give no event
 * when a worker closes itself, Bun gives `close`. So the worker entry sends an exit notice as its
 * last message (after every result), for its own exits, for task code calling `Deno.exit`,
 * `process.exit` or `self.close()`, and for uncaught errors; the host's `error` event (with
 * preventDefault, which keeps Deno from ending the host) and the heartbeat cover the rest. Exit
 * codes do not exist on the web: `WorkerExit.code` is the number task code gave to exit, else null.
 * On Deno, `terminate()` does not stop a worker stuck in a CPU loop (`canKillBusy: false`).
 */
import type { Adapter, AdapterOptions, SpawnRequest, WorkerExit, WorkerHandle } from "../src/adapter.ts";
import { describeReceived } from "../src/pool/channel.ts";
import type { ToWorker } from "../src/protocol.ts";
import type { Movable } from "../src/transfer.ts";
import { fromWireError } from "../src/wire_error.ts";
import { hostEnv, workerEnv } from "./env.ts";
import { type ConnectMessage, isExitNotice } from "./web_notice.ts";
import { type DenoWorkerPermissions, denoWorkerOptionsEnabled, denoWorkerPermissions } from "./web_permissions.ts";

/** Where this code runs, as far as Web Workers differ. */
type WebRuntime = "deno" | "bun" | "browser";

/** The options of the standard constructor, plus Deno's and Bun's extensions the adapter uses. */
interface WorkerInit {
  type: "module";
  name: string;
  deno?: { permissions: DenoWorkerPermissions };
  env?: Record<string, string>;
}

type WorkerConstructor = new (url: string | URL, init: WorkerInit) => Worker;

/** Options of {@link createWebAdapter}: the pool's adapter options, and where the worker entry is. */
export interface WebAdapterOptions extends AdapterOptions {
  /**
   * URL of the worker entry (runtimes/web_entry.ts, or its bundle). Default: `web_entry.ts` or
   * `web_entry.js` beside this module (beside the bundle, when mpms is bundled).
   */
  entry?: URL | string;
}

const FROM_SOURCE = import.meta.url.endsWith(".ts");
const DEFAULT_ENTRY = new URL(`./web_entry${FROM_SOURCE ? ".ts" : ".js"}`, import.meta.url);

function webRuntime(): WebRuntime | "node" {
  const g = globalThis as { Deno?: unknown; Bun?: unknown; process?: { versions?: { node?: string } } };
  if (g.Deno !== undefined) return "deno";
  if (g.Bun !== undefined) return "bun";
  if (g.process?.versions?.node !== undefined) return "node";
  return "browser";
}

function notApplicable(option: string): TypeError {
  return new TypeError(
    `mpms: option "${option}" does not apply to adapter "web" (Web Workers run inside the host process)`,
  );
}

/** Check what a Web Worker cannot honour, and build the constructor options it can. */
function workerInit(options: WebAdapterOptions, runtime: WebRuntime): Omit<WorkerInit, "name"> {
  if (options.execPath !== undefined) throw notApplicable("execPath");
  if (options.execArgv !== undefined) throw notApplicable("execArgv");
  if (options.cwd !== undefined) throw notApplicable("cwd");
  if (options.env !== undefined && runtime === "browser") {
    throw new TypeError(`mpms: option "env" of adapter "web" needs process.env (Deno, Bun); a browser has none`);
  }
  const init: Omit<WorkerInit, "name"> = { type: "module" };
  if (options.permissions !== undefined) {
    if (runtime !== "deno") {
      throw new TypeError(
        `mpms: option "permissions" of adapter "web" is Deno's worker sandbox; ${runtime === "bun" ? "Bun" : "a browser"} has none`,
      );
    }
    const permissions = denoWorkerPermissions(options.permissions);
    if (!denoWorkerOptionsEnabled()) {
      throw new TypeError(
        `mpms: option "permissions" of adapter "web" needs the Deno host to run with --unstable-worker-options ` +
          `(without it Deno ends the host process when a worker is given permissions)`,
      );
    }
    init.deno = { permissions };
  }
  return init;
}

/** Make the web adapter, e.g. `adapter: createWebAdapter({ module, entry })` for a bundled app. */
export function createWebAdapter(options: WebAdapterOptions): Adapter {
  const runtime = webRuntime();
  const WorkerClass = (globalThis as { Worker?: WorkerConstructor }).Worker;
  if (runtime === "node" || typeof WorkerClass !== "function") {
    const where = runtime === "node" ? `Node ${(globalThis as { process: { version: string } }).process.version}` : "";
    throw new TypeError(
      `mpms: adapter "web" needs a global Worker (Deno, Bun, a browser)${where ? `; ${where} has none` : ""}: ` +
        `use adapter: "thread"`,
    );
  }
  const init = workerInit(options, runtime);
  const entry = options.entry === undefined ? DEFAULT_ENTRY : new URL(options.entry);
  const pid = runtime === "browser" ? null : ((globalThis as { process?: { pid?: number } }).process?.pid ?? null);
  return {
    name: "web",
    canKillBusy: runtime !== "deno",
    transfers: true,
    isolated: false,
    spawn(request: SpawnRequest): WorkerHandle {
      // As for threads: the host's environment at spawn time plus `env`, without the host's own
      // secrets (see workerEnv). Bun takes it as the Worker's `env`; Deno's environment is
      // process-wide, so its entry sets the worker's `process.env` from the connect message.
      const env = runtime === "browser" ? undefined : hostEnv() === null ? options.env : workerEnv(options);
      const perWorker: WorkerInit = { ...init, name: `mpms-${request.workerId}` };
      if (env !== undefined && runtime === "bun") perWorker.env = env;
      return spawnWebWorker(WorkerClass, entry, perWorker, runtime === "deno" ? env : undefined, pid, request);
    },
  };
}

/** The default export, for `registerAdapter("web", ...)`. */
export default createWebAdapter;

function spawnWebWorker(
  WorkerClass: WorkerConstructor,
  entry: URL,
  init: WorkerInit,
  env: Record<string, string> | undefined,
  pid: number | null,
  request: SpawnRequest,
): WorkerHandle {
  const worker = new WorkerClass(entry.href, init);
  const channel = new MessageChannel();
  const port = channel.port1;
  let exited = false;
  let lastError: unknown;
  let finishTimer: ReturnType<typeof setTimeout> | undefined;

  const finish = (exit: WorkerExit): void => {
    if (exited) return;
    exited = true;
    if (finishTimer !== undefined) clearTimeout(finishTimer);
    worker.terminate();
    port.close();
    request.onExit(exit);
  };
  /**
   * The worker ended without its notice (killed, or an error the entry could not catch): give
   * messages it sent before a turn to arrive, then report.
   */
  const finishSoon = (): void => {
    if (exited || finishTimer !== undefined) return;
    finishTimer = setTimeout(() => {
      finishTimer = undefined;
      finish(lastError === undefined ? { code: null, signal: null } : { code: null, signal: null, error: lastError });
    }, 0);
  };

  port.onmessage = (event: MessageEvent) => {
    if (exited) return;
    const data = event.data;
    if (isExitNotice(data)) {
      const error = data.error !== undefined ? fromWireError(data.error) : lastError;
      finish(error === undefined ? { code: data.code, signal: null } : { code: data.code, signal: null, error });
      return;
    }
    request.onMessages(data);
  };
  port.onmessageerror = () => {
    if (!exited) request.onChannelError("a message from the worker that could not be deserialized");
  };
  worker.onmessage = (event: MessageEvent) => {
    if (!exited) request.onForeignMessage(describeReceived(event.data));
  };
  worker.onmessageerror = () => {
    if (!exited) request.onForeignMessage("a message on the worker that could not be deserialized");
  };
  // Without preventDefault an uncaught worker error ends the host on Deno. The entry reports
  // errors it sees itself; this catches the rest (the entry failing to load, an error before it
  // listened), after which the worker is ended.
  worker.onerror = (event: ErrorEvent) => {
    event.preventDefault();
    if (exited) return;
    lastError = event.error ?? new Error(event.message || "the worker reported an error");
    finishSoon();
  };
  // Bun reports a worker's end (also one without our notice, e.g. a native crash).
  worker.addEventListener("close", () => finishSoon());

  const connect: ConnectMessage =
    env === undefined ? { mpmsConnect: channel.port2 } : { mpmsConnect: channel.port2, env };
  worker.postMessage(connect, [channel.port2]);

  return {
    pid,
    threadId:
      typeof (worker as { threadId?: unknown }).threadId === "number"
        ? (worker as unknown as { threadId: number }).threadId
        : null,
    send(batch: ToWorker[], transfer?: readonly Movable[]) {
      if (transfer === undefined) port.postMessage(batch);
      else port.postMessage(batch, transfer as Movable[]);
    },
    kill() {
      if (exited) return;
      worker.terminate();
      finishSoon();
    },
  };
}
