/**
 * Interrupting `mpms run` (a real subprocess, real signals) and continuing with --resume: the
 * first signal stops reading, lets the tasks in flight finish and writes them, exit 130; a second
 * one forces; the union of both runs has exactly one outcome per input line. Tests wait for
 * output lines, not for time, before they signal, and the tasks that must be in flight at the
 * signal are held by the fixture's `holdUntil` until the test creates a marker file: no outcome
 * depends on how fast the machine is.
 */
import { readFileSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { waitFor } from "../helpers.ts";
import { cli, fileOutcomes, runCli, TASKS, tempDir, useCli, writeLines } from "./cli.ts";

useCli();

// Signals go through process.kill(pid): on a Deno host, ChildProcess.kill() makes the exit report
// a signal instead of the child's own exit code.
const lineNumbers = (path: string): number[] =>
  fileOutcomes(path)
    .map((o) => o.line)
    .sort((a, b) => a - b);
const oneToN = (n: number): number[] => Array.from({ length: n }, (_, i) => i + 1);

/** `promise`, or a failure naming `what` if it has not settled after `ms` (a hang, not a slow run). */
async function within<T>(promise: Promise<T>, ms: number, what: string): Promise<T> {
  let timer: ReturnType<typeof setTimeout> | undefined;
  const late = new Promise<never>((_, reject) => {
    timer = setTimeout(() => reject(new Error(`${what}: not within ${ms} ms`)), ms);
  });
  try {
    return await Promise.race([promise, late]);
  } finally {
    clearTimeout(timer);
  }
}

describe("interrupt and resume", () => {
  it("SIGINT midway: tasks in flight finish and are written, exit 130; --resume does the rest, nothing twice", async () => {
    const dir = tempDir();
    const go = join(dir, "go");
    // Lines 1-4 answer at once; the rest stay in flight until `go` exists, which is created only
    // once the signal was taken: whatever was in flight then must still be finished and written.
    const jobs = oneToN(60).map((i) => JSON.stringify(i <= 4 ? { i } : { i, file: go }));
    const input = writeLines(dir, "in.ndjson", jobs);
    const output = join(dir, "out.ndjson");
    const args = ["run", TASKS, "--name", "holdUntil", "--output", output, "--workers", "2"];
    // The first run reads stdin, given lines 1-20 and left open: it cannot reach the end by itself.
    const stdin = jobs
      .slice(0, 20)
      .map((l) => `${l}\n`)
      .join("");
    const first = runCli(args, { stdin, keepStdin: true });
    await waitFor(() => fileOutcomes(output).length >= 4, 20_000, "4 outcome lines");
    process.kill(first.child.pid as number, "SIGINT");
    const stopped = /mpms: SIGINT: stopped reading input; finishing (\d+) tasks in flight/;
    await waitFor(() => stopped.test(first.stderr()), 20_000, "the signal's message");
    const inFlight = Number(stopped.exec(first.stderr())?.[1]);
    expect(inFlight).toBeGreaterThan(0); // lines 5.. were read before lines 1-4 could be answered
    expect(inFlight).toBeLessThanOrEqual(16); // at most lines 5-20
    expect(lineNumbers(output)).toEqual([1, 2, 3, 4]); // the rest are held
    writeFileSync(go, "");
    const { code } = await first.exited;
    expect(code).toBe(130);
    expect(first.stderr()).toMatch(/mpms: interrupted \(SIGINT\); continue with --resume --output /);
    expect(first.stderr()).not.toMatch(/were not finished/); // every task in flight was finished and written
    const text = readFileSync(output, "utf8");
    expect(text.endsWith("\n")).toBe(true);
    // lines 1-4, then the lines in flight at the signal (read in order: 5, 6, ...), each once
    const done = lineNumbers(output);
    expect(done).toEqual(oneToN(4 + inFlight));
    expect(first.stderr()).toContain(`mpms: ${done.length} lines in`);

    const second = await cli([...args, "--input", input, "--resume"]);
    expect(second.code).toBe(0);
    expect(second.stderr).toContain(`${done.length} skipped (already in the output)`);
    expect(second.stderr).toContain(`mpms: ${60 - done.length} lines in`);
    expect(lineNumbers(output)).toEqual(oneToN(60));
    for (const o of fileOutcomes(output))
      expect(o).toEqual({ line: o.line, status: "ok", value: JSON.parse(jobs[o.line - 1] as string) });
  });

  it("SIGTERM, then a second signal forces at once: unfinished tasks are left out, --resume runs them", async () => {
    const dir = tempDir();
    // 4 quick tasks, then 6 held until `release` exists, which is created only after the first
    // run ended: that run can only end by forcing, never by waiting for them.
    const release = join(dir, "release");
    const jobs = oneToN(10).map((i) => JSON.stringify(i <= 4 ? { i } : { i, file: release }));
    const input = writeLines(dir, "in.ndjson", jobs);
    const output = join(dir, "out.ndjson");
    const args = ["run", TASKS, "--name", "holdUntil", "--input", input, "--output", output, "--workers", "2"];
    const first = runCli(args);
    await waitFor(() => fileOutcomes(output).length >= 4, 20_000, "the 4 quick outcomes");
    process.kill(first.child.pid as number, "SIGTERM");
    await waitFor(() => first.stderr().includes("stopped reading input"), 20_000, "the first signal's message");
    // A second signal within 100 ms of the first counts as the same one (process-group
    // duplicates). The child took the first before printing its message, so waiting from the
    // message on only makes the gap longer: a lower bound, never a race.
    await new Promise((r) => setTimeout(r, 150));
    process.kill(first.child.pid as number, "SIGINT");
    // The held tasks never finish in this run: ending at all means the 6 were not waited for
    // (the bound only turns a hang into a clear failure).
    const { code } = await within(first.exited, 20_000, "the forced run to end");
    expect(code).toBe(130);
    expect(first.stderr()).toMatch(/received again; forcing/);
    expect(first.stderr()).toMatch(/interrupted \(SIGTERM\); 6 tasks were not finished and are not in the output/);
    expect(lineNumbers(output)).toEqual([1, 2, 3, 4]);

    writeFileSync(release, "");
    const second = await cli([...args, "--resume", "--quiet"]);
    expect(second.code).toBe(0);
    expect(lineNumbers(output)).toEqual(oneToN(10));
    for (const o of fileOutcomes(output))
      expect(o).toEqual({ line: o.line, status: "ok", value: JSON.parse(jobs[o.line - 1] as string) });
  });

  it("SIGINT while waiting on stdin that stays open still ends the run with 130", async () => {
    const run = runCli(["run", TASKS, "--workers", "1"], { stdin: "1\n2\n", keepStdin: true });
    await waitFor(() => run.stdout().split("\n").length >= 3, 20_000, "two outcome lines");
    process.kill(run.child.pid as number, "SIGINT");
    const { code } = await run.exited;
    expect(code).toBe(130);
    expect(run.stdout()).toBe('{"line":1,"status":"ok","value":1}\n{"line":2,"status":"ok","value":2}\n');
  });

  it("--resume skips answered lines, ignores a cut-off last line and keeps appending on a new line", async () => {
    const dir = tempDir();
    const input = writeLines(dir, "in.ndjson", ["10", "20", "30", "40", "50"]);
    const output = join(dir, "out.ndjson");
    const before =
      '{"line":2,"status":"ok","value":20}\n{"line":4,"status":"error","error":{"name":"E","message":"m","code":null}}\n{"line":3,"status":"ok","va';
    writeFileSync(output, before);
    const r = await cli(["run", TASKS, "--input", input, "--output", output, "--resume", "--ordered"]);
    expect(r.code).toBe(0);
    expect(r.stderr).toContain("2 skipped (already in the output)");
    const text = readFileSync(output, "utf8");
    expect(text.startsWith(`${before}\n`)).toBe(true);
    expect(text.slice(before.length + 1)).toBe(
      [
        '{"line":1,"status":"ok","value":10}',
        '{"line":3,"status":"ok","value":30}',
        '{"line":5,"status":"ok","value":50}',
        "",
      ].join("\n"),
    );
    expect(lineNumbers(output)).toEqual([1, 2, 3, 4, 5]);
  });
});
