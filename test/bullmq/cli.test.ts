/**
 * The BullMQ commands end to end: `mpms enqueue` feeds NDJSON lines as jobs and collects their
 * outcomes back to NDJSON while an `mpms worker` node runs them; the node's admin endpoint serves
 * the per-queue series; bad command lines exit 2 naming the flag.
 */
import { readFileSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { describe, expect, test } from "vitest";
import { cli, runCli, tempDir, useCli, writeLines } from "../cli/cli.ts";
import { hasRedis, queueName, signal, until, useRedis } from "./helpers.ts";

useCli();
const redis = useRedis();
const JOBS = "test/fixtures/bullmq/jobs.ts";

describe.skipIf(!hasRedis)("mpms worker + mpms enqueue", () => {
  test("NDJSON in, jobs run on a node, outcomes back as NDJSON; the admin endpoint counts them", async () => {
    const queue = queueName("cli");
    const dir = tempDir();
    const node = runCli(["worker", JOBS, "--queue", queue, "--redis", redis().url, "--workers", "2", "--admin", ":0"]);
    await until(() => /; ready/.test(node.stderr()) || node.child.exitCode !== null, 30_000, "the node");
    const admin = /admin endpoint (http:\/\/\S+?)\/ /.exec(node.stderr())?.[1];
    expect(admin, node.stderr()).toBeDefined();
    const input = writeLines(dir, "in.ndjson", [
      JSON.stringify({ kind: "ok", id: "a" }),
      JSON.stringify({ kind: "throw", id: "b" }),
      "{not json",
      JSON.stringify({ kind: "ok", id: "c" }),
    ]);
    const output = join(dir, "out.ndjson");
    const run = await cli([
      "enqueue",
      "--queue",
      queue,
      "--redis",
      redis().url,
      "--input",
      input,
      "--output",
      output,
      "--attempts",
      "2",
      "--id-prefix",
      "in",
      "--wait-timeout",
      "20s",
    ]);
    const lines = readFileSync(output, "utf8")
      .split("\n")
      .filter((l) => l !== "")
      .map((l) => JSON.parse(l));
    const byLine = new Map(lines.map((l) => [l.line, l]));
    expect(run.stderr).toMatch(/added 3 jobs/);
    expect(byLine.get(1)).toEqual({
      line: 1,
      job: "in-1",
      status: "ok",
      value: { id: "a", ok: true, nested: [1, "two", null] },
    });
    expect(byLine.get(2)).toMatchObject({
      line: 2,
      job: "in-2",
      status: "error",
      error: { name: "TypeError", message: "bad input b" },
      attempts: 2,
    });
    expect(byLine.get(3)).toMatchObject({ line: 3, status: "error", error: { name: "SyntaxError" } });
    expect(byLine.get(4)).toMatchObject({ status: "ok", value: { id: "c" } });
    expect(lines.length).toBe(4);
    expect(run.code).toBe(1); // some jobs failed
    const metrics = await (await fetch(`${admin}/metrics`)).text();
    expect(metrics).toContain(`mpms_queue_jobs_completed_total{queue="${queue}"} 2`);
    expect(metrics).toContain(`mpms_queue_jobs_failed_total{queue="${queue}",reason="error"} 2`);
    expect(metrics).toMatch(new RegExp(`mpms_queue_job_run_seconds_count\\{queue="${queue}"\\} \\d+`));
    expect(metrics).toContain(`mpms_queue_lock_renewal_failures_total{queue="${queue}"} 0`);
    // the dashboard's queue section: /stats has the queue, its counts fetched in the background
    type Stats = { queues?: { queue: string; counts: Record<string, number> | null; node: Record<string, number> }[] };
    let view: NonNullable<Stats["queues"]>[number] | undefined;
    await until(
      async () => {
        view = ((await (await fetch(`${admin}/stats`)).json()) as Stats).queues?.[0];
        return view?.counts?.completed === 2 && view.counts.failed === 1;
      },
      10_000,
      "the queue's counts in /stats",
    );
    expect(view).toMatchObject({ queue, counts: { waiting: 0, active: 0, delayed: 0 }, node: { completed: 2 } });
    expect(await (await fetch(`${admin}/`)).text()).toContain('id="queues"');
    signal(node.child, "SIGTERM");
    expect((await node.exited).code).toBe(0);
  });

  test("the node takes a job's time limit from --timeout-field", async () => {
    const queue = queueName("cli-timeout");
    const dir = tempDir();
    const timed = runCli([
      "worker",
      JOBS,
      "--queue",
      queue,
      "--redis",
      redis().url,
      "--workers",
      "1",
      "--timeout-field",
      "timeoutMs",
    ]);
    await until(() => /; ready/.test(timed.stderr()) || timed.child.exitCode !== null, 30_000, "the node");
    const input = writeLines(dir, "in.ndjson", [JSON.stringify({ kind: "hang", id: "h", timeoutMs: 150 })]);
    const run = await cli(["enqueue", "--queue", queue, "--redis", redis().url, "--input", input, "--wait"]);
    expect(JSON.parse(run.stdout.trim())).toMatchObject({
      status: "error",
      error: { name: "TaskTimeoutError", message: "task timed out after 150 ms" },
    });
    signal(timed.child, "SIGTERM");
    expect((await timed.exited).code).toBe(0);
  });

  test("a node whose pool gives up shuts down and exits 1 (--restart-intensity), instead of idling", async () => {
    const queue = queueName("cli-gaveup");
    const dir = tempDir();
    const crashFlag = join(dir, "crash");
    const node = runCli(
      [
        "worker",
        "test/fixtures/supervision.ts",
        "--queue",
        queue,
        "--redis",
        redis().url,
        "--workers",
        "1",
        "--export-from-name",
        "--restart-intensity",
        "1",
      ],
      { env: { CRASH_FLAG: crashFlag } },
    );
    await until(() => /; ready/.test(node.stderr()) || node.child.exitCode !== null, 30_000, "the node");
    // From now on every new worker exits in init: a crash loop. The job's own exit is not counted.
    writeFileSync(crashFlag, "1");
    const input = writeLines(dir, "in.ndjson", [JSON.stringify(3)]);
    await cli(["enqueue", "--queue", queue, "--redis", redis().url, "--input", input, "--name", "exitNow"]);
    const exit = await node.exited;
    expect(exit.code, node.stderr()).toBe(1);
    expect(node.stderr()).toMatch(/the pool gave up .*; shutting down/);
  }, 60_000);

  test("bad command lines exit 2 and name the flag", async () => {
    const noQueue = await cli(["worker", JOBS, "--redis", "redis://127.0.0.1:1"]);
    expect(noQueue.code).toBe(2);
    expect(noQueue.stderr).toMatch(/mpms worker needs --queue NAME/);
    const badRedis = await cli(["worker", JOBS, "--queue", "q", "--redis", "http://x"]);
    expect(badRedis.code).toBe(2);
    expect(badRedis.stderr).toMatch(/--redis must be a redis:\/\/ or rediss:\/\/ URL/);
    const badFlag = await cli(["enqueue", "--queue", "q", "--redis", "redis://127.0.0.1:1", "--colour", "x"]);
    expect(badFlag.code).toBe(2);
    expect(badFlag.stderr).toMatch(/unknown option --colour for mpms enqueue/);
    const help = await cli(["worker", "--help"]);
    expect(help.code).toBe(0);
    expect(help.stdout).toMatch(/^mpms worker: one node of a BullMQ queue/);
    expect(help.stdout).toContain("--max-blocked DURATION");
    expect(help.stdout).toContain("--restart-intensity N");
  });
});
