/**
 * The command line that starts a child worker: which runtime binary (the host's unless
 * `execPath` says otherwise), and the flags that runtime needs to run an mpms entry file.
 */
import { existsSync } from "node:fs";
import { createRequire } from "node:module";
import { dirname, join } from "node:path";
import { fileURLToPath, pathToFileURL } from "node:url";
import type { AdapterOptions } from "../src/adapter.ts";
import { currentRuntime, isTypeScript, type RuntimeName } from "./detect.ts";

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

const PROJECT_MARKERS = ["package.json", "deno.json", "deno.jsonc", "node_modules"];

/** The nearest folder above `file` that looks like a project root; its own folder if none. */
function projectRoot(file: string): string {
  const start = dirname(file);
  try {
    for (let dir = start; ; dir = dirname(dir)) {
      if (PROJECT_MARKERS.some((marker) => existsSync(join(dir, marker)))) return dir;
      if (dirname(dir) === dir) return start;
    }
  } catch {
    return start; // the host may not read the file system (Deno without --allow-read)
  }
}

/**
 * Deno children get only what they need by default: read access to the task module's project
 * (its static imports are checked too when it is imported dynamically) and to mpms itself, and
 * access to the environment variables the pool was given in `env` (and to no others).
 */
export function defaultDenoPermissions(module: URL, env?: Record<string, string>): string[] {
  const paths = [MPMS_ROOT.replace(/\/$/, "")];
  if (module.protocol === "file:") {
    const root = projectRoot(fileURLToPath(module));
    if (!paths.includes(root)) paths.push(root);
  }
  const permissions = [`--allow-read=${paths.join(",")}`];
  const names = Object.keys(env ?? {}).filter((name) => name !== "" && !/[,=]/.test(name));
  if (names.length > 0) permissions.push(`--allow-env=${names.join(",")}`);
  return permissions;
}

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
  const tail = [fileURLToPath(entry), options.module.href];
  switch (runtime) {
    case "deno": {
      const permissions = options.permissions ?? defaultDenoPermissions(options.module, options.env);
      return { execPath, runtime, args: ["run", "--no-prompt", ...permissions, ...extra, ...tail] };
    }
    case "bun":
      return { execPath, runtime, args: [...extra, ...tail] };
    case "node": {
      if (!isTypeScript(entry.pathname)) return { execPath, runtime, args: [...extra, ...tail] };
      // Running from source: the built entry beside it needs no loader for itself (a stale build
      // is refused by the protocol version check); the entry loads tsx only for a .ts task module.
      const built = builtEntry(entry);
      if (built) return { execPath, runtime, args: [...extra, built, options.module.href] };
      return { execPath, runtime, args: ["--import", tsxLoader(), ...extra, ...tail] };
    }
  }
}

/** The child's environment: the host's, plus `options.env` (undefined: inherit as is). */
export function childEnv(options: AdapterOptions): Record<string, string> | undefined {
  if (options.env === undefined) return undefined;
  const env: Record<string, string> = {};
  for (const [key, value] of Object.entries(process.env)) if (value !== undefined) env[key] = value;
  return Object.assign(env, options.env);
}
