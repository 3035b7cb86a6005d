#!/usr/bin/env node
/**
 * mpms as a BullMQ executor against BullMQ's own sandboxed processors, on a private redis-server
 * (issue #17's benchmark).
 *   1. jobs/s of one node, same job, same concurrency: echo and 5 ms CPU jobs. Subjects: mpms
 *      (thread adapter; also the process adapter) and BullMQ's sandbox (fork, its default; also
 *      useWorkerThreads). Each node first runs a warm-up batch (children spawned), then the timed
 *      batch is added and timed until its last job settles. --reps N repeats the whole set,
 *      subjects interleaved, and prints the median and min–max.
 *   2. stalls and double executions of CPU-bound jobs: two nodes per subject (concurrency 1), each
 *      job spins 1.5 × lockDuration and writes a marker per execution. By default BullMQ's own lock
 *      settings (lockDuration = stalledInterval = 30 s) and jobs of 45 s, the issue's case; --lock L
 *      scales it down (lockDuration = stalledInterval = L).
 * Needs `npm run build` (mpms runs from dist/) and redis-server. Usage:
 *   node bench/bullmq.mjs [--concurrency 2] [--echo 2000] [--cpu 400] [--reps 3] [--lock 30000]
 *     [--stall-jobs 2] [--no-stalls] [--no-throughput] [--json FILE]
 */
import { execFileSync, spawn, spawnSync } from "node:child_process";
import { existsSync, mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { createServer } from "node:net";
import { cpus, loadavg, tmpdir } from "node:os";
import { join } from "node:path";
import { Queue, Worker } from "bullmq";

const args = process.argv.slice(2);
const opt = (name, def) => {
  const i = args.indexOf(`--${name}`);
  return i >= 0 ? Number(args[i + 1]) : def;
};
const TASK = new URL("./tasks/bullmq_job.mjs", import.meta.url);
const SANDBOX = new URL("./tasks/bullmq_sandbox.mjs", import.meta.url);
const BULLMQ_LOCK_DEFAULT = 30_000; // lockDuration and stalledInterval when not set
const LABEL = {
  mpms: "mpms (thread adapter)",
  "mpms-process": "mpms (process adapter)",
  sandbox: "BullMQ sandbox (fork, default)",
  "sandbox-threads": "BullMQ sandbox (useWorkerThreads)",
  inline: "BullMQ processor in the host",
};

async function node(subject, queue, connection, concurrency, workerOptions = {}) {
  if (subject === "mpms" || subject === "mpms-process") {
    const { createQueueWorker } = await import("../dist/bullmq.js");
    const n = createQueueWorker({
      queue,
      connection,
      poolOptions: { module: TASK, workers: concurrency, adapter: subject === "mpms" ? "thread" : "process" },
      workerOptions,
      onError: () => {},
    });
    await n.start();
    return { worker: n.worker, close: () => n.close({ timeout: 5_000 }) };
  }
  const processor =
    subject === "inline" ? async (job) => (await import("./tasks/bullmq_job.mjs")).runJob(job.data) : SANDBOX;
  const sandboxOptions = subject === "sandbox-threads" ? { useWorkerThreads: true } : {};
  const worker = new Worker(queue, processor, { connection, concurrency, ...sandboxOptions, ...workerOptions });
  worker.on("error", () => {});
  await worker.waitUntilReady();
  return { worker, close: () => worker.close() };
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

const median = (xs) => {
  const s = [...xs].sort((a, b) => a - b);
  return s.length % 2 ? s[(s.length - 1) / 2] : (s[s.length / 2 - 1] + s[s.length / 2]) / 2;
};
const load = () =>
  loadavg()
    .map((l) => l.toFixed(2))
    .join(" ");

/** Run `n` jobs of `data` through `w` (already started), timed from the add to the last settle. */
async function batch(w, queue, n, data, tag) {
  let done = 0;
  let finish;
  const all = new Promise((r) => (finish = r));
  const settle = () => ++done === n && finish();
  w.worker.on("completed", settle);
  w.worker.on("failed", settle);
  const start = performance.now();
  await queue.addBulk(Array.from({ length: n }, (_, i) => ({ name: "j", data: { ...data, id: `${tag}${i}` } })));
  await all;
  const secs = (performance.now() - start) / 1000;
  w.worker.off("completed", settle);
  w.worker.off("failed", settle);
  return n / secs;
}

async function main() {
  if (!existsSync(new URL("../dist/bullmq.js", import.meta.url))) {
    console.error("bench/bullmq.mjs: run `npm run build` first");
    process.exit(2);
  }
  const concurrency = opt("concurrency", 2);
  const reps = opt("reps", 1);
  const report = {
    date: new Date().toISOString(),
    node: process.version,
    cpus: cpus().length,
    loadStart: load(),
    concurrency,
    reps,
    throughput: [],
    stalls: [],
  };
  console.log(`node ${process.version}, ${cpus().length} cpus, load average at start ${report.loadStart}`);
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
    if (!args.includes("--no-throughput")) {
      const subjects = ["mpms", "sandbox", "mpms-process", "sandbox-threads"];
      const jobs = [
        ["echo", opt("echo", 2000), { echo: { hello: "world" } }],
        ["5 ms CPU", opt("cpu", 400), { ms: 5 }],
      ];
      const rates = new Map(); // "job|subject" -> jobs/s per rep
      for (let rep = 0; rep < reps; rep++) {
        // rotate the order per repetition, so load drifts hit every subject alike
        const order = subjects.map((_, i) => subjects[(i + rep) % subjects.length]);
        for (const [label, n, data] of jobs) {
          for (const subject of order) {
            const name = `tp-${++serial}`;
            const queue = new Queue(name, { connection });
            const w = await node(subject, name, connection, concurrency, { removeOnComplete: { count: 0 } });
            await batch(w, queue, concurrency * 4, data, "warm"); // children spawned, modules loaded
            const rate = await batch(w, queue, n, data, "t");
            const key = `${label}|${subject}`;
            rates.set(key, [...(rates.get(key) ?? []), rate]);
            await w.close();
            await queue.obliterate({ force: true });
            await queue.close();
          }
        }
        console.error(`rep ${rep + 1}/${reps} done, load average ${load()}`);
      }
      console.log(`\n## throughput: one node, concurrency ${concurrency}, ${reps} repetitions (median, min–max)`);
      console.log("| job | subject | jobs per rep | jobs/s median | min–max |\n|---|---|---|---|---|");
      for (const [label, n] of jobs) {
        for (const subject of subjects) {
          const r = rates.get(`${label}|${subject}`);
          const row = { job: label, subject, jobs: n, median: Math.round(median(r)), runs: r.map(Math.round) };
          report.throughput.push(row);
          console.log(
            `| ${label} | ${LABEL[subject]} | ${n} | ${row.median} | ${Math.min(...row.runs)}–${Math.max(...row.runs)} |`,
          );
        }
      }
    }
    if (!args.includes("--no-stalls")) {
      const lock = opt("lock", BULLMQ_LOCK_DEFAULT);
      const jobMs = Math.round(lock * 1.5);
      const jobs = opt("stall-jobs", 2);
      const settings = lock === BULLMQ_LOCK_DEFAULT ? "BullMQ defaults" : "scaled";
      console.log(
        `\n## stalls: lockDuration = stalledInterval = ${lock} ms (${settings}), maxStalledCount 1, ${jobs} jobs of ${jobMs} ms CPU, 2 nodes x 1`,
      );
      console.log(
        "| subject | executions | double executions | stalls (stalledCounter) | failed | seconds |\n|---|---|---|---|---|---|",
      );
      for (const subject of ["sandbox", "mpms", "inline"]) {
        const name = `st-${++serial}`;
        const marks = mkdtempSync(join(tmpdir(), "mpms-bench-marks-"));
        const queue = new Queue(name, { connection });
        const children = [0, 1].map(() =>
          spawn(
            process.execPath,
            [new URL(import.meta.url).pathname, "--role", subject, name, String(port), String(lock)],
            { stdio: ["ignore", "pipe", "inherit"] },
          ),
        );
        await Promise.all(children.map((c) => new Promise((r) => c.stdout.once("data", r))));
        const start = performance.now();
        await queue.addBulk(
          Array.from({ length: jobs }, (_, i) => ({ name: "j", data: { ms: jobMs, id: `j${i}`, dir: marks } })),
        );
        const deadline = start + 6 * jobMs + 2 * lock + 30_000;
        let counts;
        for (;;) {
          counts = await queue.getJobCounts("completed", "failed");
          if (counts.completed + counts.failed >= jobs || performance.now() > deadline) break;
          await new Promise((r) => setTimeout(r, 200));
        }
        const secs = Math.round((performance.now() - start) / 1000);
        const executions = readdirSync(marks).length;
        let stalls = 0;
        const reasons = [];
        for (const job of await queue.getJobs(["completed", "failed", "active", "wait"])) {
          stalls += job.stalledCounter ?? 0;
          if (job.failedReason) reasons.push(job.failedReason);
        }
        const unfinished = jobs - counts.completed - counts.failed;
        const row = {
          subject,
          lock,
          jobMs,
          jobs,
          executions,
          doubleExecutions: Math.max(0, executions - jobs),
          stalls,
          completed: counts.completed,
          failed: counts.failed,
          unfinished,
          failedReasons: [...new Set(reasons)],
          seconds: secs,
        };
        report.stalls.push(row);
        console.log(
          `| ${LABEL[subject]} | ${executions} | ${row.doubleExecutions} | ${stalls} | ${counts.failed}${unfinished ? ` (+${unfinished} unfinished)` : ""} | ${secs} |`,
        );
        for (const c of children) c.kill("SIGTERM");
        await Promise.all(children.map((c) => new Promise((r) => (c.exitCode !== null ? r() : c.once("exit", r)))));
        await queue.obliterate({ force: true });
        await queue.close();
        rmSync(marks, { recursive: true, force: true });
      }
      const failedReasons = report.stalls.flatMap((r) => r.failedReasons.map((m) => `${r.subject}: ${m}`));
      if (failedReasons.length) console.log(`\nfailed reasons: ${failedReasons.join("; ")}`);
    }
  } finally {
    const pid = Number(readFileSync(join(dir, "redis.pid"), "utf8"));
    process.kill(pid, "SIGTERM");
    rmSync(dir, { recursive: true, force: true });
  }
  report.loadEnd = load();
  console.log(`\nload average at end ${report.loadEnd}`);
  const i = args.indexOf("--json");
  if (i >= 0) writeFileSync(args[i + 1], `${JSON.stringify(report, null, 2)}\n`);
}

// a node of the stall run: this script in --role mode
if (args[0] === "--role") {
  const [, subject, queue, port, lock] = args;
  const connection = { host: "127.0.0.1", port: Number(port), maxRetriesPerRequest: null };
  const lockOptions =
    Number(lock) === BULLMQ_LOCK_DEFAULT ? {} : { lockDuration: Number(lock), stalledInterval: Number(lock) };
  const n = await node(subject, queue, connection, 1, lockOptions);
  process.stdout.write("ready\n");
  process.on("SIGTERM", async () => {
    await Promise.race([n.close(), new Promise((r) => setTimeout(r, 10_000))]);
    process.exit(0);
  });
} else {
  await main();
}
