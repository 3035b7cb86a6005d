/**
 * `mpms worker` on SIGTERM: it stops fetching at once, a job that can finish within the budget
 * completes, jobs still running at the deadline are handed back (not failed, no attempt used, no
 * stall) and another node takes them at once, and the process exits 0 inside its deadline. A
 * second signal hands back at once.
 */
import { existsSync, readdirSync } from "node:fs";
import { join } from "node:path";
import type { Queue } from "bullmq";
import { afterEach, describe, expect, test } from "vitest";
import { createQueueWorker, type QueueWorker } from "../../bullmq.ts";
import { type CliRun, runCli, tempDir, useCli } from "../cli/cli.ts";
import { fixture } from "../helpers.ts";
import { hasRedis, openQueue, queueName, until, useRedis, waitFinal } from "./helpers.ts";

useCli();
const redis = useRedis();
const JOBS = "test/fixtures/bullmq/jobs.ts";
const open: (QueueWorker | Queue)[] = [];
afterEach(async () => {
  for (const item of open.splice(0)) await item.close();
});

function startNode(queue: string, extra: string[] = []): CliRun {
  return runCli(["worker", JOBS, "--queue", queue, "--redis", redis().url, "--workers", "3", ...extra]);
}

async function ready(run: CliRun): Promise<void> {
  await until(() => /; ready/.test(run.stderr()) || run.child.exitCode !== null, 30_000, "mpms worker to be ready");
  expect(run.stderr()).toMatch(/queue \S+ on 3 \S+ workers, 3 jobs at once; ready/);
}

async function otherNode(queue: string): Promise<QueueWorker> {
  const node = createQueueWorker({
    queue,
    connection: redis().url,
    poolOptions: { module: fixture("bullmq/jobs.ts"), workers: 2 },
    onError: () => {},
  });
  open.push(node);
  await node.start();
  return node;
}

describe.skipIf(!hasRedis)("mpms worker shutdown", () => {
  test("SIGTERM: a short job completes, long ones are handed back and taken by another node at once", async () => {
    const name = queueName("term");
    const dir = tempDir();
    const queue = openQueue(redis(), name);
    open.push(queue);
    const a = startNode(name, ["--shutdown-timeout", "2s"]);
    await ready(a);
    await queue.add("j", { kind: "slowFirst", id: "long1", dir }, { jobId: "long1" });
    await queue.add("j", { kind: "slowFirst", id: "long2", dir }, { jobId: "long2" });
    await queue.add("j", { kind: "wait", id: "short", ms: 600, dir, started: dir }, { jobId: "short" });
    await until(
      () => ["long1.first", "long2.first", "short"].every((f) => existsSync(join(dir, f))),
      20_000,
      "node A to start all three jobs",
    );
    const b = await otherNode(name);
    const signalledAt = performance.now();
    a.child.kill("SIGTERM");
    const exit = await a.exited;
    const exitMs = performance.now() - signalledAt;
    expect(exit.code, a.stderr()).toBe(0);
    expect(exitMs).toBeLessThan(2_000 + 1_500);
    // 2 hand-backs, or 3 when BullMQ's fetch already under way when fetching stopped took a
    // handed-back job again (that one is handed back at once too)
    expect(a.stderr()).toMatch(/stopped; 1 completed, 0 failed, [23] handed back/);

    const short = await waitFinal(queue, "short");
    expect(await short.getState()).toBe("completed");
    for (const id of ["long1", "long2"]) {
      const job = await waitFinal(queue, id, 5_000);
      expect(await job.getState()).toBe("completed");
      expect(job.attemptsMade).toBe(1); // the hand-back used no attempt: only the completion counts
      expect(job.stalledCounter).toBe(0);
    }
    // taken at once, far below any stalled interval (30 s by default)
    expect(performance.now() - signalledAt).toBeLessThan(6_000);
    expect(b.stats()).toMatchObject({ completed: 2, failed: 0 });
    const markers = readdirSync(dir).filter((f) => /^(long1|long2|short)\.[a-z0-9]+$/.test(f) && !f.endsWith(".first"));
    expect(markers.length).toBe(3); // each job completed once
  });

  test("a second signal hands the running jobs back at once", async () => {
    const name = queueName("force");
    const dir = tempDir();
    const queue = openQueue(redis(), name);
    open.push(queue);
    const a = startNode(name, ["--shutdown-timeout", "20s"]);
    await ready(a);
    await queue.add("j", { kind: "slowFirst", id: "f1", dir }, { jobId: "f1" });
    await until(() => existsSync(join(dir, "f1.first")), 20_000, "node A to start the job");
    a.child.kill("SIGTERM");
    await until(() => a.stderr().length > 0 && performance.now() > 0, 1_000).catch(() => {});
    await new Promise((r) => setTimeout(r, 300)); // past the shutdown's debounce of the first signal
    const forcedAt = performance.now();
    a.child.kill("SIGTERM");
    const exit = await a.exited;
    expect(performance.now() - forcedAt).toBeLessThan(3_000);
    expect(exit.code).toBe(1); // a forced end
    expect(await queue.getJobState("f1")).toBe("waiting");
    const job = await queue.getJob("f1");
    expect(job?.attemptsMade).toBe(0);
    expect(job?.stalledCounter).toBe(0);
  });
});
