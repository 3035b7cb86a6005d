/**
 * Entry of a Web Worker (`adapter: "web"`) on Deno, Bun and in browsers. Waits for the host's
 * first message, which carries the protocol port, then runs the worker side over that port. Every
 * way this worker ends sends an exit notice on the port first (see web_notice.ts): the runner's own
 * exits, task code calling `Deno.exit`, `process.exit` or `self.close()`, and uncaught errors.
 *
 * Task code's exits go through the runner as on every adapter (see `guardExit` in detect.ts): from
 * a task's body the worker ends now and that task with it; from elsewhere while tasks run, the exit
 * waits for them (an exit function is unwound by a thrown {@link ExitRequest}; `self.close()`
 * simply returns, as it does on the web, and the worker closes once they are done).
 */
import type { FromWorker, ToWorker } from "../src/protocol.ts";
import type { Movable } from "../src/transfer.ts";
import { toWireError } from "../src/wire_error.ts";
import { ExitRequest, isExitRequest } from "../src/worker/exit_request.ts";
import { runWorker, type WorkerControl } from "../src/worker/run_worker.ts";
import type { ConnectMessage, ExitNotice } from "./web_notice.ts";

interface WorkerScope {
  addEventListener(type: string, listener: (event: Event) => void): void;
  removeEventListener(type: string, listener: (event: Event) => void): void;
  close?: () => void;
}

type ExitFn = (code?: number) => never;

const scope = globalThis as unknown as WorkerScope;
const g = globalThis as {
  Bun?: unknown;
  Deno?: { exit?: ExitFn; memoryUsage?: () => { heapUsed: number } };
  process?: {
    exit?: ExitFn;
    exitCode?: unknown;
    env?: unknown;
    memoryUsage?: () => { heapUsed: number };
    on?: (event: string, listener: (error: unknown) => void) => void;
  };
  performance?: { memory?: { usedJSHeapSize?: number } };
};

// The real ways to end, kept before task code can see the wrapped ones.
const denoExit = typeof g.Deno?.exit === "function" ? g.Deno.exit.bind(g.Deno) : undefined;
const processExit = typeof g.process?.exit === "function" ? g.process.exit.bind(g.process) : undefined;
const selfClose = typeof scope.close === "function" ? scope.close.bind(scope) : undefined;

/** End this worker: Deno.exit ends only the worker there, process.exit on Bun, close() elsewhere. */
function end(code: number): void {
  if (denoExit) denoExit(code);
  else if (processExit) processExit(code);
  else selfClose?.();
}

function heapUsed(): number {
  try {
    if (g.Deno?.memoryUsage) return g.Deno.memoryUsage().heapUsed;
    if (g.process?.memoryUsage) return g.process.memoryUsage().heapUsed;
  } catch {
    // no figure on this runtime
  }
  return g.performance?.memory?.usedJSHeapSize ?? 0;
}

function connect(port: MessagePort): void {
  let ended = false;
  /** Exit code of the notice when the runner ends the worker: null once task code called close(). */
  let closeRequested = false;
  /** Send what the runner holds, then the notice, then end; only the first call counts. */
  const leave = (notice: ExitNotice, code: number): void => {
    if (ended) return;
    ended = true;
    control.flush();
    try {
      port.postMessage(notice);
    } catch {
      port.postMessage({ mpmsExit: true, code: notice.code } satisfies ExitNotice);
    }
    end(code);
  };
  const onUncaught = (error: unknown): void => {
    leave({ mpmsExit: true, code: null, error: toWireError(error) }, 1);
  };
  // Bun ends a Web Worker on an uncaught error even when its `error` event is cancelled (and
  // tells the host): there only process's handlers keep it alive, e.g. for a deferred exit.
  const onProcess = g.Bun !== undefined ? g.process?.on?.bind(g.process) : undefined;
  if (onProcess) {
    const handler = (error: unknown): void => {
      if (!isExitRequest(error)) onUncaught(error);
    };
    onProcess("uncaughtException", handler);
    onProcess("unhandledRejection", handler);
  }
  scope.addEventListener("error", (event) => {
    event.preventDefault();
    const error = (event as ErrorEvent).error ?? new Error((event as ErrorEvent).message);
    if (!isExitRequest(error)) onUncaught(error); // an exit that waits for the running tasks
  });
  scope.addEventListener("unhandledrejection", (event) => {
    event.preventDefault();
    const reason = (event as PromiseRejectionEvent).reason;
    if (!isExitRequest(reason)) onUncaught(reason);
  });
  const control: WorkerControl = runWorker({
    send(batch: FromWorker[], transfer) {
      if (transfer === undefined) port.postMessage(batch);
      else port.postMessage(batch, transfer as Movable[]);
    },
    listen(handler) {
      port.onmessage = (event: MessageEvent) => handler(event.data as ToWorker[]);
    },
    memory: heapUsed,
    exit(code) {
      leave({ mpmsExit: true, code: closeRequested ? null : code }, code);
    },
  });
  guardExits(control, leave, () => {
    closeRequested = true;
  });
}

/**
 * Task code ending the worker goes through the runner (which tells the pool, and defers an exit
 * from outside a task body while tasks run), then through `leave`, so the host hears of it after
 * every result.
 */
function guardExits(
  control: WorkerControl,
  leave: (notice: ExitNotice, code: number) => void,
  onDeferredClose: () => void,
): void {
  const exitWith = (code?: number): never => {
    const status = typeof code === "number" && Number.isInteger(code) ? code : Number(g.process?.exitCode ?? 0) || 0;
    if (control.exitRequested(status) === "now") leave({ mpmsExit: true, code: status }, status);
    // Deno.exit and process.exit do not return; neither may their stand-ins. Swallowed as an
    // uncaught error by the listeners above; a task's own promise settles with it (its exit).
    throw new ExitRequest(status);
  };
  if (g.Deno && denoExit) {
    try {
      Object.defineProperty(g.Deno, "exit", { value: exitWith, configurable: true, writable: true });
    } catch {
      // a frozen namespace: the worker's end is then seen by the heartbeat
    }
  }
  if (g.process && processExit) g.process.exit = exitWith;
  if (selfClose) {
    // close() returns on the web, and the worker ends once the current turn is over.
    scope.close = () => {
      if (control.exitRequested(0) === "now") leave({ mpmsExit: true, code: null }, 0);
      else onDeferredClose();
    };
  }
}

const onConnect = (event: Event): void => {
  const data = (event as MessageEvent).data as Partial<ConnectMessage> | null;
  if (!data || typeof data !== "object" || !(data.mpmsConnect instanceof MessagePort)) return;
  scope.removeEventListener("message", onConnect);
  if (data.env !== undefined && g.process) g.process.env = { ...data.env };
  connect(data.mpmsConnect);
};
scope.addEventListener("message", onConnect);
