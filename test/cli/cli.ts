/**
 * Runs the `mpms` CLI as a real subprocess with the runtime running the tests: Node through
 * tsx (`node --import tsx bin/mpms.ts`), `bun bin/mpms.ts`, `deno run -A bin/mpms.ts`, from the
 * repository root. Every process started here is killed (with its descendants) after each test.
 */
import { type ChildProcess, spawn } from "node:child_process";
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import { afterEach } from "vitest";
import { childPids, runtime } from "../helpers.ts";

export const ROOT: string = fileURLToPath(new URL("../../", import.meta.url));
export const TASKS = "test/fixtures/cli/tasks.ts";

/** The command line that starts the CLI from source on this runtime. */
export function cliCommand(): string[] {
  if (runtime === "deno") {
    const deno = (globalThis as unknown as { Deno: { execPath(): string } }).Deno.execPath();
    return [deno, "run", "-A", "bin/mpms.ts"];
  }
  if (runtime === "bun") return [process.execPath, "bin/mpms.ts"];
  return [process.execPath, "--import", import.meta.resolve("tsx"), "bin/mpms.ts"];
}

export interface CliRun {
  child: ChildProcess;
  stdout(): string;
  stderr(): string;
  exited: Promise<{ code: number | null; signal: string | null }>;
}

const running: ChildProcess[] = [];
const temps: string[] = [];

/** Kill what a test left running, and remove its temporary folders. Call once per test file. */
export function useCli(): void {
  afterEach(() => {
    for (const child of running.splice(0)) {
      if (child.exitCode !== null || child.signalCode !== null || child.pid === undefined) continue;
      for (const pid of [...childPids(child.pid), child.pid]) {
        try {
          process.kill(pid, "SIGKILL");
        } catch {
          // already gone
        }
      }
    }
    for (const dir of temps.splice(0)) rmSync(dir, { recursive: true, force: true });
  });
}

/** A fresh temporary folder, removed after the test. */
export function tempDir(): string {
  const dir = mkdtempSync(join(tmpdir(), "mpms-cli-"));
  temps.push(dir);
  return dir;
}

/** Write `lines` (one per line, with a final newline) to `dir/name`; returns the path. */
export function writeLines(dir: string, name: string, lines: string[]): string {
  const path = join(dir, name);
  writeFileSync(path, lines.map((l) => `${l}\n`).join(""));
  return path;
}

export interface CliOptions {
  /** Written to stdin, which is then closed (unless `keepStdin`). */
  stdin?: string;
  /** Leave stdin open (write more through `child.stdin`). */
  keepStdin?: boolean;
  env?: Record<string, string>;
}

/** Start `mpms <args>`. */
export function runCli(args: string[], options: CliOptions = {}): CliRun {
  const [bin, ...base] = cliCommand() as [string, ...string[]];
  const child = spawn(bin, [...base, ...args], {
    cwd: ROOT,
    env: { ...process.env, ...options.env },
    stdio: ["pipe", "pipe", "pipe"],
  });
  running.push(child);
  let out = "";
  let err = "";
  child.stdout?.on("data", (chunk: Buffer) => {
    out += chunk.toString();
  });
  child.stderr?.on("data", (chunk: Buffer) => {
    err += chunk.toString();
  });
  if (options.stdin !== undefined) child.stdin?.write(options.stdin);
  if (!options.keepStdin) child.stdin?.end();
  const exited = new Promise<{ code: number | null; signal: string | null }>((resolve) => {
    child.on("close", (code, signal) => resolve({ code, signal }));
  });
  return { child, stdout: () => out, stderr: () => err, exited };
}

/** Run to the end; resolves with the exit code and both outputs. */
export async function cli(
  args: string[],
  options: CliOptions = {},
): Promise<{ code: number | null; stdout: string; stderr: string }> {
  const run = runCli(args, options);
  const { code } = await run.exited;
  return { code, stdout: run.stdout(), stderr: run.stderr() };
}

export interface OutcomeLine {
  line: number;
  status: "ok" | "error";
  value?: unknown;
  error?: { name: string; message: string; code: unknown };
  attempts?: number;
}

/** Parse JSON lines (every one must parse). */
export function outcomes(text: string): OutcomeLine[] {
  return text
    .split("\n")
    .filter((l) => l !== "")
    .map((l) => JSON.parse(l) as OutcomeLine);
}

/** The lines of a file that parse as JSON (a cut-off last line of a killed run does not). */
export function fileOutcomes(path: string): OutcomeLine[] {
  let text: string;
  try {
    text = readFileSync(path, "utf8");
  } catch {
    return [];
  }
  return text.split("\n").flatMap((l) => {
    try {
      return [JSON.parse(l) as OutcomeLine];
    } catch {
      return [];
    }
  });
}
