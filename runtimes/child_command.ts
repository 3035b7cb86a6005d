/**
 * The command line that starts a child worker: which runtime binary (the host's unless
 * `execPath` says otherwise), and the flags that runtime needs to run an mpms entry file.
 */
import { existsSync } from "node:fs";
import { createRequire } from "node:module";
import { join } from "node:path";
import { fileURLToPath, pathToFileURL } from "node:url";
import type { AdapterOptions } from "../src/adapter.ts";
import { denoChildPermissions } from "./deno_permissions.ts";
import { currentRuntime, isTypeScript, type RuntimeName } from "./detect.ts";
import { WATCHDOG_ARGUMENT } from "./watchdog.ts";

/** The binary and arguments of a child worker. */
export interface ChildCommand {
  execPath: string;
  args: string[];
  /** The runtime that binary is (decides the flags). */
  runtime: RuntimeName;
}

/** The binary of the runtime running this code. */
export function hostExecPath(): string {
  const deno = (globalThis as { Deno?: { execPath(): string } }).Deno;
  if (!deno) return process.execPath;
  try {
    return deno.execPath();
  } catch {
    return "deno"; // no read permission for the binary's path: let PATH find it
  }
}

/** Which runtime a binary is, from its file name (node is the fallback). */
export function runtimeOfBinary(execPath: string): RuntimeName {
  const name = (execPath.split(/[\\/]/).pop() ?? "").toLowerCase();
  if (name.startsWith("deno")) return "deno";
  if (name.startsWith("bun")) return "bun";
  return "node";
}

/** The mpms package root (holds src/ and runtimes/). */
const MPMS_ROOT = fileURLToPath(new URL("..", import.meta.url));

/** Node runs a TypeScript entry (mpms from source) through tsx, loaded first. */
function tsxLoader(): string {
  try {
    return import.meta.resolve("tsx");
  } catch {
    // some module runners (vitest on Deno) do not support import.meta.resolve
  }
  try {
    return pathToFileURL(createRequire(fileURLToPath(import.meta.url)).resolve("tsx")).href;
  } catch (cause) {
    throw new Error("a Node child cannot run mpms from TypeScript source without tsx: install tsx (npm i -D tsx)", {
      cause,
    });
  }
}

/** `<mpms>/dist/runtimes/<name>.js` for a source entry `<mpms>/runtimes/<name>.ts`, if built. */
function builtEntry(entry: URL): string | null {
  const name = (entry.pathname.split("/").pop() ?? "").replace(/\.ts$/, ".js");
  const built = join(MPMS_ROOT, "dist", "runtimes", name);
  try {
    return existsSync(built) ? built : null;
  } catch {
    return null;
  }
}

/** The command that runs `entry` (an mpms child entry file) for `options.module`. */
export function childCommand(options: AdapterOptions, entry: URL): ChildCommand {
  const execPath = options.execPath ?? hostExecPath();
  const runtime = options.execPath === undefined ? currentRuntime() : runtimeOfBinary(execPath);
  const extra = options.execArgv ?? [];
  // the child's watchdog exits it (and its group) once this host is gone
  const tail = [fileURLToPath(entry), options.module.href, WATCHDOG_ARGUMENT];
  switch (runtime) {
    case "deno": {
      const permissions = denoChildPermissions(options);
      return { execPath, runtime, args: ["run", "--no-prompt", ...permissions, ...extra, ...tail] };
    }
    case "bun":
      return { execPath, runtime, args: [...extra, ...tail] };
    case "node": {
      if (!isTypeScript(entry.pathname)) return { execPath, runtime, args: [...extra, ...tail] };
      // Running from source: the built entry beside it needs no loader for itself (a stale build
      // is refused by the protocol version check); the entry loads tsx only for a .ts task module.
      const built = builtEntry(entry);
      if (built) return { execPath, runtime, args: [...extra, built, ...tail.slice(1)] };
      return { execPath, runtime, args: ["--import", tsxLoader(), ...extra, ...tail] };
    }
  }
}
