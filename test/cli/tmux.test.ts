/**
 * The progress bar in a real terminal: the CLI runs in a tmux pane, and the test reads the
 * screen with capture-pane until the bar has rendered and moved, then checks the summary. The
 * bar's moves are driven by the test (tasks held until marker files exist), not by timing.
 * Skipped (with a message) when tmux is not installed: apt-get install -y tmux
 */
import { spawnSync } from "node:child_process";
import { writeFileSync } from "node:fs";
import { join } from "node:path";
import { afterEach, describe, expect, it } from "vitest";
import { waitFor } from "../helpers.ts";
import { cliCommand, ROOT, TASKS, tempDir, useCli, writeLines } from "./cli.ts";

useCli();

const hasTmux = spawnSync("tmux", ["-V"]).status === 0;
if (!hasTmux) {
  console.warn("test/cli/tmux.test.ts: SKIPPED: tmux is not installed (apt-get install -y tmux)");
}

const socket = `mpms-cli-test-${process.pid}`;
const tmux = (...args: string[]) => spawnSync("tmux", ["-L", socket, "-f", "/dev/null", ...args], { encoding: "utf8" });
const quote = (s: string): string => `'${s.replaceAll("'", "'\\''")}'`;
const BAR = /\[[= >]+\] (\d+)\/200 +(\d+)% +[\d.?]+\/s +ETA [\d:?]+ +failed 0 +workers (\d+)/;

describe.skipIf(!hasTmux)("progress in a terminal (tmux)", () => {
  afterEach(() => {
    tmux("kill-server"); // ends the pane's shell and anything still running in it
  });

  it("draws a live bar that updates (done/total, rate, ETA, failures, workers), then the summary", async () => {
    const dir = tempDir();
    // Lines 1-50 answer at once, 51-100 are held until `first` exists, 101-200 until `second`:
    // the bar rests at 50/200, then at 100/200, for as long as the test needs to see it.
    const first = join(dir, "first");
    const second = join(dir, "second");
    const input = writeLines(
      dir,
      "in.ndjson",
      Array.from({ length: 200 }, (_, i) => JSON.stringify(i < 50 ? { i } : { i, file: i < 100 ? first : second })),
    );
    const output = join(dir, "out.ndjson");
    const command = [
      ...cliCommand(),
      "run",
      TASKS,
      "--name",
      "holdUntil",
      "--input",
      input,
      "--output",
      output,
      "--workers",
      "2",
    ];
    const shell = `${command.map(quote).join(" ")}; echo "EXIT=$?"; sleep 60`;
    const started = tmux("new-session", "-d", "-s", "cli", "-x", "150", "-y", "30", "-c", ROOT, shell);
    expect(started.status, started.stderr).toBe(0);
    const screen = (): string => tmux("capture-pane", "-p", "-t", "cli").stdout ?? "";
    const seen = new Set<number>();
    let last = "";
    /** Read the screen until `done` holds for it (or the run ended); the bar counts seen are kept. */
    const watch = async (done: (screen: string) => boolean, what: string): Promise<void> => {
      try {
        await waitFor(
          () => {
            last = screen();
            for (const line of last.split("\n")) {
              const m = BAR.exec(line);
              if (m) seen.add(Number(m[1]));
            }
            return done(last) || last.includes("EXIT=");
          },
          40_000,
          what,
        );
      } catch (error) {
        throw new Error(`${(error as Error).message}; the screen:\n${last}`);
      }
    };
    await watch(() => seen.has(50), "the bar at 50/200");
    writeFileSync(first, "");
    await watch(() => seen.has(100), "the bar at 100/200");
    writeFileSync(second, "");
    await watch((s) => s.includes("EXIT="), "the run to end in the tmux pane");
    // the bar was drawn mid-run more than once, with different counts: it updates in place
    const midway = [...seen].filter((n) => n > 0 && n < 200);
    expect(midway.length, `bar states seen: ${[...seen].join(", ")}\n${last}`).toBeGreaterThanOrEqual(2);
    expect(seen.has(50) && seen.has(100), `bar states seen: ${[...seen].join(", ")}\n${last}`).toBe(true);
    // the final bar stays on screen, then the summary; the bar is redrawn in place, not repeated
    const lines = last.split("\n");
    const bars = lines.filter((l) => BAR.test(l));
    expect(bars, last).toHaveLength(1);
    expect(bars[0]).toMatch(/\[=+\] 200\/200 100% .* workers 2/);
    expect(last).toMatch(/mpms: 200 lines in [\d.]+ s \([\d.]+\/s\): 200 ok, 0 failed/);
    expect(last).toMatch(/mpms: task time p50 [\d.]+ ms, p95 [\d.]+ ms, p99 [\d.]+ ms/);
    expect(last).toMatch(/mpms: workers 2 started; exits by reason: close 2/);
    expect(last).toContain("EXIT=0");
  });

  it("shows running tasks' latest progress after the bar, and none once they settled", async () => {
    const dir = tempDir();
    const release = join(dir, "release");
    const input = writeLines(
      dir,
      "in.ndjson",
      [0, 1].map((i) => JSON.stringify({ i, file: release, steps: 1000 })),
    );
    const output = join(dir, "out.ndjson");
    const command = [...cliCommand(), "run", "test/cli/progress_tasks.ts", "--name", "reportUntil"];
    const args = ["--input", input, "--output", output, "--workers", "2"];
    const shell = `${[...command, ...args].map(quote).join(" ")}; echo "EXIT=$?"; sleep 60`;
    const started = tmux("new-session", "-d", "-s", "cli", "-x", "150", "-y", "30", "-c", ROOT, shell);
    expect(started.status, started.stderr).toBe(0);
    const screen = (): string => tmux("capture-pane", "-p", "-t", "cli").stdout ?? "";
    // both tasks wait with their last report: the bar at 0/2, their values in the columns left
    const live = /\] 0\/2 .*workers 2 {2}line \d "waiting\\u001b\[2Jx+…; line \d /;
    let last = "";
    const see = async (done: (text: string) => boolean, what: string): Promise<void> => {
      const check = (): boolean => {
        last = screen();
        return done(last);
      };
      await waitFor(check, 40_000, what).catch((error: Error) => {
        throw new Error(`${error.message}; the screen:\n${last}`);
      });
    };
    await see((text) => live.test(text), "the progress after the bar");
    const bar = last.split("\n").find((l) => live.test(l)) ?? "";
    expect(bar.length, bar).toBeLessThan(150);
    writeFileSync(release, "");
    await see((text) => text.includes("EXIT="), "the run to end");
    const bars = last.split("\n").filter((l) => /\] \d\/2 /.test(l));
    expect(bars, last).toHaveLength(1);
    expect(bars[0]).toMatch(/\[=+\] 2\/2 100% .* workers 2$/); // settled tasks leave the view
    expect(last).toContain("EXIT=0");
  });
});
