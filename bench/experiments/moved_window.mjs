#!/usr/bin/env node
/**
 * Is the cost of a moved task in mpms the move, or the low number of tasks in flight? Runs, each
 * in a fresh process (bench/child.mjs), echo tasks and "moved" tasks (64-byte buffers, reused) at
 * several windows for each subject, repetitions interleaved; prints medians of tasks/s and CPU
 * µs per task. Node: mpms from bench/dist (run bench/run.mjs once to build it).
 *
 *   node bench/experiments/moved_window.mjs [reps] [tasks] [windows, e.g. 1,4,16,64] [subjects]
 */
import { spawnSync } from "node:child_process";
import { median } from "../lib/stats.mjs";

const CHILD = new URL("../child.mjs", import.meta.url).pathname;
const [reps = "3", tasks = "20000", windows = "4,64", subjects = "raw_worker,mpms,piscina"] = process.argv.slice(2);

const cells = [];
for (const module of subjects.split(",")) {
  for (const window of windows.split(",").map(Number)) {
    for (const task of ["echo", "moved"]) cells.push({ module, window, task });
  }
}
const results = new Map(cells.map((c) => [c, []]));
for (let r = 0; r < Number(reps); r++) {
  for (const c of cells) {
    const spec = {
      module: c.module,
      options: {},
      workload: c.task === "echo" ? "echo64" : "moved-64",
      task: c.task,
      workers: 2,
      counts: { warmup: 2000, tasks: Number(tasks) },
      // echo64 with another window (child.mjs `window`), or moved 64-byte buffers, reused
      ...(c.task === "echo" ? { window: c.window } : { moved: { size: 64, window: c.window, reuse: true } }),
    };
    const out = spawnSync(process.execPath, [CHILD, JSON.stringify(spec)], { encoding: "utf8" });
    const line = out.stdout.split("\n").find((l) => l.startsWith("BENCH_RESULT "));
    const res = line ? JSON.parse(line.slice(13)) : { status: "error", reason: out.stderr.slice(-300) };
    if (res.status !== "ok") console.error(c, res.reason);
    results.get(c).push(res);
  }
}
console.log("| subject | task | in flight | tasks/s | CPU µs/task |");
console.log("|---|---|---|---|---|");
for (const [c, rs] of results) {
  const ok = rs.filter((x) => x.status === "ok");
  const tps = median(ok.map((x) => x.tasksPerSec));
  const cpu = median(ok.map((x) => ((x.hostCpuMs + x.childrenCpuMs) * 1000) / x.count));
  console.log(`| ${c.module} | ${c.task} | ${c.window} | ${Math.round(tps ?? 0)} | ${cpu?.toFixed(1)} |`);
}
