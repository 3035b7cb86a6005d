/** Which runtime this code runs on. Deno and Bun also report `process.versions.node`, so test them first. */
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
 * Make `process.exit` and `Deno.exit`, called by task code, send the worker's pending messages
 * first: a result posted just before an exit must reach the pool (behaviour 4).
 */
export function flushBeforeExit(flush: () => void): void {
  const proc = globalThis.process as { exit?: (code?: number) => never } | undefined;
  if (proc && typeof proc.exit === "function") {
    const exit = proc.exit.bind(proc);
    proc.exit = ((code?: number) => {
      flush();
      return exit(code);
    }) as (code?: number) => never;
  }
  const deno = (globalThis as { Deno?: { exit?: (code?: number) => never } }).Deno;
  if (deno && typeof deno.exit === "function") {
    const exit = deno.exit.bind(deno);
    try {
      Object.defineProperty(deno, "exit", {
        value: (code?: number) => {
          flush();
          return exit(code);
        },
        configurable: true,
        writable: true,
      });
    } catch {
      // a frozen namespace: the heartbeat/exit path still reports the crash
    }
  }
}
