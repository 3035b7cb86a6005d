#!/usr/bin/env node
/**
 * Quick A/B of mpms builds and options on one workload, repetitions interleaved, each run in a
 * fresh process (bench/child.mjs). For hot-path experiments; the suite itself is bench/run.mjs.
 *
 *   node bench/experiments/ab.mjs <reps> <workload> <tasks> <variant>...
 *   variant = label=<build dir or "">,<options JSON or "">[,<subject module, default mpms>]
 *
 * e.g. node bench/experiments/ab.mjs 5 echo64 50000 'raw=,,raw_worker' 'base=,' \
 *        'lazy=/tmp/mpms-variants/lazy-signal,' 'lazy-pf64=/tmp/mpms-variants/lazy-signal,{"prefetch":64}'
 */
import { spawnSync } from "node:child_process";
import { median } from "../lib/stats.mjs";

const CHILD = new URL("../child.mjs", import.meta.url).pathname;
const [reps, workload, tasks, ...specs] = process.argv.slice(2);
if (!specs.length) {
  console.error("usage: node bench/experiments/ab.mjs <reps> <workload> <tasks> label=<dir>,<options>[,<module>]...");
  process.exit(2);
}
const variants = specs.map((s) => {
  const [label, rest] = [s.slice(0, s.indexOf("=")), s.slice(s.indexOf("=") + 1)];
  const [dist, ...more] = rest.split(",");
  const last = more.at(-1) ?? "";
  const module = more.length > 1 && /^[a-z_]+$/.test(last) ? more.pop() : "mpms";
  const options = more.join(",");
  return { label, dist, options: options ? JSON.parse(options) : {}, module };
});
const results = new Map(variants.map((v) => [v.label, []]));
for (let r = 0; r < Number(reps); r++) {
  for (const v of variants) {
    const spec = {
      module: v.module,
      options: v.options,
      workload,
      task: workload.includes("cpu") ? "cpu1ms" : "echo",
      workers: 2,
      counts: { warmup: 2000, tasks: Number(tasks) },
    };
    const env = { ...process.env };
    if (v.dist) env.MPMS_BENCH_DIST = v.dist;
    else delete env.MPMS_BENCH_DIST;
    const out = spawnSync(process.execPath, [CHILD, JSON.stringify(spec)], { env, encoding: "utf8" }).stdout;
    const line = out.split("\n").find((l) => l.startsWith("BENCH_RESULT "));
    results.get(v.label).push(line ? JSON.parse(line.slice(13)) : { status: "error", reason: out.slice(-500) });
  }
}
for (const [label, runs] of results) {
  const ok = runs.filter((j) => j.status === "ok");
  if (ok.length === 0) {
    console.log(label, runs[0]);
    continue;
  }
  const m = (f) => median(ok.map(f));
  console.log(
    `${label.padEnd(24)} ${String(Math.round(m((j) => j.tasksPerSec))).padStart(7)} tasks/s  ${m((j) => j.usPerTask)
      .toFixed(1)
      .padStart(6)} µs/task  ` +
      `cpu ${m((j) => ((j.hostCpuMs + j.childrenCpuMs) * 1000) / j.count)
        .toFixed(1)
        .padStart(5)} µs/task  ` +
      `p99 ${String(Math.round(m((j) => j.p99Us ?? 0))).padStart(6)} µs  rss ${Math.round(m((j) => j.peakRssMb))} MB`,
  );
}
