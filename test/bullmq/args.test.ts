/**
 * The command lines of `mpms worker` and `mpms enqueue`, parsed without Redis or processes: each
 * mistake is a UsageError naming the flag; the pool's heartbeat flags are those of `mpms run`.
 */
import { describe, expect, test } from "vitest";
import { UsageError } from "../../src/cli/args.ts";
import { parseEnqueueArgs, parseWorkerArgs, wantsHelp } from "../../src/cli/queue_args.ts";

const noEnv = (): undefined => undefined;
const base = ["jobs.ts", "--queue", "q", "--redis", "redis://127.0.0.1:6379"];

function usage(run: () => unknown): string {
  try {
    run();
  } catch (error) {
    expect(error).toBeInstanceOf(UsageError);
    return (error as Error).message;
  }
  throw new Error("no UsageError");
}

describe("mpms worker arguments", () => {
  test("defaults, and the Redis URL from MPMS_REDIS_URL", () => {
    const options = parseWorkerArgs(["jobs.ts", "--queue", "q"], (name) =>
      name === "MPMS_REDIS_URL" ? "redis://r:1" : undefined,
    );
    expect(options).toMatchObject({
      module: "jobs.ts",
      queue: "q",
      redis: "redis://r:1",
      shutdownTimeout: 30_000,
      heartbeat: undefined,
      maxBlocked: undefined,
      admin: null,
    });
  });

  test("--heartbeat, --no-heartbeat and --max-blocked, as for mpms run", () => {
    expect(parseWorkerArgs([...base, "--heartbeat", "5s", "--max-blocked", "2m"], noEnv)).toMatchObject({
      heartbeat: 5_000,
      maxBlocked: 120_000,
    });
    expect(parseWorkerArgs([...base, "--no-heartbeat"], noEnv).heartbeat).toBe(false);
    expect(usage(() => parseWorkerArgs([...base, "--heartbeat", "5s", "--no-heartbeat"], noEnv))).toBe(
      "--heartbeat and --no-heartbeat exclude each other",
    );
    expect(usage(() => parseWorkerArgs([...base, "--max-blocked", "1m", "--no-heartbeat"], noEnv))).toMatch(
      /--max-blocked needs heartbeats/,
    );
  });

  test("mistakes name the flag", () => {
    expect(usage(() => parseWorkerArgs(["jobs.ts", "--redis", "redis://h"], noEnv))).toMatch(/needs --queue NAME/);
    expect(usage(() => parseWorkerArgs(["jobs.ts", "--queue", "q"], noEnv))).toMatch(/needs --redis URL/);
    expect(usage(() => parseWorkerArgs(["--queue", "q", "--redis", "redis://h"], noEnv))).toMatch(/task module/);
    expect(usage(() => parseWorkerArgs([...base, "--workers", "0"], noEnv))).toMatch(/--workers must be an integer/);
    expect(usage(() => parseWorkerArgs([...base, "--jobs", "2", "--jobs", "3"], noEnv))).toMatch(/given twice/);
    expect(usage(() => parseWorkerArgs([...base, "--token", "t"], noEnv))).toMatch(/only used with --admin/);
    expect(usage(() => parseWorkerArgs([...base, "--quiet=yes"], noEnv))).toMatch(/--quiet takes no value/);
  });
});

describe("mpms enqueue arguments", () => {
  test("--output implies waiting; '-' is stdin or stdout", () => {
    const options = parseEnqueueArgs(["--queue", "q", "--redis", "redis://h", "--input", "-", "--output", "o"], noEnv);
    expect(options).toMatchObject({ input: null, output: "o", wait: true, name: "job" });
  });

  test("mistakes name the flag", () => {
    expect(
      usage(() => parseEnqueueArgs(["--queue", "q", "--redis", "redis://h", "--id-prefix", "a:b"], noEnv)),
    ).toMatch(/--id-prefix cannot contain ":"/);
    expect(
      usage(() => parseEnqueueArgs(["--queue", "q", "--redis", "redis://h", "--wait-timeout", "1s"], noEnv)),
    ).toMatch(/--wait-timeout is only used with --wait or --output/);
    expect(usage(() => parseEnqueueArgs(["--queue", "q", "extra", "--redis", "redis://h"], noEnv))).toMatch(
      /unexpected argument "extra"/,
    );
  });

  test("--help or -h anywhere asks for the command's help", () => {
    expect(wantsHelp(["--queue", "q", "--help"])).toBe(true);
    expect(wantsHelp(["-h"])).toBe(true);
    expect(wantsHelp(["--queue", "help"])).toBe(false);
  });
});
