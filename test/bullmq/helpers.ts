/** Shared parts of the BullMQ tests: a Redis per file, queues with unique names, waiting for jobs. */
import type { ChildProcess } from "node:child_process";
import { type Job, Queue } from "bullmq";
import { afterAll, beforeAll } from "vitest";
import { type RedisHandle, redisServer, startRedis } from "./redis.ts";

export const hasRedis = redisServer !== null;

/** Start one redis-server for the file; stopped by pid after it. */
export function useRedis(): () => RedisHandle {
  let redis: RedisHandle | undefined;
  beforeAll(async () => {
    if (hasRedis) redis = await startRedis();
  });
  afterAll(async () => {
    await redis?.stop();
  });
  return () => {
    if (!redis) throw new Error("redis not started");
    return redis;
  };
}

let serial = 0;
export function queueName(prefix: string): string {
  return `${prefix}-${process.pid}-${++serial}-${Date.now().toString(36)}`;
}

export function connection(redis: RedisHandle): { host: string; port: number; maxRetriesPerRequest: null } {
  return { host: "127.0.0.1", port: redis.port, maxRetriesPerRequest: null };
}

export function openQueue(redis: RedisHandle, name: string): Queue {
  return new Queue(name, { connection: connection(redis) });
}

export type FinalState = "completed" | "failed";

/** Poll until the job is completed or failed (or the time runs out), and return it fresh. */
export async function waitFinal(queue: Queue, id: string, timeout = 20_000): Promise<Job> {
  const until = performance.now() + timeout;
  for (;;) {
    const state = await queue.getJobState(id);
    if (state === "completed" || state === "failed") {
      // read after the state: a job read before it may be of an earlier attempt
      const job = await queue.getJob(id);
      if (job) return job;
    }
    if (performance.now() > until) throw new Error(`job ${id} not finished after ${timeout} ms`);
    await new Promise((r) => setTimeout(r, 20));
  }
}

/** Poll until `check` is true. */
export async function until(
  check: () => boolean | Promise<boolean>,
  timeout = 10_000,
  what = "condition",
): Promise<void> {
  const end = performance.now() + timeout;
  while (!(await check())) {
    if (performance.now() > end) throw new Error(`timed out after ${timeout} ms waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 20));
  }
}

/**
 * Send `signal` to a CLI child by pid. Not `child.kill()`: on a Deno parent (2.9), node:child_process
 * then reports the exit as (null, signal) even when the child handled the signal and exited 0, and
 * ignores a second kill() — see "Deno parents" in shutdown.test.ts.
 */
export function signal(child: ChildProcess, name: NodeJS.Signals): void {
  if (child.pid === undefined) throw new Error("the child has no pid");
  process.kill(child.pid, name);
}
