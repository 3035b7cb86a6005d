import { ExitRequest } from "../src/worker/exit_request.ts";
import type { WorkerControl } from "../src/worker/run_worker.ts";

/**
 * Which runtime this code runs on: "deno", "bun" or "node". Deno and Bun also report
 * `process.versions.node`, so test them first.
 * @internal (seen as `ServerHandle.runtime`)
 */
export type RuntimeName = "deno" | "bun" | "node";

export function currentRuntime(): RuntimeName {
  const g = globalThis as { Deno?: unknown; Bun?: unknown };
  if (g.Deno !== undefined) return "deno";
  if (g.Bun !== undefined) return "bun";
  return "node";
}

const TS_MODULE = /\.[cm]?tsx?$/;

/** True for a TypeScript module path or URL. */
export function isTypeScript(specifier: string): boolean {
  return TS_MODULE.test(specifier.split(/[?#]/)[0] as string);
}

/**
 * Node 20 cannot import TypeScript by itself: register tsx's loader in this thread or process
 * before importing `specifier`. A no-op on Deno and Bun, and for JavaScript modules.
 */
export async function ensureTypeScript(specifier: string): Promise<void> {
  if (currentRuntime() !== "node" || !isTypeScript(specifier)) return;
  let api: { register: () => unknown };
  try {
    api = (await import("tsx/esm/api")) as { register: () => unknown };
  } catch (cause) {
    throw new Error(
      `Node ${process.versions.node} cannot load the TypeScript module ${specifier} by itself: ` +
        "install tsx (npm i -D tsx), or point `module` at JavaScript",
      { cause },
    );
  }
  api.register();
}

/**
 * The runtime's own exit, bound now, before {@link guardExit} wraps it for task code. On Deno,
 * `process.exit` calls `Deno.exit`, which the guard wraps too: an entry must exit through this.
 */
export function rawExit(): (code: number) => never {
  const deno = (globalThis as { Deno?: { exit(code?: number): never } }).Deno;
  if (deno && typeof deno.exit === "function") return deno.exit.bind(deno) as (code: number) => never;
  return globalThis.process.exit.bind(globalThis.process) as (code: number) => never;
}

/** The exits as they were before {@link guardExit}, for the entry's own use, and a way back. */
export interface ExitGuard {
  /** Exit now, unguarded (the entry's own exits: a fatal error, a stop the pool asked for). */
  exit(code: number): never;
  /** Put the original exit functions back (the worker is going down anyway). */
  disarm(): void;
}

/**
 * Route `process.exit` and `Deno.exit`, called by task code, through the worker: everything
 * posted so far is sent first (a result posted just before an exit reaches the pool), and an exit
 * from outside a task body waits for the running tasks (the caller is unwound by a thrown
 * {@link ExitRequest}, which the entries swallow as an uncaught error).
 */
export function guardExit(control: WorkerControl): ExitGuard {
  const guard =
    (exit: (code?: number) => never) =>
    (code?: number): never => {
      const status = typeof code === "number" ? code : Number(globalThis.process?.exitCode ?? 0) || 0;
      if (control.exitRequested(status) === "now") {
        control.flush();
        return exit(code);
      }
      throw new ExitRequest(status);
    };
  const restore: (() => void)[] = [];
  let realExit: ((code?: number) => never) | undefined;
  const proc = globalThis.process as { exit?: (code?: number) => never } | undefined;
  if (proc && typeof proc.exit === "function") {
    const original = proc.exit;
    realExit = original.bind(proc);
    proc.exit = guard(realExit);
    restore.push(() => {
      proc.exit = original;
    });
  }
  const deno = (globalThis as { Deno?: { exit?: (code?: number) => never } }).Deno;
  if (deno && typeof deno.exit === "function") {
    const original = deno.exit;
    const bound = original.bind(deno);
    realExit = bound;
    try {
      Object.defineProperty(deno, "exit", { value: guard(bound), configurable: true, writable: true });
      restore.push(() => Object.defineProperty(deno, "exit", { value: original, configurable: true, writable: true }));
    } catch {
      // a frozen namespace: the exit still ends the worker, and the pool sees it
    }
  }
  const exit = realExit ?? ((code?: number): never => globalThis.process.exit(code));
  return {
    exit: (code) => exit(code),
    disarm: () => {
      for (const undo of restore.splice(0)) undo();
    },
  };
}
