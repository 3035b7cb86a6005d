/**
 * Deno's per-worker sandbox for `adapter: "web"`. The pool option `permissions` is a list of Deno
 * CLI flags (the same list a Deno child gets); a Web Worker takes them as the object of
 * `new Worker(url, { deno: { permissions } })`. This module translates one into the other and
 * refuses what a worker cannot express, naming the flag.
 */

/** The permission kinds a Deno worker can be given. */
const KINDS = ["read", "write", "net", "env", "run", "sys", "ffi", "import"] as const;
type Kind = (typeof KINDS)[number];

/** One kind's grant: all (`true`), none (`false`), or a list of paths, hosts, names. */
export type DenoPermissionGrant = boolean | string[];

/** What `deno.permissions` of a Deno Worker takes: "inherit", or a grant per kind (absent: none). */
export type DenoWorkerPermissions = "inherit" | Partial<Record<Kind, DenoPermissionGrant>>;

const FLAG = /^--allow-([a-z]+)(?:=(.*))?$/s;

/**
 * Translate Deno CLI permission flags (`--allow-read`, `--allow-read=/a,/b`, `--allow-net=host`,
 * `-A`/`--allow-all`) to a worker's `deno.permissions`. Kinds not named are denied. Throws a
 * RangeError naming the flag for anything else (`--deny-*` has no worker form).
 */
export function denoWorkerPermissions(flags: readonly string[]): DenoWorkerPermissions {
  const grants: Partial<Record<Kind, DenoPermissionGrant>> = {};
  for (const flag of flags) {
    if (flag === "-A" || flag === "--allow-all") return "inherit";
    if (flag === "--no-prompt") continue; // a worker never prompts
    const match = FLAG.exec(flag);
    const kind = match?.[1] as Kind | undefined;
    if (!match || kind === undefined || !KINDS.includes(kind)) {
      throw new RangeError(
        `mpms: option "permissions" of adapter "web": ${JSON.stringify(flag)} has no Deno worker form ` +
          `(use -A, --allow-all, --allow-<kind> or --allow-<kind>=<list> with kind one of ${KINDS.join(", ")})`,
      );
    }
    const list = match[2];
    if (list === undefined) {
      grants[kind] = true;
      continue;
    }
    const items = list.split(",").filter((item) => item !== "");
    if (items.length === 0) {
      throw new RangeError(`mpms: option "permissions" of adapter "web": ${JSON.stringify(flag)} lists nothing`);
    }
    const before = grants[kind];
    if (before === true) continue;
    grants[kind] = [...(Array.isArray(before) ? before : []), ...items];
  }
  return grants;
}

/**
 * Whether this Deno host runs with `--unstable-worker-options`. Without it, Deno does not throw
 * on `deno.permissions`: it prints a notice and ends the whole host process (code 70). No API
 * tells, so the host's command line is read (Linux /proc); unknown means no.
 */
export function denoWorkerOptionsEnabled(): boolean {
  const deno = (globalThis as { Deno?: { readTextFileSync?(path: string): string } }).Deno;
  if (typeof deno?.readTextFileSync !== "function") return false;
  let cmdline: string;
  try {
    cmdline = deno.readTextFileSync("/proc/self/cmdline");
  } catch {
    return false;
  }
  const args = cmdline.split("\0");
  // Runtime flags come before the script; the script's own arguments must not count.
  for (const arg of args.slice(1)) {
    if (arg === "--unstable-worker-options" || arg === "--unstable") return true;
    if (!arg.startsWith("-") && arg !== "run" && arg !== "test" && arg !== "eval") break;
  }
  return false;
}
