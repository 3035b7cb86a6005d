#!/usr/bin/env node
/**
 * mpms as a BullMQ executor against BullMQ's own sandboxed processors, on a private redis-server.
 *   1. jobs/s of one node, same job, same concurrency: echo and 5 ms CPU jobs.
 *   2. stalls and double executions of CPU-bound jobs with BullMQ's default lock settings scaled
 *      down (lockDuration = stalledInterval = L, a job of 1.5 L of CPU; the case is 45 s
 *      against the default 30 s): two nodes per subject, each job writes a marker per execution.
 * Needs `npm run build` (mpms runs from dist/) and redis-server. Usage:
 *   node bench/bullmq.mjs [--concurrency 2] [--echo 2000] [--cpu 400] [--lock 2000]
 */
import { execFileSync, spawn, spawnSync } from "node:child_process";
import { existsSync, mkdtempSync, readdirSync, readFileSync, rmSync } from "node:fs";
import { createServer } from "node:net";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { Queue, Worker } from "bullmq";

const args = process.argv.slice(2);
const opt = (name, def) => {
  const i = args.indexOf(`--${name}`);
  return i >= 0 ? Number(args[i + 1]) : def;
};
const TASK = new URL("./tasks/bullmq_job.mjs", import.meta.url);
const SANDBOX = new URL("./tasks/bullmq_sandbox.mjs", import.meta.url);

async function node(subject, queue, connection, concurrency, workerOptions = {}) {
  if (subject === "mpms") {
    const { createQueueWorker } = await import("../dist/bullmq.js");
    const n = createQueueWorker({
      queue,
      connection,
      poolOptions: { module: TASK, workers: concurrency },
      workerOptions,
      onError: () => {},
    });
    await n.start();
    return { worker: n.worker, close: () => n.close({ timeout: 5_000 }) };
  }
  const processor =
    subject === "sandbox" ? SANDBOX : async (job) => (await import("./tasks/bullmq_job.mjs")).runJob(job.data); // in the host
  const worker = new Worker(queue, processor, { connection, concurrency, ...workerOptions });
  worker.on("error", () => {});
  await worker.waitUntilReady();
  return { worker, close: () => worker.close() };
}

// a second node for the stall run: this script in --role mode
if (args[0] === "--role") {
  const [, subject, queue, port, lock] = args;
  const connection = { host: "127.0.0.1", port: Number(port), maxRetriesPerRequest: null };
  const n = await node(subject, queue, connection, 1, { lockDuration: Number(lock), stalledInterval: Number(lock) });
  process.stdout.write("ready\n");
  process.on("SIGTERM", async () => {
    await n.close();
    process.exit(0);
  });
} else {
  await main();
}

async function freePort() {
  return await new Promise((resolve) => {
    const s = createServer();
    s.listen(0, "127.0.0.1", () => {
      const { port } = s.address();
      s.close(() => resolve(port));
    });
  });
}

async function main() {
  if (!existsSync(new URL("../dist/bullmq.js", import.meta.url))) {
    console.error("bench/bullmq.mjs: run `npm run build` first");
    process.exit(2);
  }
  const concurrency = opt("concurrency", 2);
  const dir = mkdtempSync(join(tmpdir(), "mpms-bench-redis-"));
  const port = await freePort();
  execFileSync("redis-server", [
    ...["--port", String(port), "--bind", "127.0.0.1", "--save", "", "--appendonly", "no"],
    ...["--dir", dir, "--daemonize", "yes", "--pidfile", join(dir, "redis.pid"), "--maxmemory-policy", "noeviction"],
  ]);
  while (spawnSync("redis-cli", ["-p", String(port), "ping"], { encoding: "utf8" }).stdout.trim() !== "PONG") {
    await new Promise((r) => setTimeout(r, 20));
  }
  const connection = { host: "127.0.0.1", port, maxRetriesPerRequest: null };
  let serial = 0;
  try {
    console.log(`## throughput: one node, concurrency ${concurrency} (workers / sandboxed children)`);
    console.log("| job | subject | jobs | jobs/s |\n|---|---|---|---|");
    for (const [label, n, data] of [
      ["echo", opt("echo", 2000), { echo: { hello: "world" } }],
      ["5 ms CPU", opt("cpu", 400), { ms: 5 }],
    ]) {
      for (const subject of ["mpms", "sandbox"]) {
        const name = `tp-${++serial}`;
        const queue = new Queue(name, { connection });
        await queue.addBulk(Array.from({ length: n }, (_, i) => ({ name: "j", data: { ...data, id: i } })));
        let done = 0;
        let finish;
        const all = new Promise((r) => (finish = r));
        const start = performance.now();
        const w = await node(subject, name, connection, concurrency, { removeOnComplete: { count: 0 } });
        w.worker.on("completed", () => ++done === n && finish());
        w.worker.on("failed", () => ++done === n && finish());
        await all;
        const secs = (performance.now() - start) / 1000;
        console.log(
          `| ${label} | ${subject === "mpms" ? "mpms (thread pool)" : "BullMQ sandbox (fork)"} | ${n} | ${Math.round(n / secs)} |`,
        );
        await w.close();
        await queue.obliterate({ force: true });
        await queue.close();
      }
    }
    const lock = opt("lock", 2000);
    const jobMs = Math.round(lock * 1.5);
    const jobs = 4;
    console.log(
      `\n## stalls: lockDuration = stalledInterval = ${lock} ms, ${jobs} jobs of ${jobMs} ms CPU, 2 nodes x 1`,
    );
    console.log("| subject | executions | double executions | stalled events | failed |\n|---|---|---|---|---|");
    for (const subject of ["inline", "sandbox", "mpms"]) {
      const name = `st-${++serial}`;
      const marks = mkdtempSync(join(tmpdir(), "mpms-bench-marks-"));
      const queue = new Queue(name, { connection });
      await queue.addBulk(
        Array.from({ length: jobs }, (_, i) => ({ name: "j", data: { ms: jobMs, id: `j${i}`, dir: marks } })),
      );
      const children = [0, 1].map(() =>
        spawn(
          process.execPath,
          [new URL(import.meta.url).pathname, "--role", subject, name, String(port), String(lock)],
          {
            stdio: ["ignore", "pipe", "inherit"],
          },
        ),
      );
      await Promise.all(children.map((c) => new Promise((r) => c.stdout.once("data", r))));
      const deadline = performance.now() + 20 * jobMs + 30_000;
      let counts;
      for (;;) {
        counts = await queue.getJobCounts("completed", "failed");
        if (counts.completed + counts.failed >= jobs || performance.now() > deadline) break;
        await new Promise((r) => setTimeout(r, 100));
      }
      const executions = readdirSync(marks).length;
      let stalls = 0;
      for (const job of await queue.getJobs(["completed", "failed"])) stalls += job.stalledCounter ?? 0;
      const label = { inline: "BullMQ processor in the host", sandbox: "BullMQ sandbox (fork)", mpms: "mpms" }[subject];
      console.log(`| ${label} | ${executions} | ${Math.max(0, executions - jobs)} | ${stalls} | ${counts.failed} |`);
      for (const c of children) c.kill("SIGTERM");
      await Promise.all(children.map((c) => new Promise((r) => (c.exitCode !== null ? r() : c.once("exit", r)))));
      await queue.obliterate({ force: true });
      await queue.close();
      rmSync(marks, { recursive: true, force: true });
    }
  } finally {
    const pid = Number(readFileSync(join(dir, "redis.pid"), "utf8"));
    process.kill(pid, "SIGTERM");
    rmSync(dir, { recursive: true, force: true });
  }
}
