/**
 * `mpms run` and its output, as a real subprocess on this runtime: the output is never the input
 * (by any name), is created only once the pool started and the admin endpoint is bound, a write
 * error (a real /dev/full) stops the run with one line and a closed pool, stdout's reader going
 * away (EPIPE) ends the run cleanly, and the output is fsync'ed before the summary (checked with
 * strace when it is installed).
 */
import { spawn, spawnSync } from "node:child_process";
import { existsSync, linkSync, readdirSync, readFileSync, realpathSync, symlinkSync, writeFileSync } from "node:fs";
import { createServer, type Server } from "node:net";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { runtime, waitFor } from "../helpers.ts";
import { cli, cliCommand, outcomes, ROOT, runCli, TASKS, tempDir, useCli, writeLines } from "./cli.ts";

useCli();

const STACK_LINE = /^\s+at /m;

function alive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch {
    return false;
  }
}

describe("the output is not the input", () => {
  it("refuses the same file by path, hard link, symlink, or stdin redirected from it: exit 2, input intact", async () => {
    const dir = tempDir();
    const lines = ["1", "2", "3"];
    const input = writeLines(dir, "in.ndjson", lines);
    const hard = join(dir, "hard.ndjson");
    const soft = join(dir, "soft.ndjson");
    linkSync(input, hard);
    symlinkSync(input, soft);
    const stdinFrom = (path: string): string[] => ["-c", `exec "$@" < "${path}"`, "sh"];
    const [bin, ...base] = cliCommand() as [string, ...string[]];
    const cases: string[][] = [
      ["--input", input, "--output", input],
      ["--input", input, "--output", hard],
      ["--input", soft, "--output", input],
      ["--input", input, "--output", soft, "--resume"],
    ];
    const results = await Promise.all([
      ...cases.map((args) => cli(["run", TASKS, ...args])),
      // stdin is the file: `mpms run … --output F < F`
      new Promise<{ code: number | null; stderr: string }>((resolve) => {
        const child = spawn("sh", [...stdinFrom(input), bin, ...base, "run", TASKS, "--output", hard], { cwd: ROOT });
        let stderr = "";
        child.stderr.on("data", (c: Buffer) => (stderr += c.toString()));
        child.on("close", (code) => resolve({ code, stderr }));
      }),
    ]);
    for (const r of results) {
      expect(r.code, r.stderr).toBe(2);
      expect(r.stderr).toMatch(/^mpms: the output .* is the input .* \(the same file\)/);
      expect(r.stderr.trimEnd().split("\n")).toHaveLength(3); // the message, then the usage
    }
    expect(results[4]?.stderr).toMatch(/is the input stdin/);
    expect(readFileSync(input, "utf8")).toBe("1\n2\n3\n");
  });

  it("an earlier output stays as it was when the module cannot start or the admin port is taken", async () => {
    const dir = tempDir();
    const broken = join(dir, "broken.js");
    writeFileSync(broken, "export default function (\n");
    const before = '{"line":1,"status":"ok","value":1}\n';
    const out1 = join(dir, "out1.ndjson");
    const out2 = join(dir, "out2.ndjson");
    writeFileSync(out1, before);
    writeFileSync(out2, before);
    const busy: Server = createServer();
    await new Promise<void>((resolve) => busy.listen(0, "127.0.0.1", resolve));
    try {
      const port = (busy.address() as { port: number }).port;
      const [noStart, noAdmin] = await Promise.all([
        cli(["run", broken, "--output", out1, "--workers", "1"], { stdin: "1\n" }),
        cli(["run", TASKS, "--output", out2, "--workers", "1", "--admin", `127.0.0.1:${port}`], { stdin: "1\n" }),
      ]);
      expect(noStart.code).toBe(2);
      expect(noStart.stderr).toMatch(/cannot start/);
      expect(noAdmin.code).toBe(2);
      expect(noAdmin.stderr).toMatch(/cannot serve the admin endpoint/);
    } finally {
      busy.close();
    }
    expect(readFileSync(out1, "utf8")).toBe(before);
    expect(readFileSync(out2, "utf8")).toBe(before);
  });
});

describe("write errors", () => {
  it.skipIf(!existsSync("/dev/full"))(
    "ENOSPC (/dev/full) stops reading, closes the pool, prints one line and the summary, exit 1",
    async () => {
      const inputs = Array.from({ length: 30 }, (_, i) => JSON.stringify(i));
      // stdin stays open: the run can only end because the write error stopped the reading
      const run = runCli(["run", TASKS, "--output", "/dev/full", "--workers", "2"], {
        stdin: `${inputs.join("\n")}\n`,
        keepStdin: true,
      });
      const { code } = await run.exited;
      const stderr = run.stderr();
      expect(code, stderr).toBe(1);
      expect(stderr.match(/^mpms: cannot write \/dev\/full: ENOSPC$/gm)).toHaveLength(1);
      expect(stderr).not.toMatch(STACK_LINE);
      expect(stderr).toMatch(/^mpms: \d+ lines in /m);
      expect(stderr).toMatch(/workers 2 started; exits by reason: close 2/); // the pool was closed
      expect(stderr).toMatch(/interrupted \(cannot write the output: ENOSPC\)/);
    },
  );
});

describe("stdout's reader goes away (EPIPE)", () => {
  it("stops reading, closes the pool, no stack trace, no worker left, exit 141", async () => {
    const dir = tempDir();
    const go = join(dir, "go");
    const pids = tempDir();
    // line 1 answers at once; the rest are held until `go` exists, created once stdout is closed
    const jobs = Array.from({ length: 40 }, (_, i) => JSON.stringify(i === 0 ? { i, pids } : { i, pids, file: go }));
    const input = writeLines(dir, "in.ndjson", jobs);
    // worker processes (on Deno, threads: its worker processes may not write the pid files)
    const adapter = runtime === "deno" ? "thread" : "process";
    const args = ["run", TASKS, "--name", "pidHold", "--input", input, "--workers", "2", "--adapter", adapter];
    const run = runCli(args);
    await waitFor(() => run.stdout().includes("\n"), 20_000, "the first outcome line");
    run.child.stdout?.destroy(); // `| head -1`
    writeFileSync(go, "");
    const { code } = await run.exited;
    const stderr = run.stderr();
    expect(code, stderr).toBe(141);
    expect(stderr).toMatch(/^mpms: stdout was closed by its reader \(EPIPE\); stopping$/m);
    expect(stderr).not.toMatch(STACK_LINE);
    expect(stderr).toMatch(/exits by reason: close 2/); // closed, not left to die with the host
    const workers = readdirSync(pids).map(Number);
    expect(workers.length).toBeGreaterThan(0);
    await waitFor(() => workers.every((pid) => !alive(pid)), 5_000, "every worker process gone");
  });
});

const strace = spawnSync("strace", ["-V"]).status === 0;

describe("fsync", () => {
  it.skipIf(!strace)("the output file is fsync'ed before the summary is printed and the run exits 0", async () => {
    const dir = realpathSync(tempDir());
    const input = writeLines(dir, "in.ndjson", ["1", "2", "3"]);
    const output = join(dir, "out.ndjson");
    const trace = join(dir, "trace.txt");
    const [bin, ...base] = cliCommand() as [string, ...string[]];
    const args = ["-f", "-qq", "-y", "-e", "trace=fsync,fdatasync,write", "-o", trace, bin, ...base];
    const r = await new Promise<number | null>((resolve) => {
      const child = spawn("strace", [...args, "run", TASKS, "--input", input, "--output", output, "--workers", "1"], {
        cwd: ROOT,
        stdio: "ignore",
      });
      child.on("close", (code) => resolve(code));
    });
    expect(r).toBe(0);
    expect(outcomes(readFileSync(output, "utf8"))).toHaveLength(3);
    const lines = readFileSync(trace, "utf8").split("\n");
    const synced = lines.findIndex((l) => /\b(fsync|fdatasync)\(\d+<([^>]*)>\)\s+= 0/.exec(l)?.[2] === output);
    // the summary goes to stderr (Bun writes it through a dup of fd 2)
    const summary = lines.findIndex((l) => /write\(\d+<[^>]*>, "mpms: 3 lines in/.test(l));
    expect(synced, "an fsync of the output").toBeGreaterThanOrEqual(0);
    expect(summary, "the summary's write").toBeGreaterThan(synced);
  });
});
