/**
 * The latest progress of running tasks in the view of `mpms run` (the real CLI, stderr a pipe:
 * the plain mode, MPMS_PROGRESS_INTERVAL short): shown while tasks run, bounded, terminal-safe,
 * gone once they settled; stdout is what a run without a view (--quiet) writes.
 */
import { writeFileSync } from "node:fs";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { waitFor } from "../helpers.ts";
import { cli, outcomes, runCli, tempDir, useCli, writeLines } from "./cli.ts";

const TASKS = "test/cli/progress_tasks.ts";

useCli();

const PROGRESS_LINE = /^mpms: progress: .*$/gm;

describe("the latest progress in the view of mpms run", () => {
  it("shows running tasks' latest progress (3 of them, values cut and made safe), leaves the output as it was", async () => {
    const dir = tempDir();
    const release = join(dir, "release");
    // 5 lines on 4 workers: 4 run at once and report 200k values each, then wait for `release`
    const inputs = Array.from({ length: 5 }, (_, i) => JSON.stringify({ i, file: release, steps: 200_000 }));
    const input = writeLines(dir, "in.ndjson", inputs);
    const args = ["run", TASKS, "--name", "reportUntil", "--workers", "4", "--input", input];
    const run = runCli(args, { env: { MPMS_PROGRESS_INTERVAL: "50" } });
    const waiting = (): string[] =>
      (run.stderr().match(PROGRESS_LINE) ?? []).filter((l) => (l.match(/"waiting/g) ?? []).length === 3);
    await waitFor(() => waiting().length > 0, 30_000, "a progress line with 3 waiting tasks");
    const line = waiting()[0] as string;
    // the first three reporting tasks (input order of their first report), then how many more
    // (JSON escapes the control character; the 10k-character tail is cut to 40 in all)
    const value = String.raw`"waiting\\u001b\[2Jx{22}…`;
    expect(line).toMatch(
      new RegExp(`^mpms: progress: line \\d ${value}; line \\d ${value}; line \\d ${value}; \\+1 more$`),
    );
    expect(line.length).toBeLessThanOrEqual("mpms: progress: ".length + 200);
    writeFileSync(release, "");
    const { code } = await run.exited;
    const stderr = run.stderr();
    expect(code, stderr).toBe(0);
    expect(stderr).not.toContain("\u001b"); // the control character in the value never reaches the terminal
    // after the summary nothing more; the summary is the usual one
    expect(stderr).toMatch(/mpms: 5 lines in .*5 ok, 0 failed/);
    const summaryAt = stderr.search(/mpms: 5 lines in /);
    expect(stderr.slice(summaryAt)).not.toContain("mpms: progress:");
    // the output is exactly what a run without a view writes
    const quiet = await cli([...args, "--quiet"], {});
    expect(quiet.code).toBe(0);
    const sorted = (text: string) => outcomes(text).sort((a, b) => a.line - b.line);
    expect(sorted(run.stdout())).toEqual(sorted(quiet.stdout));
    expect(sorted(run.stdout())).toHaveLength(5);
    expect(run.stdout()).not.toContain("waiting");
  });
});
