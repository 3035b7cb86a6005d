/**
 * `mpms run` as a real subprocess on this runtime: outcomes line for line, --ordered, bad JSON
 * lines, task errors, values JSON cannot hold, stdin/stdout, --retries, exit codes 0/1/2, --help.
 * Interruption and --resume are in interrupt.test.ts; the terminal progress bar in tmux.test.ts.
 */
import { spawnSync } from "node:child_process";
import { existsSync, readFileSync, writeFileSync } from "node:fs";
import { createServer, type Server } from "node:net";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { waitFor } from "../helpers.ts";
import { cli, outcomes, ROOT, runCli, TASKS, tempDir, useCli, writeLines } from "./cli.ts";

useCli();

describe("outcomes", () => {
  it("answers every input line exactly once, line for line; a line that is not JSON gets one error line", async () => {
    const dir = tempDir();
    const inputs = Array.from({ length: 40 }, (_, i) => JSON.stringify({ n: i + 1, tag: `t${i}` }));
    inputs.splice(10, 0, "{not json"); // line 11
    inputs.splice(20, 0, ""); // line 21: blank, skipped
    inputs.push('"a string"', "42", "null", "[1,2]");
    const input = writeLines(dir, "in.ndjson", inputs);
    const output = join(dir, "out.ndjson");
    const r = await cli(["run", TASKS, "--input", input, "--output", output, "--workers", "2"]);
    expect(r.code).toBe(1); // one line is not JSON
    expect(r.stdout).toBe("");
    const lines = outcomes(readFileSync(output, "utf8"));
    const expected = inputs.map((text, i) => ({ text, line: i + 1 })).filter((l) => l.text !== "");
    expect(lines.map((o) => o.line).sort((a, b) => a - b)).toEqual(expected.map((l) => l.line));
    for (const { text, line } of expected) {
      const got = lines.find((o) => o.line === line);
      if (text === "{not json") {
        expect(got?.status).toBe("error");
        expect(got?.error?.name).toBe("SyntaxError");
        expect(got?.error?.code).toBe("ERR_MPMS_INPUT");
        expect(got?.error?.message).toContain("input line 11 is not JSON");
      } else {
        expect(got).toEqual({ line, status: "ok", value: JSON.parse(text) });
      }
    }
    expect(r.stderr).toMatch(/mpms: 45 lines in [\d.]+ s \([\d.]+\/s\): 44 ok, 0 failed, 1 not JSON/);
    expect(r.stderr).toMatch(/task time p50 [\d.]+ ms, p95 [\d.]+ ms, p99 [\d.]+ ms/);
    expect(r.stderr).toMatch(/workers 2 started; exits by reason: close 2/);
  });

  it("--ordered writes in input order though tasks finish out of order; without it, completion order", async () => {
    const dir = tempDir();
    // line 1 is held until `release` exists; the others answer at once
    const release = join(dir, "release");
    const inputs = Array.from({ length: 30 }, (_, i) => JSON.stringify(i === 0 ? { i, file: release } : { i }));
    const input = writeLines(dir, "in.ndjson", inputs);
    const base = ["run", TASKS, "--name", "holdUntil", "--input", input, "--workers", "2"];
    // the ordered run shows its count of answered lines (a progress line every 10 ms)
    const ordered = runCli([...base, "--ordered"], { env: { MPMS_PROGRESS_INTERVAL: "10" } });
    const unordered = runCli([...base, "--quiet"]);
    const answered = /^mpms: ([1-9]\d*)(\/30)? done, /m;
    await waitFor(
      () => unordered.stdout().includes("\n") && answered.test(ordered.stderr()),
      20_000,
      "later lines answered while line 1 is held, in both runs",
    );
    // while line 1 is held: the ordered run holds back the later lines it has answered ...
    expect(ordered.stdout()).toBe("");
    // ... and the unordered run has written some already (line 1 cannot be among them)
    expect(unordered.stdout()).not.toContain('"line":1,');
    writeFileSync(release, "");
    const [o, u] = await Promise.all([ordered.exited, unordered.exited]);
    expect(o.code).toBe(0);
    expect(u.code).toBe(0);
    expect(unordered.stderr()).toBe(""); // --quiet: no progress, no summary
    expect(ordered.stderr()).toMatch(/mpms: 30 lines in .*30 ok, 0 failed/);
    const inOrder = outcomes(ordered.stdout());
    expect(inOrder.map((x) => x.line)).toEqual(inputs.map((_, i) => i + 1));
    expect(inOrder.map((x) => (x.value as { i: number }).i)).toEqual(inputs.map((_, i) => i));
    const asDone = outcomes(unordered.stdout());
    expect(asDone.map((x) => x.line).sort((a, b) => a - b)).toEqual(inputs.map((_, i) => i + 1));
    expect(asDone[0]?.line).not.toBe(1);
  });

  it("reads stdin and writes stdout; exit 0 when every task is ok", async () => {
    const inputs = Array.from({ length: 25 }, (_, i) => JSON.stringify(i));
    const r = await cli(["run", TASKS, "--workers", "2", "--ordered"], { stdin: `${inputs.join("\n")}\n` });
    expect(r.code).toBe(0);
    expect(outcomes(r.stdout)).toEqual(inputs.map((_, i) => ({ line: i + 1, status: "ok", value: i })));
    expect(r.stderr).toMatch(/25 lines in .*25 ok, 0 failed/);
    // stdin has no known total
    expect(r.stderr).not.toMatch(/\/25 done/);
  });

  it("a task error becomes an error line with name, message and the task's code; exit 1", async () => {
    const dir = tempDir();
    const input = writeLines(
      dir,
      "in.ndjson",
      ["1", "2", "3", "4"].map((n) => JSON.stringify({ n: Number(n) })),
    );
    const r = await cli(["run", TASKS, "--name", "oddFails", "--input", input, "--workers", "1", "--ordered"]);
    expect(r.code).toBe(1);
    expect(outcomes(r.stdout)).toEqual([
      { line: 1, status: "error", error: { name: "RangeError", message: "odd: 1", code: "E_ODD" } },
      { line: 2, status: "ok", value: 2 },
      { line: 3, status: "error", error: { name: "RangeError", message: "odd: 3", code: "E_ODD" } },
      { line: 4, status: "ok", value: 4 },
    ]);
    expect(r.stderr).toMatch(/4 lines in .*: 2 ok, 2 failed \(RangeError 2\)/);
  });

  it("a value JSON cannot hold is an error line (ERR_MPMS_OUTPUT); a missing export fails each task", async () => {
    const [big, missing] = await Promise.all([
      cli(["run", TASKS, "--name", "bigint", "--workers", "1", "--quiet"], { stdin: "1\n" }),
      cli(["run", TASKS, "--name", "nope", "--workers", "1", "--quiet"], { stdin: "1\n" }),
    ]);
    expect(big.code).toBe(1);
    const [b] = outcomes(big.stdout);
    expect(b?.status).toBe("error");
    expect(b?.error?.code).toBe("ERR_MPMS_OUTPUT");
    expect(b?.error?.name).toBe("TypeError");
    expect(missing.code).toBe(1);
    const [m] = outcomes(missing.stdout);
    expect(m?.error?.message).toContain('no exported function "nope"');
  });
});

describe("--retries", () => {
  it("re-runs a task whose worker crashed; without retries the crash is the outcome", async () => {
    const dir = tempDir();
    const markers = tempDir();
    const fresh = tempDir();
    const jobs = (d: string) => [1, 2, 3].map((id) => JSON.stringify({ id, dir: d }));
    const withRetries = writeLines(dir, "a.ndjson", jobs(markers));
    const without = writeLines(dir, "b.ndjson", jobs(fresh));
    const [retried, plain] = await Promise.all([
      cli([
        "run",
        TASKS,
        "--name",
        "crashOnce",
        "--input",
        withRetries,
        "--retries",
        "1",
        "--workers",
        "2",
        "--ordered",
      ]),
      cli(["run", TASKS, "--name", "crashOnce", "--input", without, "--workers", "2", "--ordered"]),
    ]);
    expect(retried.code).toBe(0);
    expect(outcomes(retried.stdout)).toEqual(
      [1, 2, 3].map((id) => ({ line: id, status: "ok", value: `ok ${id}`, attempts: 2 })),
    );
    expect(retried.stderr).toMatch(/3 lines in .*3 ok, 0 failed/);
    expect(retried.stderr).toMatch(/\(6 runs, 3 of them retries\)/);
    expect(retried.stderr).toMatch(/exits by reason: .*crash 3/);
    expect(plain.code).toBe(1);
    for (const o of outcomes(plain.stdout)) {
      expect(o.status).toBe("error");
      expect(o.error?.name).toBe("WorkerCrashedError");
      expect(o.error).toMatchObject({ code: "ERR_MPMS_WORKER_CRASHED", exitCode: 3 });
      expect(o.attempts).toBeUndefined();
    }
  });

  it("gives up after N retries and reports the last failure with the attempts", async () => {
    const r = await cli(["run", TASKS, "--name", "crash", "--retries", "2", "--workers", "1", "--quiet"], {
      stdin: "1\n",
    });
    expect(r.code).toBe(1);
    const [o] = outcomes(r.stdout);
    expect(o).toMatchObject({
      line: 1,
      status: "error",
      attempts: 3,
      error: { name: "WorkerCrashedError", code: "ERR_MPMS_WORKER_CRASHED", exitCode: 4 },
    });
  });
});

describe("usage", () => {
  it("exit 2 with a one-line message and the usage for a missing module, a bad flag or a bad value", async () => {
    const dir = tempDir();
    const broken = join(dir, "broken.js");
    writeFileSync(broken, "export default function (\n");
    const cases: [string[], RegExp][] = [
      [["run", "test/fixtures/cli/nope.ts"], /^mpms: cannot find the task module "test\/fixtures\/cli\/nope.ts"/],
      [["run", TASKS, "--bogus"], /^mpms: unknown option --bogus$/m],
      [["run", TASKS, "--workers", "0"], /^mpms: --workers must be an integer from 1 to 1024, got "0"$/m],
      [["run", TASKS, "--timeout", "soon"], /^mpms: --timeout must be a duration > 0/],
      [
        ["run", TASKS, "--max-age", "2s", "--max-age-hard", "1s"],
        /^mpms: --max-age \(2000\) must be below --max-age-hard \(1000\)$/m,
      ],
      [["run", TASKS, "--adapter", "nope"], /^mpms: --adapter must be one of .*got "nope"$/m],
      [["run", TASKS, "--resume"], /^mpms: --resume needs --output FILE/],
      [["run", TASKS, "--input", join(dir, "missing.ndjson")], /^mpms: cannot read --input .*missing.ndjson/],
      [["run", TASKS, "--output", join(dir, "no/such/dir.ndjson")], /^mpms: cannot write --output .*dir.ndjson/],
      [["run", broken, "--workers", "1"], /^mpms: the task module .*broken.js" cannot start: /],
      [[], /^mpms: missing command/],
      [["walk"], /^mpms: unknown command "walk"/],
    ];
    const results = await Promise.all(cases.map(([args]) => cli(args, { stdin: "" })));
    results.forEach((r, i) => {
      const [args, pattern] = cases[i] as [string[], RegExp];
      expect({ args, code: r.code }).toEqual({ args, code: 2 });
      expect(r.stderr).toMatch(pattern);
      const lines = r.stderr.trimEnd().split("\n");
      expect(lines).toHaveLength(3); // the message, then the usage
      expect(lines[1]).toMatch(/^usage: mpms run <task-module>/);
      expect(r.stdout).toBe("");
    });
  });

  it("--help documents every option and exits 0", async () => {
    const r = await cli(["--help"]);
    expect(r.code).toBe(0);
    for (const flag of [
      "--input",
      "--output",
      "--name",
      "--ordered",
      "--resume",
      "--workers",
      "--concurrency",
      "--adapter",
      "--timeout",
      "--max-tasks",
      "--max-age",
      "--max-age-hard",
      "--max-memory",
      "--retries",
      "--admin",
      "--token",
      "--token-file",
      "--max-line-bytes",
      "--restart-intensity",
      "--heartbeat",
      "--no-heartbeat",
      "--quiet",
    ]) {
      expect(r.stdout).toContain(`  ${flag} `);
    }
    expect(r.stdout).toMatch(/Exit codes:[\s\S]*130[\s\S]*141/);
  });
});

describe("progress, admin, the built bin", () => {
  it("without a terminal, progress is a plain line every interval", async () => {
    const dir = tempDir();
    // lines 1-8 answer at once, 9-16 are held until `release` exists: the count stays at 8/16
    const release = join(dir, "release");
    const inputs = Array.from({ length: 16 }, (_, i) => JSON.stringify(i < 8 ? { i } : { i, file: release }));
    const input = writeLines(dir, "in.ndjson", inputs);
    const run = runCli(["run", TASKS, "--name", "holdUntil", "--workers", "2", "--input", input], {
      env: { MPMS_PROGRESS_INTERVAL: "100" },
    });
    const held = (): string[] => run.stderr().match(/^mpms: 8\/16 done, .*\n/gm) ?? [];
    // the line keeps coming on its interval though nothing changes
    await waitFor(() => held().length >= 2, 20_000, "two progress lines at 8/16");
    writeFileSync(release, "");
    const { code } = await run.exited;
    expect(code).toBe(0);
    const stderr = run.stderr();
    const plain = stderr.split("\n").filter((l) => /^mpms: \d+\/16 done, /.test(l));
    expect(plain.length, stderr).toBeGreaterThanOrEqual(2);
    for (const line of plain)
      expect(line).toMatch(/^mpms: \d+\/16 done, [\d.?]+\/s, ETA [\d:?]+, 0 failed, 2 workers$/);
    expect(stderr).toMatch(/mpms: 16 lines in .*16 ok, 0 failed/);
    expect(stderr).not.toContain("\r"); // no bar drawing on a pipe
  });

  it("--admin serves the endpoint during the run and prints its URL; a port in use is exit 2", async () => {
    const inputs = Array.from({ length: 20 }, (_, i) => JSON.stringify({ ms: 100, i }));
    const token = "cli-test-token-0123456789";
    const args = ["run", TASKS, "--name", "sleep", "--workers", "2", "--admin", "127.0.0.1:0", "--token", token];
    // stdin stays open until the endpoint was asked: the run (and its endpoint) cannot end before
    const run = runCli(args, { stdin: `${inputs.join("\n")}\n`, keepStdin: true });
    const pattern = /mpms: admin endpoint (http:\/\/127\.0\.0\.1:\d+\/) /;
    await waitFor(() => pattern.test(run.stderr()), 20_000, "the admin URL");
    const url = pattern.exec(run.stderr())?.[1] as string;
    const health = await fetch(`${url}healthz`);
    expect(health.status).toBe(200);
    expect(await health.text()).toBe("ok\n");
    const stats = (await (await fetch(`${url}stats`)).json()) as { pools: Record<string, unknown>; controls: boolean };
    expect(Object.keys(stats.pools)).toEqual(["tasks"]); // named after the module file
    expect(stats.controls).toBe(true); // --token turns the controls on
    run.child.stdin?.end();
    expect((await run.exited).code).toBe(0);
    expect(outcomes(run.stdout())).toHaveLength(20);

    const busy: Server = createServer();
    await new Promise<void>((resolve) => busy.listen(0, "127.0.0.1", resolve));
    try {
      const port = (busy.address() as { port: number }).port;
      const [inUse, shortToken] = await Promise.all([
        cli(["run", TASKS, "--admin", `127.0.0.1:${port}`], { stdin: "1\n" }),
        cli(["run", TASKS, "--admin", "--token", "tok3n"], { stdin: "1\n" }),
      ]);
      expect(inUse.code).toBe(2);
      expect(inUse.stderr).toMatch(new RegExp(`^mpms: cannot serve the admin endpoint on 127.0.0.1:${port}: `));
      expect(inUse.stdout).toBe("");
      expect(shortToken.code).toBe(2);
      expect(shortToken.stderr).toMatch(/^mpms: cannot serve the admin endpoint on 127.0.0.1:0: --token must be/);
      expect(shortToken.stderr).not.toContain("tok3n"); // the token is never echoed
    } finally {
      busy.close();
    }
  });

  const built = join(ROOT, "dist/bin/mpms.js");
  it.skipIf(!existsSync(built))(
    "the built bin (dist/bin/mpms.js, run `npm run build` first) keeps its shebang and runs",
    () => {
      expect(readFileSync(built, "utf8").split("\n", 1)[0]).toBe("#!/usr/bin/env node");
      const r = spawnSync("node", [built, "run", "test/fixtures/echo.js", "--quiet"], {
        cwd: ROOT,
        input: "7\n",
        encoding: "utf8",
        timeout: 20_000,
      });
      expect(r.status, r.stderr).toBe(0);
      expect(r.stdout).toBe('{"line":1,"status":"ok","value":{"echoed":7}}\n');
    },
  );
});
