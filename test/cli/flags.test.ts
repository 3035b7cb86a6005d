/**
 * `mpms run` flags about input limits, the resume index, the restart intensity, heartbeats and
 * the admin token, as a real subprocess on this runtime: a line over --max-line-bytes is an
 * error outcome and the run goes on; resume line numbers past 2^32 do not alias low lines;
 * poison inputs under --retries do not end a long run; --restart-intensity and --heartbeat reach
 * the pool; the token (from --token-file or MPMS_ADMIN_TOKEN) never reaches the workers.
 */
import { readFileSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { runtime, waitFor } from "../helpers.ts";
import { cli, outcomes, runCli, TASKS, tempDir, useCli, writeLines } from "./cli.ts";

useCli();

describe("--max-line-bytes", () => {
  it("a longer line is an error outcome (ERR_MPMS_INPUT) and the lines after it still run", async () => {
    const long = JSON.stringify("x".repeat(300_000)); // over several 64 KiB read chunks
    const exact = JSON.stringify("y".repeat(998)); // 1000 bytes: at the limit, still taken
    const stdin = ["1", long, "3", `${exact}\r`, "5"].map((l) => `${l}\n`).join("");
    const r = await cli(["run", TASKS, "--workers", "1", "--ordered", "--max-line-bytes", "1000"], { stdin });
    expect(r.code, r.stderr).toBe(1);
    const lines = outcomes(r.stdout);
    expect(lines.map((o) => [o.line, o.status])).toEqual([
      [1, "ok"],
      [2, "error"],
      [3, "ok"],
      [4, "ok"],
      [5, "ok"],
    ]);
    expect(lines[1]?.error).toEqual({
      name: "RangeError",
      message: "input line 2 has 300002 bytes, more than --max-line-bytes 1000",
      code: "ERR_MPMS_INPUT",
    });
    expect(lines[3]?.value).toBe(JSON.parse(exact));
    expect(r.stderr).toMatch(/5 lines in .*: 4 ok, 0 failed, 1 over --max-line-bytes/);
  });
});

describe("--resume", () => {
  it("an answered line number past 2^32 does not count as line 1 (or any low line)", async () => {
    const dir = tempDir();
    const input = writeLines(dir, "in.ndjson", ["10", "20"]);
    const output = join(dir, "out.ndjson");
    const before = `{"line":${2 ** 32 + 1},"status":"ok","value":0}\n{"line":${2 ** 35 + 2},"status":"ok","value":0}\n`;
    writeFileSync(output, before);
    const r = await cli(["run", TASKS, "--input", input, "--output", output, "--resume", "--ordered"]);
    expect(r.code, r.stderr).toBe(0);
    expect(r.stderr).not.toMatch(/skipped/);
    expect(readFileSync(output, "utf8")).toBe(
      `${before}{"line":1,"status":"ok","value":10}\n{"line":2,"status":"ok","value":20}\n`,
    );
  });
});

describe("restarts and heartbeats", () => {
  it("poison inputs under --retries crash more than 10 times a minute, and the run still answers every line", async () => {
    // 6 poison lines, each run twice (--retries 1): 12 crashes, past the pool's default
    // intensity of 10 within 60 s; good lines between them complete.
    const jobs = Array.from({ length: 24 }, (_, i) => JSON.stringify(i % 4 === 0 ? { i, crash: true } : { i }));
    const r = await cli(["run", TASKS, "--name", "crashIf", "--retries", "1", "--workers", "2", "--ordered"], {
      stdin: `${jobs.join("\n")}\n`,
    });
    expect(r.code, r.stderr).toBe(1); // the poison lines failed
    expect(r.stderr).not.toMatch(/the pool cannot run tasks|giving up|the pool failed/);
    const lines = outcomes(r.stdout);
    expect(lines.map((o) => o.line)).toEqual(jobs.map((_, i) => i + 1));
    for (const o of lines) {
      if ((o.line - 1) % 4 === 0) {
        expect(o).toMatchObject({
          status: "error",
          attempts: 2,
          error: { name: "WorkerCrashedError", code: "ERR_MPMS_WORKER_CRASHED", exitCode: 5 },
        });
      } else expect(o.status).toBe("ok");
    }
    expect(r.stderr).toMatch(/exits by reason: .*crash 12/);
  });

  it("--restart-intensity 0: the first counted failure (a crash at start) fails the pool; the line is left out for --resume", async () => {
    // The task's own crash is its outcome, not a failure of the pool; the worker after it exits
    // in init, which counts.
    const flagFile = join(tempDir(), "crash");
    const r = await cli(
      [
        "run",
        "test/fixtures/supervision.ts",
        "--name",
        "startCrashLoop",
        "--retries",
        "2",
        "--workers",
        "1",
        "--restart-intensity",
        "0",
      ],
      { stdin: "1\n", env: { CRASH_FLAG: flagFile } },
    );
    expect(r.code, r.stderr).toBe(1);
    expect(r.stdout).toBe("");
    expect(r.stderr).toMatch(/^mpms: the pool cannot run tasks any more: /m);
    expect(r.stderr).toMatch(/interrupted \(the pool failed\)/);
  });

  it("--heartbeat TIMEOUT leaves a busy blocked worker alone; --max-blocked kills it; --no-heartbeat lets it run", async () => {
    const base = ["run", TASKS, "--name", "busy", "--workers", "1", "--adapter", "process"];
    const [busy, blocked, off] = await Promise.all([
      cli([...base, "--heartbeat", "300ms"], { stdin: '{"ms":1500}\n' }),
      cli([...base, "--heartbeat", "300ms", "--max-blocked", "600ms"], { stdin: '{"ms":6000}\n' }),
      cli([...base, "--no-heartbeat"], { stdin: '{"ms":1500}\n' }),
    ]);
    expect(busy.code, busy.stderr).toBe(0);
    expect(outcomes(busy.stdout)).toEqual([{ line: 1, status: "ok", value: 1500 }]);
    expect(blocked.code, blocked.stderr).toBe(1);
    expect(outcomes(blocked.stdout)[0]).toMatchObject({ line: 1, status: "error" });
    expect(blocked.stderr).toMatch(/exits by reason: .*heartbeat 1/);
    expect(off.code, off.stderr).toBe(0);
    expect(outcomes(off.stdout)).toEqual([{ line: 1, status: "ok", value: 1500 }]);
    const [both, offBlocked] = await Promise.all([
      cli([...base, "--heartbeat", "1s", "--no-heartbeat"], { stdin: "" }),
      cli([...base, "--max-blocked", "1s", "--no-heartbeat"], { stdin: "" }),
    ]);
    expect(both.code).toBe(2);
    expect(both.stderr).toMatch(/^mpms: --heartbeat and --no-heartbeat exclude each other$/m);
    expect(offBlocked.code).toBe(2);
    expect(offBlocked.stderr).toMatch(/^mpms: --max-blocked needs heartbeats: it excludes --no-heartbeat$/m);
  });
});

describe("the admin token", () => {
  it("--token-file: the token (one trailing newline trimmed) guards the controls and is not in the workers' environment", async () => {
    const dir = tempDir();
    const token = "file-token-0123456789abcdef";
    const file = join(dir, "token");
    writeFileSync(file, `${token}\n`);
    const args = ["run", TASKS, "--name", "envHas", "--workers", "1", "--admin", "127.0.0.1:0", "--token-file", file];
    const run = runCli(args, { stdin: `${JSON.stringify({ value: token })}\n`, keepStdin: true });
    const pattern = /mpms: admin endpoint (http:\/\/127\.0\.0\.1:\d+\/) /;
    await waitFor(() => pattern.test(run.stderr()), 20_000, "the admin URL");
    const url = pattern.exec(run.stderr())?.[1] as string;
    const resize = (auth: string): Promise<Response> =>
      fetch(`${url}pools/tasks/resize`, {
        method: "POST",
        headers: { Authorization: `Bearer ${auth}`, "Content-Type": "application/json" },
        body: JSON.stringify({ workers: 1 }),
      });
    expect((await resize(`${token}x`)).status).toBe(403); // a wrong token
    expect((await resize(token)).status).toBe(202);
    run.child.stdin?.end();
    expect((await run.exited).code, run.stderr()).toBe(0);
    expect(outcomes(run.stdout())).toEqual([{ line: 1, status: "ok", value: { found: false, named: false } }]);
    expect(run.stderr()).not.toContain(token);

    const empty = join(dir, "empty");
    writeFileSync(empty, "\n");
    const [missing, blank, twice] = await Promise.all([
      cli(["run", TASKS, "--admin", "--token-file", join(dir, "nope")], { stdin: "" }),
      cli(["run", TASKS, "--admin", "--token-file", empty], { stdin: "" }),
      cli(["run", TASKS, "--admin", "--token-file", file, "--token", token], { stdin: "" }),
    ]);
    expect([missing.code, blank.code, twice.code]).toEqual([2, 2, 2]);
    expect(missing.stderr).toMatch(/^mpms: cannot read --token-file .*nope": ENOENT$/m);
    expect(blank.stderr).toMatch(/^mpms: --token-file .* is empty$/m);
    expect(twice.stderr).toMatch(/^mpms: --token and --token-file exclude each other/m);
  });

  it("MPMS_ADMIN_TOKEN is taken out of the environment: thread and process workers do not see it", async () => {
    const token = "env-token-0123456789abcdef";
    const input = `${JSON.stringify({ value: token })}\n`;
    // Deno's worker processes get no env permission (they could not read the variable anyway)
    const adapters = runtime === "deno" ? ["thread"] : ["thread", "process"];
    const runs = await Promise.all(
      adapters.map((adapter) =>
        cli(["run", TASKS, "--name", "envHas", "--workers", "1", "--adapter", adapter, "--admin", "--quiet"], {
          stdin: input,
          env: { MPMS_ADMIN_TOKEN: token },
        }),
      ),
    );
    for (const r of runs) {
      expect(r.code, r.stderr).toBe(0);
      expect(outcomes(r.stdout)).toEqual([{ line: 1, status: "ok", value: { found: false, named: false } }]);
    }
  });
});
