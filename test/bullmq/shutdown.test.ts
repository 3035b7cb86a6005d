/**
 * `mpms worker` on SIGTERM: it stops fetching at once, a job that can finish within the budget
 * completes, jobs still running at the deadline are handed back (not failed, no attempt used, no
 * stall) and another node takes them at once, and the process exits 0 inside its deadline. A
 * second signal hands back at once.
 */
import { spawn } from "node:child_process";
import { existsSync, readdirSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import type { Queue } from "bullmq";
import { Redis } from "ioredis";
import { afterEach, describe, expect, test } from "vitest";
import { createQueueWorker, type QueueWorker } from "../../bullmq.ts";
import { type CliRun, runCli, tempDir, useCli } from "../cli/cli.ts";
import { fixture, runtime } from "../helpers.ts";
import { hasRedis, openQueue, queueName, signal, until, useRedis, waitFinal } from "./helpers.ts";

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
    signal(a.child, "SIGTERM");
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
    signal(a.child, "SIGTERM");
    await until(() => /mpms shutdown: SIGTERM; deadline 20000 ms/.test(a.stderr()), 5_000, "the shutdown to start");
    // a second signal inside the debounce (100 ms) is ignored, and says so: repeat until it forces
    let forcedAt = performance.now();
    for (let sent = 1; !/SIGTERM received again; forcing/.test(a.stderr()); sent++) {
      forcedAt = performance.now();
      signal(a.child, "SIGTERM");
      await until(
        () => (a.stderr().match(/SIGTERM ignored \(within/g)?.length ?? 0) >= sent || /forcing/.test(a.stderr()),
        5_000,
        "the node to answer the second signal",
      );
    }
    const exit = await a.exited;
    expect(performance.now() - forcedAt).toBeLessThan(3_000);
    expect(exit.code).toBe(1); // a forced end
    expect(await queue.getJobState("f1")).toBe("waiting");
    const job = await queue.getJob("f1");
    expect(job?.attemptsMade).toBe(0);
    expect(job?.stalledCounter).toBe(0);
  });
});

describe.skipIf(!hasRedis)("hand-back and outcome", () => {
  test("a hand-back that comes after the task's outcome is a no-op: the job completes, once", async () => {
    const name = queueName("late-handback");
    const dir = tempDir();
    const queue = openQueue(redis(), name);
    open.push(queue);
    const node = createQueueWorker({
      queue: name,
      connection: redis().url,
      poolOptions: { module: fixture("bullmq/jobs.ts"), workers: 1 },
      onError: () => {},
    });
    open.push(node);
    await node.start();
    await queue.add("j", { kind: "progressOnGo", id: "p", dir, started: dir }, { jobId: "p" });
    await until(() => existsSync(join(dir, "p")), 20_000, "the task to start");
    // Hold every write (BullMQ's scripts among them): the task's last progress update stays in
    // flight, and the processor waits for it before it returns the task's value.
    const admin = new Redis(redis().port, "127.0.0.1", { maxRetriesPerRequest: null });
    try {
      await admin.call("CLIENT", "PAUSE", "10000", "WRITE");
      writeFileSync(join(dir, "p.go"), "");
      await until(() => node.pool.stats().completed === 1, 10_000, "the task's value to reach the node");
      expect(node.active).toBe(1); // its processor waits for that update
      // what a shutdown's deadline does; its moveToWait would be held like the update, and run first
      const handedBack = node.handBackAll();
      await admin.call("CLIENT", "UNPAUSE");
      await handedBack;
    } finally {
      await admin.call("CLIENT", "UNPAUSE").catch(() => {});
      admin.disconnect();
    }
    const job = await waitFinal(queue, "p", 10_000);
    expect(await job.getState()).toBe("completed");
    expect(job.returnvalue).toEqual({ id: "p", went: true });
    expect(job.progress).toBe("last");
    expect(job.attemptsMade).toBe(1);
    expect(job.attemptsStarted).toBe(1); // not handed back and taken again
    expect(node.stats()).toMatchObject({ completed: 1, handedBack: 0, handBackFailures: 0 });
  });
});

describe("Deno parents", () => {
  // Why the tests above signal by pid (helpers.ts `signal`): with Deno 2.9 as the parent,
  // node:child_process reports a child that got `child.kill("SIGTERM")` as (null, "SIGTERM") even
  // when the child handled the signal and exited 0. When Deno fixes this, this test fails; then
  // drop the note in docs/distributed.md.
  test("child.kill() reports the signal sent, not the child's own exit, on Deno only", async () => {
    const child = spawn("sh", ["-c", 'trap "echo handled; exit 0" TERM; echo ready; while :; do sleep 0.05; done'], {
      stdio: ["ignore", "pipe", "inherit"],
    });
    let out = "";
    const ready = new Promise<void>((resolve) => {
      child.stdout?.on("data", (chunk: Buffer) => {
        out += chunk.toString();
        if (out.includes("ready")) resolve();
      });
    });
    const closed = new Promise<[number | null, string | null]>((resolve) =>
      child.on("close", (code, signal) => resolve([code, signal])),
    );
    await ready;
    child.kill("SIGTERM");
    const [code, signal] = await closed;
    expect(out).toContain("handled"); // the child ran its handler and exited 0
    expect({ code, signal }).toEqual(
      runtime === "deno" ? { code: null, signal: "SIGTERM" } : { code: 0, signal: null },
    );
  });
});
