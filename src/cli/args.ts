/**
 * Command-line parsing for `mpms`: flags to a checked {@link RunOptions}. Every mistake is a
 * {@link UsageError} with one line that names the flag and the value (exit code 2).
 */
import { MAX_CONCURRENCY, MAX_MS, MAX_WORKERS } from "../util/limits.ts";
import { DEFAULT_MAX_LINE_BYTES } from "./lines.ts";

/** A bad command line: the message is shown with the usage, and the exit code is 2. */
export class UsageError extends Error {
  constructor(message: string) {
    super(message);
    this.name = "UsageError";
  }
}

export interface AdminAddress {
  hostname: string;
  /** 0 picks a free port. */
  port: number;
}

/** `mpms run` options after parsing; pool options left undefined keep the pool's defaults. */
export interface RunOptions {
  /** The task module as given: a path relative to the working directory, or a URL. */
  module: string;
  /** Input file; null reads stdin. */
  input: string | null;
  /** Output file; null writes to stdout. */
  output: string | null;
  /** Named export to call (default: the default export). */
  name: string | undefined;
  ordered: boolean;
  resume: boolean;
  quiet: boolean;
  retries: number;
  admin: AdminAddress | null;
  /** The admin token: --token, else --token-file's content, else MPMS_ADMIN_TOKEN. */
  token: string | undefined;
  /** --token-file: read by runCommand into `token`. */
  tokenFile: string | undefined;
  /** Input lines longer than this many bytes become an error outcome (default 64 MiB). */
  maxLineBytes: number;
  /** Pool `restart.intensity`; undefined: the CLI's crash-loop rule (see docs/cli.md). */
  restartIntensity: number | undefined;
  /** Heartbeat timeout (ms); false: --no-heartbeat; undefined: the pool's default. */
  heartbeat: number | false | undefined;
  /** Pool `heartbeat.maxBlocked` (ms): a busy worker silent this long is killed; undefined: never. */
  maxBlocked: number | undefined;
  workers: number | undefined;
  concurrency: number | undefined;
  adapter: string | undefined;
  /** Task timeout, ms. */
  timeout: number | undefined;
  maxTasks: number | undefined;
  /** ms */
  maxAge: number | undefined;
  /** ms */
  maxAgeHard: number | undefined;
  /** MiB */
  maxMemoryMb: number | undefined;
}

export type Command = { kind: "help" } | { kind: "run"; options: RunOptions };

type Kind = "string" | "int" | "count" | "duration" | "memory" | "flag" | "admin" | "intensity" | "bytes" | "off";

interface FlagSpec {
  key: keyof RunOptions;
  kind: Kind;
  /** Smallest value allowed for "int". */
  min?: number;
  max?: number;
}

const FLAGS: Record<string, FlagSpec> = {
  "--input": { key: "input", kind: "string" },
  "--output": { key: "output", kind: "string" },
  "--name": { key: "name", kind: "string" },
  "--ordered": { key: "ordered", kind: "flag" },
  "--resume": { key: "resume", kind: "flag" },
  "--quiet": { key: "quiet", kind: "flag" },
  "--retries": { key: "retries", kind: "count" },
  "--admin": { key: "admin", kind: "admin" },
  "--token": { key: "token", kind: "string" },
  "--token-file": { key: "tokenFile", kind: "string" },
  "--max-line-bytes": { key: "maxLineBytes", kind: "bytes" },
  "--restart-intensity": { key: "restartIntensity", kind: "intensity" },
  "--heartbeat": { key: "heartbeat", kind: "duration" },
  "--no-heartbeat": { key: "heartbeat", kind: "off" },
  "--max-blocked": { key: "maxBlocked", kind: "duration" },
  "--workers": { key: "workers", kind: "int", min: 1, max: MAX_WORKERS },
  "--concurrency": { key: "concurrency", kind: "int", min: 1, max: MAX_CONCURRENCY },
  "--adapter": { key: "adapter", kind: "string" },
  "--timeout": { key: "timeout", kind: "duration" },
  "--max-tasks": { key: "maxTasks", kind: "int", min: 1 },
  "--max-age": { key: "maxAge", kind: "duration" },
  "--max-age-hard": { key: "maxAgeHard", kind: "duration" },
  "--max-memory": { key: "maxMemoryMb", kind: "memory" },
};

/** The flag of each pool option, to translate the pool's own validation messages. */
export const FLAG_OF_OPTION: Record<string, string> = {
  workers: "--workers",
  concurrency: "--concurrency",
  adapter: "--adapter",
  taskTimeout: "--timeout",
  maxTasks: "--max-tasks",
  maxAge: "--max-age",
  maxAgeHard: "--max-age-hard",
  maxMemoryMb: "--max-memory",
  token: "--token",
  "restart.intensity": "--restart-intensity",
  "heartbeat.timeout": "--heartbeat",
  "heartbeat.interval": "--heartbeat",
  "heartbeat.maxBlocked": "--max-blocked",
};

function parseInt10(flag: string, raw: string, min: number, max: number): number {
  const n = /^\d+$/.test(raw) ? Number(raw) : Number.NaN;
  if (!Number.isSafeInteger(n) || n < min || n > max) {
    const range = max === Number.MAX_SAFE_INTEGER ? `>= ${min}` : `from ${min} to ${max}`;
    throw new UsageError(`${flag} must be an integer ${range}, got ${JSON.stringify(raw)}`);
  }
  return n;
}

/** "1500", "1500ms", "1.5s", "2m", "1h" → ms (> 0). */
export function parseDuration(flag: string, raw: string): number {
  const m = /^(\d+(?:\.\d+)?)(ms|s|m|h)?$/.exec(raw.trim());
  const scale = { ms: 1, s: 1_000, m: 60_000, h: 3_600_000 }[m?.[2] ?? "ms"] ?? 1;
  const ms = m ? Math.round(Number(m[1]) * scale) : Number.NaN;
  if (!(ms > 0 && ms <= MAX_MS)) {
    throw new UsageError(
      `${flag} must be a duration > 0: milliseconds or with a unit (500, 30s, 2m, 1h), got ${JSON.stringify(raw)}`,
    );
  }
  return ms;
}

/** "512", "512M", "512MiB", "1.5G" → MiB (> 0). */
export function parseMemory(flag: string, raw: string): number {
  const m = /^(\d+(?:\.\d+)?)\s*(m|mb|mib|g|gb|gib)?$/i.exec(raw.trim());
  const giga = m?.[2]?.toLowerCase().startsWith("g") === true;
  const mib = m ? Number(m[1]) * (giga ? 1024 : 1) : Number.NaN;
  if (!(mib > 0 && Number.isFinite(mib))) {
    throw new UsageError(
      `${flag} must be a size > 0 in MiB, or with a unit (512, 512M, 2G), got ${JSON.stringify(raw)}`,
    );
  }
  return mib;
}

/** "1048576", "512K", "64M", "1G" (powers of 1024) → bytes, a whole number >= 1. */
export function parseBytes(flag: string, raw: string): number {
  const m = /^(\d+)\s*(k|kb|kib|m|mb|mib|g|gb|gib)?$/i.exec(raw.trim());
  const unit = m?.[2]?.[0]?.toLowerCase();
  const scale = unit === "k" ? 1024 : unit === "m" ? 1024 ** 2 : unit === "g" ? 1024 ** 3 : 1;
  const bytes = m ? Number(m[1]) * scale : Number.NaN;
  if (!(Number.isSafeInteger(bytes) && bytes >= 1)) {
    throw new UsageError(
      `${flag} must be a whole number of bytes >= 1, or with a unit (65536, 512K, 64M, 1G), got ${JSON.stringify(raw)}`,
    );
  }
  return bytes;
}

/** "0", "10", "Infinity" → the pool's `restart.intensity`. */
export function parseIntensity(flag: string, raw: string): number {
  if (/^(infinity|inf)$/i.test(raw.trim())) return Number.POSITIVE_INFINITY;
  const n = /^\d+$/.test(raw.trim()) ? Number(raw.trim()) : Number.NaN;
  if (!Number.isSafeInteger(n)) {
    throw new UsageError(`${flag} must be an integer >= 0 or Infinity, got ${JSON.stringify(raw)}`);
  }
  return n;
}

/** What `--admin`'s optional value looks like: HOST:PORT, :PORT, PORT or [IPv6]:PORT. */
const ADMIN_VALUE = /^(?:\[[0-9A-Fa-f:.]+\]|[A-Za-z0-9.-]*):\d+$|^\d+$/;

/** "HOST:PORT", ":PORT", "PORT", "[::1]:PORT" → address; the default host is 127.0.0.1. */
export function parseAdmin(raw: string): AdminAddress {
  if (!ADMIN_VALUE.test(raw)) {
    throw new UsageError(`--admin must be HOST:PORT, :PORT or PORT, got ${JSON.stringify(raw)}`);
  }
  const colon = raw.lastIndexOf(":");
  const port = Number(raw.slice(colon + 1));
  if (port > 65_535) throw new UsageError(`--admin port must be from 0 to 65535, got ${JSON.stringify(raw)}`);
  let hostname = colon > 0 ? raw.slice(0, colon) : "";
  if (hostname.startsWith("[")) hostname = hostname.slice(1, -1);
  return { hostname: hostname === "" ? "127.0.0.1" : hostname, port };
}

function defaults(): Omit<RunOptions, "module"> {
  return {
    input: null,
    output: null,
    name: undefined,
    ordered: false,
    resume: false,
    quiet: false,
    retries: 0,
    admin: null,
    token: undefined,
    tokenFile: undefined,
    maxLineBytes: DEFAULT_MAX_LINE_BYTES,
    restartIntensity: undefined,
    heartbeat: undefined,
    maxBlocked: undefined,
    workers: undefined,
    concurrency: undefined,
    adapter: undefined,
    timeout: undefined,
    maxTasks: undefined,
    maxAge: undefined,
    maxAgeHard: undefined,
    maxMemoryMb: undefined,
  };
}

function value(flag: string, spec: FlagSpec, raw: string): unknown {
  switch (spec.kind) {
    case "string":
      if (raw === "") throw new UsageError(`${flag} needs a non-empty value`);
      return raw;
    case "int":
      return parseInt10(flag, raw, spec.min ?? 0, spec.max ?? Number.MAX_SAFE_INTEGER);
    case "count":
      return parseInt10(flag, raw, 0, 1_000);
    case "duration":
      return parseDuration(flag, raw);
    case "memory":
      return parseMemory(flag, raw);
    case "admin":
      return parseAdmin(raw);
    case "bytes":
      return parseBytes(flag, raw);
    case "intensity":
      return parseIntensity(flag, raw);
    default:
      throw new UsageError(`${flag} takes no value, got ${JSON.stringify(raw)}`);
  }
}

/**
 * Parse the arguments after the program name. `env` supplies MPMS_ADMIN_TOKEN when --token is
 * not given.
 */
export function parseArgs(
  argv: readonly string[],
  env: (name: string) => string | undefined = () => undefined,
): Command {
  if (argv.includes("--help") || argv.includes("-h") || argv[0] === "help") return { kind: "help" };
  if (argv.length === 0) throw new UsageError("missing command (the command is run)");
  const [command, ...rest] = argv;
  if (command !== "run") {
    throw new UsageError(
      (command as string).startsWith("-")
        ? `expected a command before ${command} (the command is run)`
        : `unknown command ${JSON.stringify(command)} (the command is run)`,
    );
  }
  const options: Partial<RunOptions> & Omit<RunOptions, "module"> = defaults();
  const seen = new Set<string>();
  let module: string | undefined;
  let flagsDone = false;
  for (let i = 0; i < rest.length; i++) {
    const arg = rest[i] as string;
    if (flagsDone || !arg.startsWith("-") || arg === "-") {
      if (module !== undefined) throw new UsageError(`unexpected argument ${JSON.stringify(arg)}`);
      module = arg;
      continue;
    }
    if (arg === "--") {
      flagsDone = true;
      continue;
    }
    const eq = arg.indexOf("=");
    const flag = eq > 0 ? arg.slice(0, eq) : arg;
    const spec = FLAGS[flag];
    if (!spec) throw new UsageError(`unknown option ${flag}`);
    if (seen.has(flag)) throw new UsageError(`${flag} is given twice`);
    seen.add(flag);
    let raw: string | undefined = eq > 0 ? arg.slice(eq + 1) : undefined;
    if (spec.kind === "flag" || spec.kind === "off") {
      if (raw !== undefined) throw new UsageError(`${flag} takes no value, got ${JSON.stringify(raw)}`);
      (options as Record<string, unknown>)[spec.key] = spec.kind === "flag";
      continue;
    }
    if (spec.kind === "admin" && raw === undefined) {
      const next = rest[i + 1];
      if (next !== undefined && ADMIN_VALUE.test(next)) {
        raw = next;
        i++;
      } else {
        options.admin = { hostname: "127.0.0.1", port: 0 };
        continue;
      }
    }
    if (raw === undefined) {
      const next = rest[i + 1];
      if (next === undefined || (next.startsWith("--") && next.length > 2)) {
        throw new UsageError(`${flag} needs a value`);
      }
      raw = next;
      i++;
    }
    (options as Record<string, unknown>)[spec.key] = value(flag, spec, raw);
  }
  if (module === undefined) throw new UsageError("missing the task module: mpms run <task-module>");
  if (options.input === "-") options.input = null;
  if (options.output === "-") options.output = null;
  if (options.resume && options.output === null) {
    throw new UsageError("--resume needs --output FILE (the outcomes already written there are skipped)");
  }
  if (seen.has("--heartbeat") && seen.has("--no-heartbeat")) {
    throw new UsageError("--heartbeat and --no-heartbeat exclude each other");
  }
  if (seen.has("--max-blocked") && seen.has("--no-heartbeat")) {
    throw new UsageError("--max-blocked needs heartbeats: it excludes --no-heartbeat");
  }
  if (seen.has("--token") && seen.has("--token-file")) {
    throw new UsageError("--token and --token-file exclude each other (prefer --token-file)");
  }
  for (const flag of ["--token", "--token-file"]) {
    if (seen.has(flag) && options.admin === null) throw new UsageError(`${flag} is only used with --admin`);
  }
  if (options.token === undefined && options.tokenFile === undefined) {
    const token = env("MPMS_ADMIN_TOKEN");
    if (token !== undefined && token !== "") options.token = token;
  }
  return { kind: "run", options: { ...options, module } };
}
