/**
 * Command lines of `mpms worker` and `mpms enqueue` (the BullMQ commands). Every mistake is a
 * {@link UsageError} naming the flag and the value, as for `mpms run`.
 */
import { MAX_CONCURRENCY, MAX_WORKERS } from "../util/limits.ts";
import { type AdminAddress, parseAdmin, parseDuration, parseMemory, UsageError } from "./args.ts";

/** `mpms worker <task-module> --queue NAME --redis URL [pool flags] [queue flags]`. */
export interface WorkerCommandOptions {
  module: string;
  queue: string;
  redis: string;
  workers: number | undefined;
  concurrency: number | undefined;
  adapter: string | undefined;
  /** The pool's task timeout (every job), ms. */
  timeout: number | undefined;
  maxTasks: number | undefined;
  maxAge: number | undefined;
  maxAgeHard: number | undefined;
  maxMemoryMb: number | undefined;
  /** Heartbeat timeout (ms); false: --no-heartbeat; undefined: the pool's default. */
  heartbeat: number | false | undefined;
  /** Pool `heartbeat.maxBlocked` (ms): a busy worker silent this long is killed; undefined: never. */
  maxBlocked: number | undefined;
  /** Pool `restart.intensity`: worker failures within a minute before the pool gives up. */
  restartIntensity: number | undefined;
  /** Jobs at once (default workers × concurrency). */
  jobs: number | undefined;
  timeoutField: string | undefined;
  exportFromName: boolean;
  unrecoverable: string[] | undefined;
  /** ms from SIGTERM to exit. */
  shutdownTimeout: number;
  lockDuration: number | undefined;
  stalledInterval: number | undefined;
  maxStalledCount: number | undefined;
  admin: AdminAddress | null;
  token: string | undefined;
  quiet: boolean;
}

/** `mpms enqueue --queue NAME --redis URL [--input FILE] [--output FILE] [job flags]`. */
export interface EnqueueCommandOptions {
  queue: string;
  redis: string;
  input: string | null;
  /** With an output, wait for every job and write its outcome line there. */
  output: string | null;
  wait: boolean;
  name: string;
  attempts: number | undefined;
  backoff: number | undefined;
  /** Prefix of job ids: `<prefix>-<line>` (so enqueueing the same file again adds nothing). */
  idPrefix: string | undefined;
  /** Give up waiting for outcomes after this long (ms). */
  waitTimeout: number | undefined;
  quiet: boolean;
}

type Kind = "string" | "int" | "duration" | "memory" | "flag" | "admin" | "list";

interface Spec {
  key: string;
  kind: Kind;
  min?: number;
  max?: number;
}

const WORKER_FLAGS: Record<string, Spec> = {
  "--queue": { key: "queue", kind: "string" },
  "--redis": { key: "redis", kind: "string" },
  "--workers": { key: "workers", kind: "int", min: 1, max: MAX_WORKERS },
  "--concurrency": { key: "concurrency", kind: "int", min: 1, max: MAX_CONCURRENCY },
  "--adapter": { key: "adapter", kind: "string" },
  "--timeout": { key: "timeout", kind: "duration" },
  "--max-tasks": { key: "maxTasks", kind: "int", min: 1 },
  "--max-age": { key: "maxAge", kind: "duration" },
  "--max-age-hard": { key: "maxAgeHard", kind: "duration" },
  "--max-memory": { key: "maxMemoryMb", kind: "memory" },
  "--heartbeat": { key: "heartbeat", kind: "duration" },
  "--no-heartbeat": { key: "noHeartbeat", kind: "flag" },
  "--max-blocked": { key: "maxBlocked", kind: "duration" },
  "--restart-intensity": { key: "restartIntensity", kind: "int", min: 1, max: 1_000_000 },
  "--jobs": { key: "jobs", kind: "int", min: 1, max: 100_000 },
  "--timeout-field": { key: "timeoutField", kind: "string" },
  "--export-from-name": { key: "exportFromName", kind: "flag" },
  "--unrecoverable": { key: "unrecoverable", kind: "list" },
  "--shutdown-timeout": { key: "shutdownTimeout", kind: "duration" },
  "--lock-duration": { key: "lockDuration", kind: "duration" },
  "--stalled-interval": { key: "stalledInterval", kind: "duration" },
  "--max-stalled-count": { key: "maxStalledCount", kind: "int", min: 0, max: 1_000 },
  "--admin": { key: "admin", kind: "admin" },
  "--token": { key: "token", kind: "string" },
  "--quiet": { key: "quiet", kind: "flag" },
};

const ENQUEUE_FLAGS: Record<string, Spec> = {
  "--queue": { key: "queue", kind: "string" },
  "--redis": { key: "redis", kind: "string" },
  "--input": { key: "input", kind: "string" },
  "--output": { key: "output", kind: "string" },
  "--wait": { key: "wait", kind: "flag" },
  "--name": { key: "name", kind: "string" },
  "--attempts": { key: "attempts", kind: "int", min: 1, max: 1_000 },
  "--backoff": { key: "backoff", kind: "duration" },
  "--id-prefix": { key: "idPrefix", kind: "string" },
  "--wait-timeout": { key: "waitTimeout", kind: "duration" },
  "--quiet": { key: "quiet", kind: "flag" },
};

/** `mpms worker --help`. */
export const WORKER_HELP: string = `mpms worker: one node of a BullMQ queue; each job runs as a task on a supervised pool.

Usage:
  mpms worker <task-module> --queue NAME --redis URL [options]

  --queue NAME        the BullMQ queue
  --redis URL         redis:// or rediss:// (default: MPMS_REDIS_URL)
Pool (as for mpms run):
  --workers N, --concurrency N, --adapter NAME, --timeout DURATION, --max-tasks N,
  --max-age DURATION, --max-age-hard DURATION, --max-memory SIZE,
  --heartbeat DURATION, --no-heartbeat, --max-blocked DURATION
  --restart-intensity N  worker failures (crashes at start or while idle) within a minute
                      before the pool gives up and the node exits 1 (default 10)
Queue:
  --jobs N            jobs at once on this node (default workers x concurrency)
  --timeout-field F   the job data field holding the job's time limit (ms)
  --export-from-name  the job's name picks the task module's export
  --unrecoverable A,B error names that fail a job at once, without retry
  --lock-duration DURATION, --stalled-interval DURATION, --max-stalled-count N
                      BullMQ Worker settings
Shutdown (SIGTERM/SIGINT): stop fetching, let running jobs finish, hand back those still running
(no attempt used), exit 0; a second signal hands back at once (exit 1).
  --shutdown-timeout DURATION
                      from the signal to exit (default 30s)
  --admin [HOST:PORT] the admin endpoint, with the queue's series (--token T or MPMS_ADMIN_TOKEN)
  --quiet             no status lines
See docs/distributed.md.
`;

/** `mpms enqueue --help`. */
export const ENQUEUE_HELP: string = `mpms enqueue: add each JSON line of the input as a job of a BullMQ queue.

Usage:
  mpms enqueue --queue NAME --redis URL [--input FILE] [--output FILE | --wait] [options]

  --input FILE        JSON lines (default stdin)
  --output FILE       wait for every job and write its outcome line there (--wait: to stdout)
  --wait-timeout DURATION
                      stop waiting after this long (exit 1)
  --name JOB          the jobs' name (default "job")
  --attempts N, --backoff DURATION
                      BullMQ attempts, and a fixed back-off between them
  --id-prefix P       job ids P-<line>: adding the same file again adds nothing
  --quiet             no status lines
Exit 0 when every job completed, 1 otherwise, 2 for a bad command line. See docs/distributed.md.
`;

/** Whether the command line asks for help (`--help` or `-h` anywhere). */
export function wantsHelp(argv: readonly string[]): boolean {
  return argv.includes("--help") || argv.includes("-h");
}

const ADMIN_VALUE = /^(?:\[[0-9A-Fa-f:.]+\]|[A-Za-z0-9.-]*):\d+$|^\d+$/;

function int(flag: string, raw: string, min: number, max: number): number {
  const n = /^\d+$/.test(raw) ? Number(raw) : Number.NaN;
  if (!Number.isSafeInteger(n) || n < min || n > max) {
    const range = max === Number.MAX_SAFE_INTEGER ? `>= ${min}` : `from ${min} to ${max}`;
    throw new UsageError(`${flag} must be an integer ${range}, got ${JSON.stringify(raw)}`);
  }
  return n;
}

function parseValue(flag: string, spec: Spec, raw: string): unknown {
  switch (spec.kind) {
    case "string":
      if (raw === "") throw new UsageError(`${flag} needs a non-empty value`);
      return raw;
    case "int":
      return int(flag, raw, spec.min ?? 0, spec.max ?? Number.MAX_SAFE_INTEGER);
    case "duration":
      return parseDuration(flag, raw);
    case "memory":
      return parseMemory(flag, raw);
    case "admin":
      return parseAdmin(raw);
    case "list": {
      const names = raw.split(",").map((s) => s.trim());
      if (names.some((s) => s === ""))
        throw new UsageError(`${flag} needs comma-separated names, got ${JSON.stringify(raw)}`);
      return names;
    }
    default:
      throw new UsageError(`${flag} takes no value, got ${JSON.stringify(raw)}`);
  }
}

/** Flags after the command word; at most one positional argument. */
function parseFlags(
  command: string,
  argv: readonly string[],
  flags: Record<string, Spec>,
): { values: Record<string, unknown>; positional: string | undefined } {
  const values: Record<string, unknown> = {};
  let positional: string | undefined;
  for (let i = 0; i < argv.length; i++) {
    const arg = argv[i] as string;
    if (!arg.startsWith("--")) {
      if (positional !== undefined) throw new UsageError(`unexpected argument ${JSON.stringify(arg)}`);
      positional = arg;
      continue;
    }
    const eq = arg.indexOf("=");
    const flag = eq > 0 ? arg.slice(0, eq) : arg;
    const spec = flags[flag];
    if (!spec) throw new UsageError(`unknown option ${flag} for mpms ${command}`);
    if (spec.key in values) throw new UsageError(`${flag} is given twice`);
    let raw: string | undefined = eq > 0 ? arg.slice(eq + 1) : undefined;
    if (spec.kind === "flag") {
      if (raw !== undefined) throw new UsageError(`${flag} takes no value, got ${JSON.stringify(raw)}`);
      values[spec.key] = true;
      continue;
    }
    if (spec.kind === "admin" && raw === undefined) {
      const next = argv[i + 1];
      if (next === undefined || !ADMIN_VALUE.test(next)) {
        values[spec.key] = { hostname: "127.0.0.1", port: 0 };
        continue;
      }
    }
    if (raw === undefined) {
      const next = argv[i + 1];
      if (next === undefined || next.startsWith("--")) throw new UsageError(`${flag} needs a value`);
      raw = next;
      i++;
    }
    values[spec.key] = parseValue(flag, spec, raw);
  }
  return { values, positional };
}

function required(values: Record<string, unknown>, key: string, flag: string, command: string): string {
  const value = values[key];
  if (typeof value !== "string") throw new UsageError(`mpms ${command} needs ${flag}`);
  return value;
}

/** Parse `mpms worker …` (argv without the command word). */
export function parseWorkerArgs(
  argv: readonly string[],
  env: (name: string) => string | undefined,
): WorkerCommandOptions {
  const { values, positional } = parseFlags("worker", argv, WORKER_FLAGS);
  if (positional === undefined) throw new UsageError("missing the task module: mpms worker <task-module> --queue NAME");
  const redis = (values.redis as string | undefined) ?? env("MPMS_REDIS_URL");
  if (redis === undefined || redis === "") throw new UsageError("mpms worker needs --redis URL (or MPMS_REDIS_URL)");
  if ("token" in values && !("admin" in values)) throw new UsageError("--token is only used with --admin");
  const token = (values.token as string | undefined) ?? (env("MPMS_ADMIN_TOKEN") || undefined);
  if ("heartbeat" in values && values.noHeartbeat === true) {
    throw new UsageError("--heartbeat and --no-heartbeat exclude each other");
  }
  if ("maxBlocked" in values && values.noHeartbeat === true) {
    throw new UsageError("--max-blocked needs heartbeats: it excludes --no-heartbeat");
  }
  return {
    module: positional,
    queue: required(values, "queue", "--queue NAME", "worker"),
    redis,
    workers: values.workers as number | undefined,
    concurrency: values.concurrency as number | undefined,
    adapter: values.adapter as string | undefined,
    timeout: values.timeout as number | undefined,
    maxTasks: values.maxTasks as number | undefined,
    maxAge: values.maxAge as number | undefined,
    maxAgeHard: values.maxAgeHard as number | undefined,
    maxMemoryMb: values.maxMemoryMb as number | undefined,
    heartbeat: values.noHeartbeat === true ? false : (values.heartbeat as number | undefined),
    maxBlocked: values.maxBlocked as number | undefined,
    restartIntensity: values.restartIntensity as number | undefined,
    jobs: values.jobs as number | undefined,
    timeoutField: values.timeoutField as string | undefined,
    exportFromName: values.exportFromName === true,
    unrecoverable: values.unrecoverable as string[] | undefined,
    shutdownTimeout: (values.shutdownTimeout as number | undefined) ?? 30_000,
    lockDuration: values.lockDuration as number | undefined,
    stalledInterval: values.stalledInterval as number | undefined,
    maxStalledCount: values.maxStalledCount as number | undefined,
    admin: (values.admin as AdminAddress | undefined) ?? null,
    token: "admin" in values ? token : undefined,
    quiet: values.quiet === true,
  };
}

/** Parse `mpms enqueue …` (argv without the command word). */
export function parseEnqueueArgs(
  argv: readonly string[],
  env: (name: string) => string | undefined,
): EnqueueCommandOptions {
  const { values, positional } = parseFlags("enqueue", argv, ENQUEUE_FLAGS);
  if (positional !== undefined) throw new UsageError(`unexpected argument ${JSON.stringify(positional)}`);
  const redis = (values.redis as string | undefined) ?? env("MPMS_REDIS_URL");
  if (redis === undefined || redis === "") throw new UsageError("mpms enqueue needs --redis URL (or MPMS_REDIS_URL)");
  const input = (values.input as string | undefined) ?? null;
  const output = (values.output as string | undefined) ?? null;
  if (values.waitTimeout !== undefined && values.wait !== true && output === null) {
    throw new UsageError("--wait-timeout is only used with --wait or --output");
  }
  if (typeof values.idPrefix === "string" && values.idPrefix.includes(":")) {
    throw new UsageError(`--id-prefix cannot contain ":" (BullMQ job ids), got ${JSON.stringify(values.idPrefix)}`);
  }
  return {
    queue: required(values, "queue", "--queue NAME", "enqueue"),
    redis,
    input: input === "-" ? null : input,
    output: output === "-" ? null : output,
    wait: values.wait === true || output !== null,
    name: (values.name as string | undefined) ?? "job",
    attempts: values.attempts as number | undefined,
    backoff: values.backoff as number | undefined,
    idPrefix: values.idPrefix as string | undefined,
    waitTimeout: values.waitTimeout as number | undefined,
    quiet: values.quiet === true,
  };
}
