/**
 * Permissions of Deno child workers. By default a child gets what its host was granted, as Deno's
 * own Workers do; the pool's `permissions` option is a sandbox that narrows them, and it may not
 * ask for more than the host holds. Either way the child may read mpms and the task module's
 * project, which it needs to start.
 */
import { existsSync } from "node:fs";
import { dirname, join } from "node:path";
import process from "node:process";
import { fileURLToPath } from "node:url";

/** The mpms package root (holds src/ and runtimes/). */
const MPMS_ROOT = fileURLToPath(new URL("..", import.meta.url)).replace(/[\\/]$/, "");

const PROJECT_MARKERS = ["package.json", "deno.json", "deno.jsonc", "node_modules"];

/** Deno's permission names, each with the field of its query descriptor that names one item. */
const ITEM_FIELD = {
  read: "path",
  write: "path",
  net: "host",
  env: "variable",
  run: "command",
  ffi: "path",
  sys: "kind",
  import: "host",
} as const;

type PermissionName = keyof typeof ITEM_FIELD;
const NAMES = Object.keys(ITEM_FIELD) as PermissionName[];

/** The short flags Deno accepts for some permissions (`-R` is `--allow-read`). */
const SHORT: Record<string, PermissionName> = { R: "read", W: "write", N: "net", E: "env", S: "sys", I: "import" };

interface PermissionStatus {
  state: "granted" | "denied" | "prompt";
  partial?: boolean;
}
interface DenoPermissions {
  querySync(descriptor: { name: string } & Record<string, string>): PermissionStatus;
}

/** The host's permission API, or null on Node and Bun (whose processes hold every permission). */
function hostPermissions(): DenoPermissions | null {
  const deno = (globalThis as { Deno?: { permissions?: DenoPermissions } }).Deno;
  return deno?.permissions ?? null;
}

/** True if the host holds `name` fully (granted, with no item denied), or the one item given. */
function hostHas(permissions: DenoPermissions | null, name: PermissionName, item?: string): boolean {
  if (permissions === null) return true;
  try {
    const status = permissions.querySync(item === undefined ? { name } : { name, [ITEM_FIELD[name]]: item });
    return status.state === "granted" && (item !== undefined || status.partial !== true);
  } catch {
    return false; // an item Deno cannot parse (e.g. a malformed host) is not granted
  }
}

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

/** What a child reads to start: mpms itself and the task module's project (its imports too). */
function startPaths(module: URL): string[] {
  const paths = [MPMS_ROOT];
  if (module.protocol === "file:") {
    const root = projectRoot(fileURLToPath(module));
    if (!paths.includes(root)) paths.push(root);
  }
  return paths;
}

/** The options that decide a Deno child's permissions. */
export interface DenoPermissionOptions {
  module: URL;
  env?: Record<string, string>;
  cwd?: string;
  /** The sandbox: Deno permission flags, e.g. `["--allow-env=HOME", "--allow-net=api.example.com"]`. */
  permissions?: string[];
}

/** Items worth checking one by one for a permission the host holds only in part. */
function candidateItems(name: PermissionName, options: DenoPermissionOptions): string[] {
  const cwd = options.cwd ?? currentDir();
  switch (name) {
    case "read":
      return [...startPaths(options.module), ...(cwd === null ? [] : [cwd])];
    case "write":
      return cwd === null ? [] : [cwd];
    case "env":
      return Object.keys(options.env ?? {});
    default:
      return []; // Deno does not tell which hosts, commands or kinds were granted
  }
}

function currentDir(): string | null {
  try {
    return process.cwd();
  } catch {
    return null;
  }
}

/**
 * The permissions a Deno host holds, as `deno run` flags: `--allow-all` if it holds all of them;
 * otherwise `--allow-<name>` for each one it holds fully, and for one it holds in part (Deno does
 * not say which items) the items of {@link candidateItems} it holds: read access to mpms, the task
 * module's project and the working directory, write access to the working directory, and the
 * variables named in `env`. A Node or Bun host holds everything.
 */
export function inheritedDenoPermissions(options: DenoPermissionOptions): string[] {
  const permissions = hostPermissions();
  if (permissions === null || NAMES.every((name) => hostHas(permissions, name))) return ["--allow-all"];
  const flags: string[] = [];
  for (const name of NAMES) {
    if (hostHas(permissions, name)) {
      flags.push(`--allow-${name}`);
      continue;
    }
    const items = [...new Set(candidateItems(name, options))].filter(
      (item) => item !== "" && !item.includes(",") && hostHas(permissions, name, item),
    );
    if (items.length > 0) flags.push(`--allow-${name}=${items.join(",")}`);
  }
  return flags;
}

/** A permission flag taken apart: `--allow-net=a,b` is net with items a and b. */
interface AllowFlag {
  name: PermissionName | "all";
  items: string[] | null;
}

function parseAllow(flag: string): AllowFlag | null {
  if (flag === "-A" || flag === "--allow-all") return { name: "all", items: null };
  const long = /^--allow-([a-z]+)(?:=(.*))?$/.exec(flag);
  const short = /^-([A-Z])(?:=(.*))?$/.exec(flag);
  const name = long ? long[1] : short ? SHORT[short[1] as string] : undefined;
  if (name === undefined || !(name in ITEM_FIELD)) return null; // not a permission we can check
  const value = (long ?? short)?.[2];
  return { name: name as PermissionName, items: value === undefined ? null : value.split(",").filter(Boolean) };
}

/**
 * Checks the sandbox against the host: a Deno host may give a child only what it holds itself
 * (Deno would grant a subprocess anything it is started with). Throws a RangeError naming the
 * first flag that asks for more.
 */
function checkNarrows(flags: readonly string[]): void {
  const permissions = hostPermissions();
  if (permissions === null) return;
  for (const flag of flags) {
    const allow = parseAllow(flag);
    if (allow === null) continue;
    const missing =
      allow.name === "all"
        ? NAMES.find((name) => !hostHas(permissions, name))
        : allow.items === null
          ? hostHas(permissions, allow.name)
            ? undefined
            : allow.name
          : allow.items.find((item) => !hostHas(permissions, allow.name as PermissionName, item));
    if (missing !== undefined) {
      throw new RangeError(
        `mpms: option "permissions": ${JSON.stringify(flag)} asks for more than this Deno host holds ` +
          `(${JSON.stringify(missing)} is not granted to it); the permissions of Deno children can only narrow the host's`,
      );
    }
  }
}

/** True if the flags already grant reading everything (then no read flag may be added). */
function readsAll(flags: readonly string[]): boolean {
  return flags.some((flag) => {
    const allow = parseAllow(flag);
    return allow !== null && (allow.name === "all" || (allow.name === "read" && allow.items === null));
  });
}

/**
 * The permission flags of a Deno child: the host's ({@link inheritedDenoPermissions}) by
 * default; with `permissions`, those flags (checked to narrow the host's) plus read access to
 * mpms and the task module's project, without which the child cannot start (Deno merges several
 * `--allow-read=` lists; an unscoped `--allow-read` already covers them).
 */
export function denoChildPermissions(options: DenoPermissionOptions): string[] {
  if (options.permissions === undefined) return inheritedDenoPermissions(options);
  checkNarrows(options.permissions);
  if (readsAll(options.permissions)) return [...options.permissions];
  return [...options.permissions, `--allow-read=${startPaths(options.module).join(",")}`];
}

/** The permissions a Deno process needs to use a Unix socket at a path: read, write and net (`unix:<path>`). */
const SOCKET_ACCESS = ["read", "write", "net"] as const;

/** True if `flags` (a Deno command line) deny any permission a socket channel needs. */
export function deniesSocket(flags: readonly string[]): boolean {
  return flags.some((flag) => /^--deny-(read|write|net)(=|$)/.test(flag));
}

/**
 * The flags a Deno child needs, besides `flags` (its command line so far), to connect to the
 * Unix socket at `path`: `--allow-read=<path>`, `--allow-write=<path>` and
 * `--allow-net=unix:<path>`, each left out where `flags` already grant that permission whole (Deno
 * refuses a scoped flag next to `--allow-all`, and merges several scoped lists).
 */
export function socketPermissions(flags: readonly string[], path: string): string[] {
  const whole = new Set<string>();
  for (const flag of flags) {
    const allow = parseAllow(flag);
    if (allow !== null && allow.items === null) whole.add(allow.name);
  }
  if (whole.has("all")) return [];
  return SOCKET_ACCESS.filter((name) => !whole.has(name)).map(
    (name) => `--allow-${name}=${name === "net" ? `unix:${path}` : path}`,
  );
}

/**
 * The folder where this Deno host may make a private directory and listen on a Unix socket in it,
 * without a prompt; null if it may not. The folder is `$TMPDIR` (if the host may read that
 * variable) or `/tmp`; the host must hold read and write access to it, and net access whole
 * (Deno checks net for `unix:<path>`, and the path is not known beforehand).
 */
export function socketBase(): string | null {
  const permissions = hostPermissions();
  let base = "/tmp";
  if (hostHas(permissions, "env", "TMPDIR")) {
    const value = process.env.TMPDIR;
    if (value !== undefined && value !== "") base = value.replace(/(.)\/+$/, "$1");
  }
  const ok = hostHas(permissions, "write", base) && hostHas(permissions, "read", base) && hostHas(permissions, "net");
  return ok ? base : null;
}
