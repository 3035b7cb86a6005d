/**
 * The shutdown host for Deno, Bun and Node: signal handlers, exit, stdio flushing and environment
 * variables. The only module that touches Deno.addSignalListener / process.on for shutdown.
 * Importing it registers the host (mod.ts does).
 */
import process from "node:process";
import { type FatalKind, registerShutdownHost, type ShutdownHost } from "../src/shutdown/host.ts";

/** The error events of the web platform, as Deno dispatches them on globalThis. */
interface FatalEvent {
  error?: unknown;
  reason?: unknown;
  preventDefault(): void;
}
type EventTarget = {
  addEventListener(type: string, listener: (event: FatalEvent) => void): void;
  removeEventListener(type: string, listener: (event: FatalEvent) => void): void;
};

/** The parts of the Deno namespace used here (the project type-checks without Deno's types). */
interface DenoApi {
  addSignalListener(signal: string, handler: () => void): void;
  removeSignalListener(signal: string, handler: () => void): void;
  exit(code: number): never;
  env: { get(name: string): string | undefined };
  permissions: { querySync?(desc: { name: "env"; variable: string }): { state: string } };
}

const deno = (globalThis as { Deno?: DenoApi }).Deno;

/** Longest wait for stdout/stderr to drain before exit. */
const FLUSH_LIMIT = 100;

function listen(signals: readonly string[], onSignal: (signal: string) => void): () => void {
  const installed: [string, () => void][] = [];
  const removeAll = (): void => {
    for (const [signal, handler] of installed.splice(0)) {
      if (deno) deno.removeSignalListener(signal, handler);
      else process.off(signal, handler);
    }
  };
  try {
    for (const signal of signals) {
      const handler = (): void => onSignal(signal);
      // Deno's own API; process.on works there too, but goes through the Node compatibility layer.
      if (deno) deno.addSignalListener(signal, handler);
      else process.on(signal, handler);
      installed.push([signal, handler]);
    }
  } catch (cause) {
    removeAll();
    throw new Error(`mpms: cannot listen to ${signals.join(", ")} on this platform`, { cause });
  }
  return removeAll;
}

function drained(stream: NodeJS.WriteStream | undefined): Promise<void> {
  return new Promise((resolve) => {
    try {
      if (!stream || stream.destroyed || !stream.writable) return resolve();
      stream.write("", () => resolve());
    } catch {
      resolve();
    }
  });
}

/** Resolve once stdout and stderr have taken everything written so far (bounded). */
async function flush(): Promise<void> {
  let timer: ReturnType<typeof setTimeout> | undefined;
  await Promise.race([
    Promise.all([drained(process.stdout), drained(process.stderr)]),
    new Promise<void>((resolve) => (timer = setTimeout(resolve, FLUSH_LIMIT))),
  ]);
  clearTimeout(timer);
}

function exit(code: number): void {
  if (deno) deno.exit(code);
  else process.exit(code);
}

function env(name: string): string | undefined {
  if (!deno) return process.env[name];
  // Without --allow-env, reading would throw (or prompt): treat the variable as unset.
  const state = deno.permissions.querySync?.({ name: "env", variable: name }).state;
  if (state !== "granted") return undefined;
  return deno.env.get(name);
}

/**
 * Deno reports uncaught errors as "error" / "unhandledrejection" events on globalThis (preventing
 * the default keeps the process alive); Node and Bun emit process events, and a listener keeps
 * the process alive likewise.
 */
function onFatal(handler: (error: unknown, kind: FatalKind) => void): () => void {
  if (deno) {
    const target = globalThis as unknown as EventTarget;
    const onError = (event: FatalEvent): void => {
      event.preventDefault();
      handler(event.error, "uncaughtException");
    };
    const onRejection = (event: FatalEvent): void => {
      event.preventDefault();
      handler(event.reason, "unhandledRejection");
    };
    target.addEventListener("error", onError);
    target.addEventListener("unhandledrejection", onRejection);
    return () => {
      target.removeEventListener("error", onError);
      target.removeEventListener("unhandledrejection", onRejection);
    };
  }
  const onException = (error: unknown): void => handler(error, "uncaughtException");
  const onRejection = (reason: unknown): void => handler(reason, "unhandledRejection");
  process.on("uncaughtException", onException);
  process.on("unhandledRejection", onRejection);
  return () => {
    process.off("uncaughtException", onException);
    process.off("unhandledRejection", onRejection);
  };
}

/** The host for the runtime this code runs on. */
export const processHost: ShutdownHost = { listen, exit, flush, env, onFatal };

registerShutdownHost(processHost);
