#!/usr/bin/env node
/**
 * Acceptance run (issue #17), full scale: three `mpms worker` nodes (2 workers each) on one queue
 * of 5,000 jobs mixing ok / throw / hang (job time limit) / exit (process.exit) / 2 s CPU, plus one
 * 60 s CPU job, BullMQ's default lock settings (lockDuration 30 s, stalledInterval 30 s,
 * maxStalledCount 1), 2 attempts per job. When a quarter of the jobs have finished one node gets
 * SIGTERM; at 45 % another gets SIGKILL. Neither is the node running the 60 s job, so its lock is
 * watched for the whole minute. Checks: every job ends completed or failed as its kind implies,
 * failed ones after their 2 attempts (not by a stall); none lost; none completed twice except
 * jobs running on the SIGKILLed node; the SIGTERMed node exits 0 within its --shutdown-timeout
 * and none of its jobs stalled; the 60 s job never stalled; no process this script started
 * (redis-server, nodes, their workers, by pid and start time) is left.
 *
 * A script, not a test (several minutes). Needs `npm run build` (the nodes run dist/bin/mpms.js)
 * and redis-server. The script itself runs on Node; `--runtime` picks what the three nodes run
 * on: node, bun or deno (node_modules/.bin/bun, node_modules/.bin/deno run -A), or `mixed` (one
 * node each: Node, Bun, Deno). Writes
 * bench/acceptance/results/<date>-bullmq_<jobs>-<adapter>.json (…-<runtime>-<adapter>.json for
 * another runtime than Node); exit 1 if a check failed.
 *
 *   node bench/acceptance/bullmq_5000.mjs [--jobs 5000] [--adapter thread|process] [--runtime node|bun|deno|mixed]
 *     [--mix ok:929,throw:50,hang:10,cpu:10,exit:1] [--cpu-ms 2000] [--long-ms 60000] [--hang-ms 500]
 *     [--shutdown-timeout 2] [--term-at 0.25] [--kill-at 0.45] [--no-write]
 */
import { execFileSync, spawn } from "node:child_process";
import { existsSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { connect, createServer } from "node:net";
import { loadavg, tmpdir } from "node:os";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import { Queue } from "bullmq";

const ROOT = fileURLToPath(new URL("../../", import.meta.url));
const CLI = join(ROOT, "dist/bin/mpms.js");
const TASK = join(ROOT, "bench/tasks/bullmq_acceptance.mjs");
const args = process.argv.slice(2);
const flag = (name, def) => {
  const i = args.indexOf(`--${name}`);
  return i >= 0 ? args[i + 1] : def;
};
const TOTAL = Number(flag("jobs", 5000));
const ADAPTER = flag("adapter", "thread");
const RUNTIME = flag("runtime", "node");
if (!["node", "bun", "deno", "mixed"].includes(RUNTIME)) {
  console.error(`bench/acceptance/bullmq_5000.mjs: --runtime must be node, bun, deno or mixed, got ${RUNTIME}`);
  process.exit(2);
}
/** The runtime of node `index` (0, 1, 2). */
const runtimeOf = (index) => (RUNTIME === "mixed" ? ["node", "bun", "deno"][index] : RUNTIME);
/** The command that runs the built CLI on `runtime`. */
function cliCommand(runtime) {
  if (runtime === "bun") return [join(ROOT, "node_modules/.bin/bun"), CLI];
  if (runtime === "deno") return [join(ROOT, "node_modules/.bin/deno"), "run", "-A", CLI];
  return [process.execPath, CLI];
}
/** The runtime's version, as the node processes report it. */
function runtimeVersion(runtime) {
  if (runtime === "node") return `node ${process.version}`;
  const bin = cliCommand(runtime)[0];
  const code = runtime === "deno" ? 'console.log("deno " + Deno.version.deno)' : 'console.log("bun " + Bun.version)';
  return execFileSync(bin, [runtime === "deno" ? "eval" : "-e", code], { encoding: "utf8" }).trim();
}
const MIX = flag("mix", "ok:929,throw:50,hang:10,cpu:10,exit:1")
  .split(",")
  .map((p) => p.split(":"))
  .map(([kind, n]) => [kind, Number(n)]);
const CPU_MS = Number(flag("cpu-ms", 2000));
const LONG_MS = Number(flag("long-ms", 60_000));
const HANG_MS = Number(flag("hang-ms", 500));
const SHUTDOWN_S = Number(flag("shutdown-timeout", 2));
const TERM_AT = Number(flag("term-at", 0.25));
const KILL_AT = Number(flag("kill-at", 0.45));
const FINISH_TIMEOUT_S = Number(flag("finish-timeout", 600));
const ATTEMPTS = 2;
const LOCK_MS = 30_000; // BullMQ defaults, not overridden
const STALLED_INTERVAL_MS = 30_000;
// When a SIGKILLed node's job is requeued (docs/distributed.md, "When a node is SIGKILLed"): one
// stalled check per interval across the fleet (a key that lives stalledInterval), and the dead
// node may have taken that key just before it died, so the survivors' first check can come up to
// 2 × stalledInterval after the kill; it marks the job, and the next check (or the first one after
// the lock expired) requeues it.
const STALL_BOUND_MS = STALLED_INTERVAL_MS + Math.max(LOCK_MS, 2 * STALLED_INTERVAL_MS);

const sleep = (ms) => new Promise((r) => setTimeout(r, ms));
const t0 = performance.now();
const now = () => Math.round(performance.now() - t0);
const log = (line) => process.stderr.write(`[${(now() / 1000).toFixed(1)} s] ${line}\n`);

/** The kind of job i: the mix repeats every sum(mix) jobs; job 0 is the long CPU job. */
const period = MIX.reduce((s, [, n]) => s + n, 0);
function kindOf(i) {
  if (i === 0) return "long";
  let k = i % period;
  for (const [kind, n] of MIX) {
    if (k < n) return kind;
    k -= n;
  }
  throw new Error("unreachable");
}
const completes = (kind) => kind === "ok" || kind === "cpu" || kind === "long";
const REASON = { throw: /bad input/, hang: /timed out/, exit: /crashed/ };

// --- processes: every one started here is recorded by pid and start time (pids get reused) ---
const seen = new Map(); // pid -> { starttime, comm, role }
function procStat(pid) {
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, "utf8");
    const fields = stat.slice(stat.lastIndexOf(")") + 2).split(" ");
    return {
      state: fields[0],
      ppid: Number(fields[1]),
      starttime: fields[19],
      comm: stat.slice(stat.indexOf("(") + 1, stat.lastIndexOf(")")),
    };
  } catch {
    return null;
  }
}
function record(pid, role) {
  const s = procStat(pid);
  if (s && !seen.has(pid)) seen.set(pid, { starttime: s.starttime, comm: s.comm, role });
}
/** Descendants of `roots` now (zombies count as gone). */
function descendants(roots) {
  const children = new Map();
  for (const entry of readdirSync("/proc")) {
    if (!/^\d+$/.test(entry)) continue;
    const s = procStat(Number(entry));
    if (!s || s.state === "Z") continue;
    const list = children.get(s.ppid) ?? [];
    list.push(Number(entry));
    children.set(s.ppid, list);
  }
  const out = [];
  const walk = (pid) => {
    for (const c of children.get(pid) ?? []) {
      out.push(c);
      walk(c);
    }
  };
  for (const r of roots) walk(r);
  return out;
}
/** A recorded process still alive (same pid and start time, not a zombie). */
function alive(pid) {
  const s = procStat(pid);
  const r = seen.get(pid);
  return s !== null && s.state !== "Z" && (r === undefined || s.starttime === r.starttime);
}

// --- redis-server: a free port, a temp dir, no persistence, noeviction; stopped by its pid ---
async function freePort() {
  return await new Promise((resolve, reject) => {
    const s = createServer();
    s.once("error", reject);
    s.listen(0, "127.0.0.1", () => {
      const { port } = s.address();
      s.close(() => resolve(port));
    });
  });
}
function ping(port) {
  return new Promise((resolve) => {
    const socket = connect(port, "127.0.0.1");
    let reply = "";
    const done = (ok) => {
      socket.destroy();
      resolve(ok);
    };
    socket.once("connect", () => socket.write("PING\r\n"));
    socket.on("data", (chunk) => {
      reply += chunk.toString();
      if (reply.includes("\r\n")) done(reply.startsWith("+PONG"));
    });
    socket.once("error", () => done(false));
    socket.once("close", () => done(false));
  });
}
async function startRedis() {
  const dir = mkdtempSync(join(tmpdir(), "mpms-redis-"));
  const pidfile = join(dir, "redis.pid");
  const port = await freePort();
  execFileSync("redis-server", [
    ...["--port", String(port), "--bind", "127.0.0.1", "--save", "", "--appendonly", "no", "--dir", dir],
    ...["--daemonize", "yes", "--pidfile", pidfile, "--maxmemory-policy", "noeviction"],
    ...["--logfile", join(dir, "redis.log")],
  ]);
  let pid = 0;
  for (const until = performance.now() + 10_000; ; ) {
    if (existsSync(pidfile)) pid = Number(readFileSync(pidfile, "utf8").trim());
    if (pid > 0 && (await ping(port))) break;
    if (performance.now() > until) throw new Error(`redis-server on port ${port} did not start`);
    await sleep(20);
  }
  record(pid, "redis-server");
  return {
    port,
    pid,
    async stop() {
      if (alive(pid)) process.kill(pid, "SIGTERM");
      for (const until = performance.now() + 5_000; alive(pid) && performance.now() < until; ) await sleep(20);
      if (alive(pid)) process.kill(pid, "SIGKILL");
      rmSync(dir, { recursive: true, force: true });
    },
  };
}

// --- one `mpms worker` node ---
function startNode(queue, port, index) {
  const [bin, ...base] = cliCommand(runtimeOf(index));
  const child = spawn(
    bin,
    [
      ...[...base, "worker", TASK, "--queue", queue, "--redis", `redis://127.0.0.1:${port}`, "--workers", "2"],
      ...["--adapter", ADAPTER, "--timeout-field", "timeoutMs", "--shutdown-timeout", `${SHUTDOWN_S}s`],
    ],
    { cwd: ROOT, stdio: ["ignore", "ignore", "pipe"] },
  );
  record(child.pid, `node ${index}`);
  let stderr = "";
  child.stderr.on("data", (c) => {
    stderr += c;
  });
  const exited = new Promise((r) => child.once("exit", (code, signal) => r({ code, signal, at: now() })));
  return {
    index,
    runtime: runtimeOf(index),
    pid: child.pid,
    child,
    exited,
    stderr: () => stderr,
    ready: async () => {
      for (const until = performance.now() + 30_000; !stderr.includes("; ready"); ) {
        if (performance.now() > until || child.exitCode !== null)
          throw new Error(`node ${index} did not start:\n${stderr}`);
        await sleep(20);
      }
    },
  };
}

/** Markers of one kind: id -> [{ node, at }] */
function markers(dir, kind) {
  const out = new Map();
  for (const file of readdirSync(join(dir, kind))) {
    const id = file.slice(0, file.indexOf("."));
    let m;
    try {
      m = JSON.parse(readFileSync(join(dir, kind, file), "utf8"));
    } catch {
      m = { node: 0, at: 0 }; // torn by a kill mid-write: counts, node unknown
    }
    const list = out.get(id) ?? [];
    list.push(m);
    out.set(id, list);
  }
  return out;
}

async function main() {
  if (!existsSync(CLI)) {
    console.error("bench/acceptance/bullmq_5000.mjs: run `npm run build` first");
    process.exit(2);
  }
  const loadStart = loadavg().map((l) => Math.round(l * 100) / 100);
  const redis = await startRedis();
  const dir = mkdtempSync(join(tmpdir(), "mpms-accept-"));
  mkdirSync(join(dir, "start"));
  mkdirSync(join(dir, "done"));
  const name = `accept-${process.pid}`;
  const connection = { host: "127.0.0.1", port: redis.port, maxRetriesPerRequest: null };
  const queue = new Queue(name, { connection });
  const nodes = [];
  const watch = setInterval(() => {
    for (const n of nodes) for (const pid of descendants([n.pid])) record(pid, `worker of node ${n.index}`);
  }, 100);
  const failures = [];
  const check = (ok, what) => {
    if (!ok) failures.push(what);
  };
  const runtimes = {};
  for (let i = 0; i < 3; i++) runtimes[runtimeOf(i)] ??= runtimeVersion(runtimeOf(i));
  const result = {
    script: "bench/acceptance/bullmq_5000.mjs",
    date: new Date().toISOString(),
    node: process.version,
    runtime: RUNTIME,
    runtimes,
  };
  try {
    for (let i = 0; i < 3; i++) nodes.push(startNode(name, redis.port, i));
    await Promise.all(nodes.map((n) => n.ready()));
    log(
      `3 nodes ready (${nodes.map((n) => n.runtime).join(", ")}; ${ADAPTER} adapter, 2 workers each), redis pid ${redis.pid}`,
    );

    const kinds = Array.from({ length: TOTAL }, (_, i) => kindOf(i));
    const jobs = kinds.map((kind, i) => {
      const data = { kind: kind === "long" ? "cpu" : kind, id: `j${i}`, dir };
      if (kind === "cpu") data.ms = CPU_MS;
      if (kind === "long") data.ms = LONG_MS;
      if (kind === "hang") data.timeoutMs = HANG_MS;
      return { name: "j", data, opts: { jobId: `j${i}`, attempts: ATTEMPTS } };
    });
    const addStart = now();
    for (let i = 0; i < jobs.length; i += 1000) await queue.addBulk(jobs.slice(i, i + 1000));
    const addMs = now() - addStart;
    const rel = (t) => t - addStart; // durations count from the moment the jobs were added
    log(`${TOTAL} jobs added in ${addMs} ms`);
    const finished = async () => {
      const c = await queue.getJobCounts("completed", "failed");
      return (c.completed ?? 0) + (c.failed ?? 0);
    };
    const waitFinished = async (n, timeout, what) => {
      for (const until = performance.now() + timeout; (await finished()) < n; ) {
        if (performance.now() > until) throw new Error(`timed out waiting for ${what} (${await finished()} of ${n})`);
        await sleep(100);
      }
    };

    await waitFinished(Math.ceil(TOTAL * TERM_AT), 600_000, `${TERM_AT * 100} % of the jobs`);
    // the victims are the two nodes not running the 60 s job
    const longStarts = markers(dir, "start").get("j0") ?? [];
    const longNode = nodes.find((n) => longStarts.some((m) => m.node === n.pid)) ?? nodes[2];
    const [term, kill] = nodes.filter((n) => n !== longNode);
    const termAt = now();
    process.kill(term.pid, "SIGTERM");
    log(`SIGTERM node ${term.index} (pid ${term.pid}) at ${await finished()} finished`);

    await waitFinished(Math.ceil(TOTAL * KILL_AT), 600_000, `${KILL_AT * 100} % of the jobs`);
    const killPids = [kill.pid, ...descendants([kill.pid])];
    for (const pid of killPids) record(pid, `worker of node ${kill.index}`);
    const killAt = now();
    const killWall = Date.now();
    process.kill(kill.pid, "SIGKILL");
    // Read after the kill: the dead node fetches nothing more, and its jobs stay active until the
    // stalled checker requeues them (seconds later). A job it had fetched may not have started its
    // task yet (no start marker), so this list, not the markers, names the SIGKILL's victims. It
    // also holds what the survivor runs at that moment (at most 2 jobs).
    const activeAtKill = (await queue.getJobs(["active"])).map((j) => j.id);
    log(`SIGKILL node ${kill.index} (pid ${kill.pid}) at ${await finished()} finished`);
    const termExit = await term.exited;
    await kill.exited;
    await sleep(500);
    const killLeft = killPids.filter(alive);
    check(killLeft.length === 0, `processes of the SIGKILLed node still alive: ${killLeft}`);

    try {
      await waitFinished(TOTAL, FINISH_TIMEOUT_S * 1000, "every job");
    } catch (error) {
      // which jobs, in which state, and where they ran
      const starts = markers(dir, "start");
      const stuck = [];
      for (let i = 0; i < TOTAL; i++) {
        const state = await queue.getJobState(`j${i}`);
        if (state === "completed" || state === "failed") continue;
        const job = await queue.getJob(`j${i}`);
        const nodeOf = (pid) => nodes.find((n) => n.pid === pid)?.index ?? pid;
        stuck.push({
          id: `j${i}`,
          kind: kinds[i],
          state,
          attemptsMade: job?.attemptsMade,
          attemptsStarted: job?.attemptsStarted,
          stalledCounter: job?.stalledCounter,
          activeAtKill: activeAtKill.includes(`j${i}`),
          starts: (starts.get(`j${i}`) ?? []).map((m) => ({ node: nodeOf(m.node), afterKillMs: m.at - killWall })),
        });
      }
      result.stuck = stuck;
      result.nodeRoles = { sigterm: term.index, sigkill: kill.index, survivor: longNode.index };
      result.nodeRuntimes = nodes.map((n) => n.runtime);
      result.survivorStderr = longNode.stderr().slice(-3000);
      throw error;
    }
    const allDone = now();
    log(`all ${TOTAL} jobs finished`);
    const lastAt = now();
    process.kill(longNode.pid, "SIGTERM");
    const lastExit = await longNode.exited;

    // --- the checks ---
    const starts = markers(dir, "start");
    const dones = markers(dir, "done");
    const byId = new Map();
    for (const state of ["completed", "failed"]) {
      for (const job of await queue.getJobs([state], 0, -1)) byId.set(job.id, { job, state });
    }
    const counts = {};
    const perKind = {};
    let retries = 0;
    let executions = 0;
    let completedTwice = 0;
    let stalledJobs = 0;
    let maxRequeueMs = 0;
    let lateOnKilled = 0; // markers the killed node's workers wrote after the SIGKILL
    let lost = 0;
    const victims = [];
    const nodeName = (pid) =>
      pid === kill.pid ? "sigkilled" : pid === term.pid ? "sigtermed" : pid === longNode.pid ? "survivor" : String(pid);
    for (let i = 0; i < TOTAL; i++) {
      const id = `j${i}`;
      const kind = kinds[i];
      const entry = byId.get(id);
      const s = starts.get(id) ?? [];
      const d = dones.get(id) ?? [];
      executions += s.length;
      lateOnKilled += [...s, ...d].filter((m) => m.node === kill.pid && m.at > killWall).length;
      perKind[kind] ??= { jobs: 0, completed: 0, failed: 0, starts: 0, stalled: 0 };
      const k = perKind[kind];
      k.jobs++;
      k.starts += s.length;
      if (!entry) {
        lost++;
        check(false, `${id} (${kind}) is in neither completed nor failed`);
        continue;
      }
      const { job, state } = entry;
      counts[state] = (counts[state] ?? 0) + 1;
      k[state]++;
      retries += Math.max(0, (job.attemptsMade ?? 0) - 1);
      const onKilled = s.some((m) => m.node === kill.pid || m.node === 0);
      const victim = activeAtKill.includes(id);
      if (victim || (job.stalledCounter ?? 0) > 0 || d.length > 1) {
        victims.push({
          id,
          kind,
          state,
          activeAtKill: victim,
          stalledCounter: job.stalledCounter,
          attemptsMade: job.attemptsMade,
          starts: s.map((m) => nodeName(m.node)),
          completions: d.map((m) => nodeName(m.node)),
          // when, from the SIGKILL (ms; negative: before it), in time order
          timeline: [
            ...s.map((m) => ({ at: m.at - killWall, event: `start on ${nodeName(m.node)}` })),
            ...d.map((m) => ({ at: m.at - killWall, event: `done on ${nodeName(m.node)}` })),
          ].sort((a, b) => a.at - b.at),
          finishedOn: job.finishedOn === undefined ? null : job.finishedOn - killWall,
          processedOn: job.processedOn === undefined ? null : job.processedOn - killWall,
        });
      }
      if ((job.stalledCounter ?? 0) > 0) {
        stalledJobs++;
        k.stalled++;
        check(victim, `${id} (${kind}) stalled but was not active when the node was SIGKILLed`);
        // requeued = started again elsewhere: a process worker of the killed node lives on for up
        // to its watchdog's interval (200 ms) and may still start a task it had received
        const after = s
          .filter((m) => m.at > killWall && m.node !== kill.pid && m.node !== 0)
          .map((m) => m.at - killWall);
        if (after.length > 0) maxRequeueMs = Math.max(maxRequeueMs, Math.min(...after));
      }
      if (completes(kind)) {
        check(state === "completed", `${id} (${kind}) ${state}: ${job.failedReason}`);
        check(d.length >= 1, `${id} (${kind}) completed without a marker`);
        if (d.length > 1) {
          completedTwice++;
          check(victim && onKilled, `${id} (${kind}) completed ${d.length} times, not a SIGKILL victim`);
        }
      } else {
        check(state === "failed", `${id} (${kind}) ${state}`);
        check(d.length === 0, `${id} (${kind}) left a done marker`);
        check(job.attemptsMade === ATTEMPTS, `${id} (${kind}) failed after ${job.attemptsMade} attempts`);
        check(REASON[kind].test(job.failedReason ?? ""), `${id} (${kind}) failed with "${job.failedReason}"`);
      }
    }
    const long = byId.get("j0")?.job;
    const longStartsAll = starts.get("j0") ?? [];
    check(long?.stalledCounter === 0, `the ${LONG_MS} ms CPU job stalled ${long?.stalledCounter} times`);
    check(longStartsAll.length === 1, `the ${LONG_MS} ms CPU job started ${longStartsAll.length} times`);
    const termSummary = term.stderr().match(/stopped; (\d+) completed, (\d+) failed, (\d+) handed back/);
    check(termExit.code === 0, `the SIGTERMed node exited with ${termExit.code} / ${termExit.signal}`);
    const termMs = termExit.at - termAt;
    check(termMs < SHUTDOWN_S * 1000 + 2_000, `the SIGTERMed node took ${termMs} ms to exit`);
    // a job the SIGTERMed node ran and did not finish was handed back: it never stalled
    for (const [id, s] of starts) {
      if (s.some((m) => m.node === term.pid) && !s.some((m) => m.node === kill.pid || m.node === 0)) {
        check((byId.get(id)?.job.stalledCounter ?? 0) === 0, `${id} ran on the SIGTERMed node and stalled`);
      }
    }
    check(maxRequeueMs <= STALL_BOUND_MS, `a SIGKILL victim was requeued after ${maxRequeueMs} ms`);
    check(stalledJobs <= 2, `${stalledJobs} jobs stalled; the SIGKILLed node ran at most 2 at once`);
    check(lastExit.code === 0, `the last node exited with ${lastExit.code} / ${lastExit.signal}`);

    Object.assign(result, {
      ok: false,
      adapter: ADAPTER,
      jobs: TOTAL,
      mix: Object.fromEntries(MIX),
      cpuMs: CPU_MS,
      longMs: LONG_MS,
      hangTimeoutMs: HANG_MS,
      attempts: ATTEMPTS,
      lock: { lockDuration: LOCK_MS, stalledInterval: STALLED_INTERVAL_MS, maxStalledCount: 1, defaults: true },
      shutdownTimeoutS: SHUTDOWN_S,
      loadAverage: { start: loadStart },
      durationsMs: {
        addBulk: addMs,
        toSigterm: rel(termAt),
        toSigkill: rel(killAt),
        toAllFinished: rel(allDone),
        sigtermToExit: termMs,
        lastNodeExit: lastExit.at - lastAt,
      },
      finished: counts,
      perKind,
      lost,
      retries,
      executions,
      completedTwice,
      activeAtKill: activeAtKill.length,
      victims,
      stalledJobs,
      maxRequeueAfterKillMs: maxRequeueMs,
      markersOnKilledNodeAfterKill: lateOnKilled,
      stallBoundMs: STALL_BOUND_MS,
      longJob: {
        state: byId.get("j0")?.state,
        stalledCounter: long?.stalledCounter,
        starts: longStartsAll.length,
        node: longNode.index,
      },
      nodeRuntimes: nodes.map((n) => n.runtime),
      sigtermNode: {
        index: term.index,
        runtime: term.runtime,
        exit: termExit.code,
        summary: termSummary
          ? { completed: +termSummary[1], failed: +termSummary[2], handedBack: +termSummary[3] }
          : null,
      },
      sigkillNode: { index: kill.index, runtime: kill.runtime, processes: killPids.length },
      lastNodeSummary: longNode.stderr().match(/stopped; .*/)?.[0] ?? null,
    });
  } catch (error) {
    failures.push(String(error?.stack ?? error));
  } finally {
    clearInterval(watch);
    for (const n of nodes) if (n.child.exitCode === null && n.child.signalCode === null) n.child.kill("SIGKILL");
    await Promise.all(nodes.map((n) => n.exited));
    await queue.close().catch(() => {});
    await redis.stop();
    rmSync(dir, { recursive: true, force: true });
  }
  await sleep(500);
  const leftovers = [...seen].filter(([pid]) => alive(pid)).map(([pid, r]) => ({ pid, ...r }));
  check(leftovers.length === 0, `processes left: ${JSON.stringify(leftovers)}`);
  result.processesStarted = seen.size;
  result.processesByRole = {};
  for (const [, r] of seen) {
    const role = r.role.startsWith("worker") ? "workers" : r.role.startsWith("node") ? "nodes" : r.role;
    result.processesByRole[role] = (result.processesByRole[role] ?? 0) + 1;
  }
  result.leftovers = leftovers.length;
  result.loadAverage = { ...result.loadAverage, end: loadavg().map((l) => Math.round(l * 100) / 100) };
  result.failures = failures;
  result.ok = failures.length === 0;
  const json = JSON.stringify(result, null, 2);
  console.log(json);
  if (!args.includes("--no-write")) {
    const tag = RUNTIME === "node" ? ADAPTER : `${RUNTIME}-${ADAPTER}`;
    const out = new URL(`./results/${result.date.slice(0, 10)}-bullmq_${TOTAL}-${tag}.json`, import.meta.url);
    writeFileSync(out, `${json}\n`);
    log(`written ${fileURLToPath(out)}`);
  }
  process.exit(result.ok ? 0 : 1);
}

await main();
