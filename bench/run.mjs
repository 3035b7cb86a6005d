#!/usr/bin/env node
/**
 * Benchmark driver (issue 8). Runs every (workload, subject) cell of a runtime in a fresh child
 * process, several repetitions, and writes bench/results/<date>-<runtime>[-quick][-<workloads>].json
 * plus bench/RESULTS.md. See docs/performance.md.
 *
 *   node bench/run.mjs [--quick] [--runtime node,bun,deno] [--reps N] [--workloads a,b]
 *                      [--subjects x,y] [--cpu-prof] [--no-write] [--build] [--dist <dir>] [--timeout <s>]
 *
 * --dist <dir>: Node only; every mpms subject also runs (interleaved, same run) against the
 * build in <dir> (its mod.js), as "<id>@alt": A/B a hot-path change. Implies --no-write.
 */
import { spawn, spawnSync } from "node:child_process";
import { existsSync, mkdirSync, readdirSync, statSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { BINARIES, describeEnvironment, loadAverage } from "./lib/env.mjs";
import { cells, WORKERS } from "./lib/plan.mjs";
import { watchTree } from "./lib/proc.mjs";
import { writeReport } from "./lib/report.mjs";
import { summarize } from "./lib/stats.mjs";

const ROOT = new URL("../", import.meta.url).pathname;
const RESULTS = new URL("./results/", import.meta.url).pathname;

function parseArgs(argv) {
  const args = { quick: false, runtimes: ["node"], reps: undefined, workloads: [], subjects: [], write: true };
  for (let i = 0; i < argv.length; i++) {
    const a = argv[i];
    const value = () => {
      const v = argv[++i];
      if (v === undefined) throw new RangeError(`${a} needs a value`);
      return v;
    };
    if (a === "--quick") args.quick = true;
    else if (a === "--runtime") args.runtimes = value().split(",");
    else if (a === "--reps") args.reps = Number(value());
    else if (a === "--workloads") args.workloads = value().split(",");
    else if (a === "--subjects") args.subjects = value().split(",");
    else if (a === "--cpu-prof") args.cpuProf = true;
    else if (a === "--no-write") args.write = false;
    else if (a === "--build") args.build = true;
    else if (a === "--timeout") args.timeoutMs = Number(value()) * 1000;
    else if (a === "--dist") {
      args.dist = value();
      args.write = false;
    } else throw new RangeError(`unknown argument ${a}`);
  }
  for (const r of args.runtimes)
    if (!BINARIES[r]) throw new RangeError(`--runtime must be node, bun or deno, got ${r}`);
  args.reps ??= args.quick || args.cpuProf ? 1 : 5;
  if (!Number.isInteger(args.reps) || args.reps < 1) throw new RangeError(`--reps must be an integer >= 1`);
  return args;
}

function newestMtime(dir) {
  let newest = 0;
  for (const entry of readdirSync(dir, { withFileTypes: true, recursive: true })) {
    if (!entry.isFile() || !entry.name.endsWith(".ts")) continue;
    newest = Math.max(newest, statSync(`${entry.parentPath ?? entry.path}/${entry.name}`).mtimeMs);
  }
  return newest;
}

/**
 * Node measures the tsc output (no tsx in the loop). It is built into bench/dist (same tsconfig,
 * no declarations), not dist/: a concurrent `npm run build` elsewhere then cannot pull the
 * files away mid-run. Rebuilt when missing, older than the sources, or with --build.
 */
function ensureBuild(force) {
  const built = `${ROOT}bench/dist/mod.js`;
  const sources = Math.max(
    newestMtime(`${ROOT}src`),
    newestMtime(`${ROOT}runtimes`),
    statSync(`${ROOT}mod.ts`).mtimeMs,
  );
  const reason = force
    ? "--build"
    : !existsSync(built)
      ? "bench/dist is missing"
      : statSync(built).mtimeMs < sources
        ? "bench/dist is older than the sources"
        : null;
  if (reason === null) return { built: false };
  console.error(`building bench/dist (${reason}) ...`);
  const r = spawnSync(
    `${ROOT}node_modules/.bin/tsc`,
    ["-p", "tsconfig.json", "--outDir", "bench/dist", "--declaration", "false"],
    { cwd: ROOT, stdio: "inherit" },
  );
  if (r.status !== 0) console.error("tsc reported errors; measuring what it emitted");
  return { built: true, reason, tscStatus: r.status };
}

function childCommand(runtime, spec, cpuProfDir) {
  const child = `${ROOT}bench/child.mjs`;
  const json = JSON.stringify(spec);
  if (runtime === "node") {
    const prof = cpuProfDir ? ["--cpu-prof", "--cpu-prof-dir", cpuProfDir] : [];
    return [BINARIES.node, [...prof, child, json]];
  }
  if (runtime === "bun") return [BINARIES.bun, [child, json]];
  return [BINARIES.deno, ["run", "-A", child, json]];
}

/** Run one cell once in a fresh process (own process group); never leaves a process behind. */
function runOnce(runtime, cell, timeoutMs, cpuProfDir) {
  const dist = cell.subject.dist;
  const spec = {
    module: cell.subject.module,
    options: cell.subject.options,
    workload: cell.workload.id,
    task: cell.workload.task,
    workers: WORKERS,
    counts: cell.counts,
    ...(cell.workload.bytes ? { bytes: cell.workload.bytes } : {}),
    ...(cell.workload.moved ? { moved: cell.workload.moved } : {}),
  };
  const [file, args] = childCommand(runtime, spec, cpuProfDir);
  return new Promise((resolve) => {
    const load1 = loadAverage()[0];
    const env = dist ? { ...process.env, MPMS_BENCH_DIST: dist } : process.env;
    const child = spawn(file, args, { cwd: ROOT, env, detached: true, stdio: ["ignore", "pipe", "pipe"] });
    const watch = watchTree(child.pid);
    // Only processes this run started: its own group, and descendants seen by pid.
    const killAll = (pids) => {
      try {
        process.kill(-child.pid, "SIGKILL");
      } catch {}
      for (const pid of pids) {
        try {
          process.kill(pid, "SIGKILL");
        } catch {}
      }
    };
    let out = "";
    let err = "";
    child.stdout.setEncoding("utf8").on("data", (d) => (out += d));
    child.stderr.setEncoding("utf8").on("data", (d) => (err += d));
    let timedOut = false;
    const timer = setTimeout(() => {
      timedOut = true;
      killAll(watch.seen());
    }, timeoutMs);
    child.on("close", (code, signal) => {
      clearTimeout(timer);
      const { peakBytes, alive } = watch.stop();
      // A worker process still alive after its pool's process exited is a leak: record, then kill it.
      if (alive.length > 0) killAll(alive);
      const line = out.split("\n").find((l) => l.startsWith("BENCH_RESULT "));
      let result = line
        ? JSON.parse(line.slice("BENCH_RESULT ".length))
        : {
            status: "error",
            reason: timedOut ? `timed out after ${timeoutMs} ms` : `exit ${code ?? signal}, no result`,
          };
      if (result.status === "error" && err.trim()) result.reason += `\nstderr: ${err.trim().slice(-1500)}`;
      result = { ...result, peakTreeRssMb: peakBytes / 2 ** 20, leftoverProcesses: alive.length, load1 };
      resolve(result);
    });
  });
}

async function runRuntime(runtime, args) {
  const list = cells(runtime, args.quick, args);
  if (args.dist && runtime === "node") {
    for (const cell of [...list]) {
      if (cell.subject.kind !== "mpms") continue;
      const subject = {
        ...cell.subject,
        id: `${cell.subject.id}@alt`,
        label: `${cell.subject.label} [${args.dist}]`,
        dist: args.dist,
      };
      list.splice(list.indexOf(cell) + 1, 0, { ...cell, subject });
    }
  }
  const env = describeEnvironment(runtime);
  const loadStart = loadAverage();
  const startedAt = new Date();
  const command = `node bench/run.mjs ${process.argv.slice(2).join(" ")}`.trim();
  console.error(
    `\n== ${runtime} ${env.runtimeVersion}: ${list.length} cells x ${args.reps} reps, load ${loadStart.join(" ")}`,
  );
  // Per run of one cell: a hung subject is killed and reported, the suite goes on.
  const timeoutMs = args.timeoutMs ?? (args.quick ? 60_000 : 300_000);
  // Profiles are large artifacts: kept out of the tree, in the OS temp directory.
  const cpuProfDir =
    args.cpuProf && runtime === "node"
      ? `${tmpdir()}/mpms-bench-profiles/${startedAt.toISOString().replace(/[:.]/g, "-")}`
      : undefined;
  const reps = new Map(list.map((c) => [`${c.workload.id}/${c.subject.id}`, []]));
  // Repetitions outermost: a load change on the machine then hits every subject alike.
  for (let rep = 0; rep < args.reps; rep++) {
    for (const cell of list) {
      const key = `${cell.workload.id}/${cell.subject.id}`;
      const dir = cpuProfDir ? `${cpuProfDir}/${cell.workload.id}-${cell.subject.id}` : undefined;
      const t = performance.now();
      const r = await runOnce(runtime, cell, timeoutMs, dir);
      r.wallMs = Math.round(performance.now() - t);
      reps.get(key).push(r);
      const m = r[cell.workload.metric];
      const shown =
        r.status === "ok"
          ? `${Math.round(m * 10) / 10} ${cell.workload.unit}, cpu ${((((r.hostCpuMs ?? 0) + (r.childrenCpuMs ?? 0)) * 1000) / r.count).toFixed(1)} µs/task, RSS ${Math.round(r.peakRssMb)}/${Math.round(r.peakTreeRssMb)} MB${r.leftoverProcesses ? `, LEFT ${r.leftoverProcesses} PROCESSES` : ""}`
          : `${r.status}: ${r.reason.split("\n")[0]}`;
      console.error(`  [${rep + 1}/${args.reps}] ${key.padEnd(38)} ${shown} (${(r.wallMs / 1000).toFixed(1)} s)`);
    }
  }
  const rows = list.map((cell) => summarize(cell, reps.get(`${cell.workload.id}/${cell.subject.id}`)));
  return {
    meta: {
      ...env,
      startedAt: startedAt.toISOString(),
      finishedAt: new Date().toISOString(),
      quick: args.quick,
      reps: args.reps,
      workers: WORKERS,
      command,
      // What this run was asked for (empty: everything); the report ranks partial runs below full ones.
      picked: { workloads: args.workloads, subjects: args.subjects },
      loadAverageStart: loadStart,
      loadAverageEnd: loadAverage(),
      cpuProfDir,
    },
    rows,
  };
}

async function main() {
  const args = parseArgs(process.argv.slice(2));
  const t0 = performance.now();
  // Only Node measures the build; Bun and Deno run the sources.
  const build = args.runtimes.includes("node") ? ensureBuild(args.build) : { built: false, reason: "not needed" };
  mkdirSync(RESULTS, { recursive: true });
  const failures = [];
  for (const runtime of args.runtimes) {
    const result = await runRuntime(runtime, args);
    result.meta.build = build;
    for (const row of result.rows) {
      if (row.status === "error" || row.leftoverProcesses > 0)
        failures.push(`${runtime} ${row.workload}/${row.subject}`);
    }
    if (!args.write) continue;
    const date = result.meta.startedAt.slice(0, 10);
    // A run of some workloads or subjects only gets a name of its own: it adds to a full run of
    // the same day instead of replacing it (the report takes each workload from its newest run).
    const part = args.workloads.length > 0 ? `-${args.workloads.join("+")}` : "";
    const subset = args.subjects.length > 0 ? "-subset" : "";
    const file = `${RESULTS}${date}-${runtime}${args.quick ? "-quick" : ""}${part}${subset}.json`;
    writeFileSync(file, `${JSON.stringify(result, null, 2)}\n`);
    console.error(`wrote ${file.slice(ROOT.length)}`);
  }
  if (args.write) {
    const report = writeReport(RESULTS, `${ROOT}bench/RESULTS.md`);
    console.error(`wrote ${report.slice(ROOT.length)}`);
  }
  console.error(`done in ${((performance.now() - t0) / 1000).toFixed(1)} s`);
  // A failing or leaking cell fails the run (CI runs --quick to keep the suite working).
  if (failures.length > 0) {
    console.error(`failed or left processes behind: ${failures.join(", ")}`);
    process.exitCode = 1;
  }
}

main().catch((err) => {
  console.error(err);
  process.exit(1);
});
