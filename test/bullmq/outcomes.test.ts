/**
 * createQueueWorker on a real Redis: every task outcome becomes the job outcome it implies
 * (ok, throw, timeout, crash, unrecoverable, cancel, unstorable value), and a CPU-bound job keeps
 * its lock because it runs off the host's event loop.
 */
import { existsSync, mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import type { Queue } from "bullmq";
import { afterAll, afterEach, beforeAll, describe, expect, test } from "vitest";
import { createQueueWorker, type QueueWorker } from "../../bullmq.ts";
import { childPids, fixture } from "../helpers.ts";
import { hasRedis, openQueue, queueName, until, useRedis, waitFinal } from "./helpers.ts";

const redis = useRedis();
const module = fixture("bullmq/jobs.ts");
let dir: string;
const open: { node: QueueWorker; queue: Queue }[] = [];
const baseline = new Set(childPids());

beforeAll(() => {
  dir = mkdtempSync(join(tmpdir(), "mpms-bullmq-"));
});
afterAll(() => rmSync(dir, { recursive: true, force: true }));
afterEach(async () => {
  for (const { node, queue } of open.splice(0)) {
    await node.close({ timeout: 1_000 });
    await queue.close();
  }
  await until(() => childPids().every((pid) => baseline.has(pid)), 5_000, "child processes to exit");
});

async function setup(options: Partial<Parameters<typeof createQueueWorker>[0]> = {}) {
  const name = queueName("outcomes");
  const queue = openQueue(redis(), name);
  const node = createQueueWorker({
    queue: name,
    connection: redis().url,
    poolOptions: { module, workers: 2, killGrace: 200 },
    timeoutField: "timeoutMs",
    onError: () => {},
    ...options,
  });
  open.push({ node, queue });
  await node.start();
  return { queue, node };
}

describe.skipIf(!hasRedis)("createQueueWorker outcomes", () => {
  test("ok: the task's value is the job's result; concurrency is workers x concurrency", async () => {
    const { queue, node } = await setup();
    expect(node.concurrency).toBe(2);
    await queue.add("j", { kind: "ok", id: "a" }, { jobId: "a" });
    const job = await waitFinal(queue, "a");
    expect(await job.getState()).toBe("completed");
    expect(job.returnvalue).toEqual({ id: "a", ok: true, nested: [1, "two", null] });
    expect(job.attemptsMade).toBe(1);
    expect(node.stats()).toMatchObject({ completed: 1, failed: 0, active: 0 });
  });

  test("progress: ctx.progress reaches job.updateProgress, coalesced, the last value before the outcome", async () => {
    const { queue } = await setup();
    await queue.add("j", { kind: "progress", id: "p", ms: 40 }, { jobId: "p" });
    const job = await waitFinal(queue, "p");
    expect(await job.getState()).toBe("completed");
    expect(job.returnvalue).toEqual({ id: "p", steps: 40 });
    expect(job.progress).toEqual({ step: 40, of: 40 });
  });

  test("throw: a failed attempt with the task's error, retried per attempts", async () => {
    const { queue, node } = await setup();
    await queue.add("j", { kind: "throw", id: "t" }, { jobId: "t", attempts: 2 });
    const job = await waitFinal(queue, "t");
    expect(await job.getState()).toBe("failed");
    expect(job.failedReason).toBe("bad input t");
    expect(job.attemptsMade).toBe(2);
    expect(job.stacktrace?.[0]).toMatch(/^TypeError: bad input t/);
    expect(node.stats().failures.error).toBe(2);
  });

  test("timeout from the job's data: the hanging task is killed, the attempt fails and is retried", async () => {
    const { queue, node } = await setup();
    await queue.add("j", { kind: "hang", id: "h", timeoutMs: 150 }, { jobId: "h", attempts: 2 });
    const job = await waitFinal(queue, "h");
    expect(await job.getState()).toBe("failed");
    expect(job.failedReason).toBe("task timed out after 150 ms");
    expect(job.attemptsMade).toBe(2);
    expect(node.stats().failures.timeout).toBe(2);
  });

  test("crash: the worker's exit fails the attempt; the job is retried and the pool replaces the worker", async () => {
    const { queue, node } = await setup();
    await queue.add("j", { kind: "exit", id: "x" }, { jobId: "x", attempts: 2 });
    const job = await waitFinal(queue, "x");
    expect(await job.getState()).toBe("failed");
    expect(job.failedReason).toMatch(/crashed \(exit code 3\)/);
    expect(job.attemptsMade).toBe(2);
    expect(node.stats().failures.crash).toBe(2);
    await queue.add("j", { kind: "ok", id: "after" }, { jobId: "after" });
    expect(await (await waitFinal(queue, "after")).getState()).toBe("completed");
  });

  test("unrecoverable: a chosen error name fails the job at once, whatever attempts says", async () => {
    const { queue, node } = await setup({ unrecoverable: ["TypeError"] });
    await queue.add("j", { kind: "throw", id: "u" }, { jobId: "u", attempts: 3 });
    const job = await waitFinal(queue, "u");
    expect(await job.getState()).toBe("failed");
    expect(job.attemptsMade).toBe(1);
    expect(job.failedReason).toBe("TypeError: bad input u");
    expect(node.stats().failures.unrecoverable).toBe(1);
  });

  test("cancel: worker.cancelJob aborts the running task; the job fails without retry", async () => {
    const { queue, node } = await setup();
    await queue.add("j", { kind: "abortable", id: "c", started: dir }, { jobId: "c", attempts: 3 });
    await until(() => existsSync(join(dir, "c")), 10_000, "the task to start");
    expect(node.worker.cancelJob("c", "user asked")).toBe(true);
    const job = await waitFinal(queue, "c");
    expect(await job.getState()).toBe("failed");
    expect(job.attemptsMade).toBe(1);
    expect(job.failedReason).toBe("JobCancelledError: job cancelled: user asked");
    expect(node.stats().failures.cancelled).toBe(1);
  });

  test("a result JSON cannot keep (a bigint) fails the job clearly, without retry", async () => {
    const { queue } = await setup();
    await queue.add("j", { kind: "bigint", id: "b" }, { jobId: "b", attempts: 3 });
    const job = await waitFinal(queue, "b");
    expect(await job.getState()).toBe("failed");
    expect(job.attemptsMade).toBe(1);
    expect(job.failedReason).toMatch(/JobValueError: .*value\.n is a bigint/);
  });

  test("exportFromJobName: the job's name picks the task export", async () => {
    const { queue } = await setup({ exportFromJobName: true });
    await queue.add("named", { id: "n" }, { jobId: "n" });
    const job = await waitFinal(queue, "n");
    expect(job.returnvalue).toBe("named:n");
  });

  test("a CPU-bound job far longer than lockDuration keeps its lock: no stall, one start", async () => {
    const { queue, node } = await setup({
      workerOptions: { lockDuration: 600, stalledInterval: 300 },
    });
    await queue.add("j", { kind: "cpu", id: "cpu", ms: 3_000 }, { jobId: "cpu" });
    const job = await waitFinal(queue, "cpu");
    expect(await job.getState()).toBe("completed");
    expect(job.attemptsStarted).toBe(1);
    expect(job.stalledCounter).toBe(0);
    expect(node.stats()).toMatchObject({ lockRenewalFailures: 0, stalled: 0, completed: 1 });
  });

  test("bad options: a TypeError or RangeError naming the option, before any connection", () => {
    const base = { queue: "q", connection: "redis://127.0.0.1:1", poolOptions: { module } };
    expect(() => createQueueWorker({ ...base, queue: "" })).toThrow(/option "queue" must be a non-empty string/);
    expect(() => createQueueWorker({ ...base, connection: "http://x" })).toThrow(/option "connection"/);
    expect(() => createQueueWorker({ ...base, timeout: -1 })).toThrow(RangeError);
    expect(() => createQueueWorker({ ...base, concurrency: 0 })).toThrow(/option "concurrency"/);
    expect(() => createQueueWorker({ ...base, unrecoverable: [1] as never })).toThrow(/option "unrecoverable"/);
    expect(() => createQueueWorker({ queue: "q", connection: "redis://x" } as never)).toThrow(/exactly one of/);
    expect(() => createQueueWorker({ ...base, workerOptions: { concurrency: 3 } as never })).toThrow(
      /workerOptions.concurrency/,
    );
    expect(() => createQueueWorker({ ...base, colour: 1 } as never)).toThrow(
      /unknown createQueueWorker\(\) option "colour"/,
    );
  });
});
