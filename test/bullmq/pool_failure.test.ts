/**
 * A node whose pool fails for good (a crash loop: every replacement worker exits in init) while
 * it holds jobs: it stops fetching and hands every job it holds back to the queue at once (no
 * attempt used, no stall), even a job whose task was prefetched to a worker that is still busy
 * with another job and would start it only after that one. `mpms worker` then exits 1 without
 * waiting for its --shutdown-timeout. Nothing is left `active` for stall detection to find.
 */
import { existsSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import type { Queue } from "bullmq";
import { afterEach, describe, expect, test } from "vitest";
import { createQueueWorker, type QueueWorker } from "../../bullmq.ts";
import { runCli, tempDir, useCli } from "../cli/cli.ts";
import { childPids, fixture } from "../helpers.ts";
import { hasRedis, openQueue, queueName, signal, until, useRedis } from "./helpers.ts";

useCli();
const redis = useRedis();
const module = fixture("bullmq/crash_loop.ts");
const open: (QueueWorker | Queue)[] = [];
const baseline = new Set(childPids());
afterEach(async () => {
  // a node left holding the 2 min job by a failed check hands it back at once
  for (const item of open.splice(0)) await ("pool" in item ? item.close({ timeout: 0 }) : item.close());
  await until(() => childPids().every((pid) => baseline.has(pid)), 10_000, "child processes to exit");
});

/** The jobs that make the pool fail: `x` crashes its worker; its replacement crashes in init. */
function crashAndQueued(dir: string): { name: string; data: object; opts: object }[] {
  return [
    { name: "j", data: { kind: "exit", id: "x" }, opts: { jobId: "x" } },
    ...["q1", "q2", "q3"].map((id) => ({
      name: "j",
      data: { kind: "wait", id, ms: 100, started: dir },
      opts: { jobId: id, attempts: 2 },
    })),
  ];
}

/** After the failure: only `x` failed (its own crash); every other job waits, unharmed. */
async function expectHandedBack(queue: Queue): Promise<void> {
  expect(await queue.getJobCounts("active", "waiting", "failed", "completed")).toEqual({
    active: 0,
    waiting: 4,
    failed: 1,
    completed: 0,
  });
  expect((await queue.getJob("x"))?.failedReason).toMatch(/crashed \(exit code 3\)/);
  for (const id of ["long", "q1", "q2", "q3"]) {
    const job = await queue.getJob(id);
    expect(await job?.getState(), id).toBe("waiting");
    expect(job?.attemptsMade, id).toBe(0);
    expect(job?.stalledCounter, id).toBe(0);
  }
}

describe.skipIf(!hasRedis).each(["thread", "process"])("a pool that fails for good (%s adapter)", (adapter) => {
  test("createQueueWorker: stops fetching and hands back every job it holds, prefetched ones too", async () => {
    const dir = tempDir();
    const crashFlag = join(dir, "crash");
    const name = queueName("poolfail");
    const queue = openQueue(redis(), name);
    const errors: string[] = [];
    const node = createQueueWorker({
      queue: name,
      connection: redis().url,
      // 2 workers, 4 jobs at once: the node holds jobs whose tasks wait on a busy worker
      poolOptions: { module, adapter, workers: 2, env: { CRASH_FLAG: crashFlag }, restart: { intensity: 0 } },
      concurrency: 4,
      onError: (error) => errors.push(error.message),
    });
    open.push(node, queue);
    await node.start();
    await queue.add("j", { kind: "wait", id: "long", ms: 120_000, started: dir }, { jobId: "long" });
    await until(() => existsSync(join(dir, "long")), 20_000, "the long job to start");
    writeFileSync(crashFlag, "1"); // from now on a new worker exits in init
    await queue.addBulk(crashAndQueued(dir));
    await until(() => node.pool.stats().state === "failed", 20_000, "the pool to fail");
    // promptly: long before the long job (2 min) would end, or stall detection (30 s) would look
    await until(
      async () => (await queue.getJobCounts("active")).active === 0,
      10_000,
      "no job active on the node whose pool failed",
    );
    await expectHandedBack(queue);
    expect(node.active).toBe(0);
    expect(node.worker.isPaused()).toBe(true); // it takes no job it cannot run
    expect(node.stats().handedBack).toBeGreaterThanOrEqual(1);
    expect(errors.join("\n")).toMatch(/the pool failed, this node stops taking jobs/);
  });

  test("mpms worker: hands back at once and exits 1, without waiting for --shutdown-timeout", async () => {
    const dir = tempDir();
    const crashFlag = join(dir, "crash");
    const name = queueName("poolfail-cli");
    const queue = openQueue(redis(), name);
    open.push(queue);
    const node = runCli(
      [
        "worker",
        "test/fixtures/bullmq/crash_loop.ts",
        ...["--queue", name, "--redis", redis().url, "--workers", "2", "--jobs", "4"],
        ...["--adapter", adapter, "--restart-intensity", "1", "--shutdown-timeout", "60s"],
      ],
      { env: { CRASH_FLAG: crashFlag } },
    );
    await until(() => /; ready/.test(node.stderr()) || node.child.exitCode !== null, 30_000, "the node");
    expect(node.stderr()).toMatch(/; ready/);
    await queue.add("j", { kind: "wait", id: "long", ms: 120_000, started: dir }, { jobId: "long" });
    await until(() => existsSync(join(dir, "long")), 20_000, "the long job to start");
    writeFileSync(crashFlag, "1");
    await queue.addBulk(crashAndQueued(dir));
    await until(() => /the pool gave up/.test(node.stderr()), 20_000, "the pool to fail");
    const failedAt = performance.now();
    // a bound, far below its 60 s --shutdown-timeout (which a node would otherwise wait out)
    let bound: ReturnType<typeof setTimeout> | undefined;
    const exit = await Promise.race([
      node.exited,
      new Promise<null>((resolve) => {
        bound = setTimeout(() => resolve(null), 20_000);
      }),
    ]).finally(() => clearTimeout(bound));
    if (exit === null) signal(node.child, "SIGKILL");
    expect(exit?.code, node.stderr()).toBe(1);
    expect(performance.now() - failedAt).toBeLessThan(20_000);
    expect(node.stderr()).toMatch(/stopped; 0 completed, 1 failed, [1-9] handed back/);
    await expectHandedBack(queue);
  });
});
