/**
 * bench/RESULTS.md from bench/results/*.json: for each runtime the newest full run (or, if
 * none, the newest --quick run), the targets, one table per workload, and bench/analysis.md.
 */
import { existsSync, readdirSync, readFileSync, writeFileSync } from "node:fs";
import { WORKLOADS } from "./plan.mjs";
import { evaluateTargets } from "./targets.mjs";

const RUNTIMES = ["node", "bun", "deno"];
const FLOORS = {
  node: { thread: "raw-worker", process: "raw-fork" },
  bun: { thread: "raw-worker", process: "raw-bun-ipc" },
  deno: { thread: "raw-worker", process: "raw-deno-command" },
};

function pickRuns(dir) {
  const files = readdirSync(dir)
    .filter((f) => /^\d{4}-\d\d-\d\d-(node|bun|deno)(-quick)?\.json$/.test(f))
    .map((f) => ({ f, data: JSON.parse(readFileSync(`${dir}${f}`, "utf8")) }));
  const out = {};
  for (const runtime of RUNTIMES) {
    const mine = files.filter((x) => x.data.meta.runtime === runtime);
    const newest = (list) => list.sort((a, b) => b.data.meta.startedAt.localeCompare(a.data.meta.startedAt))[0];
    const chosen = newest(mine.filter((x) => !x.data.meta.quick)) ?? newest(mine);
    if (chosen) out[runtime] = { file: chosen.f, ...chosen.data };
  }
  return out;
}

const fmt = (x, digits = 0) =>
  x === null || x === undefined
    ? "–"
    : x.toLocaleString("en-US", { maximumFractionDigits: digits, minimumFractionDigits: digits });

function metricCell(row) {
  const m = row.metric;
  const digits = m.name === "usPerTask" ? 1 : 0;
  return `${fmt(m.median, digits)} (${fmt(m.min, digits)}–${fmt(m.max, digits)})`;
}

function workloadTable(run, workload) {
  const rows = run.rows.filter((r) => r.workload === workload.id);
  if (rows.length === 0) return "";
  const floors = FLOORS[run.meta.runtime];
  const floorOf = (row) =>
    run.rows.find((r) => r.workload === workload.id && r.subject === floors[row.channel] && r.status === "ok");
  const ideal = run.meta.workers * 1000;
  // [header, cell(row)]; the first two columns are the subject and the headline metric.
  const columns = [
    [
      "÷ floor",
      (row) => {
        const floor = floorOf(row);
        return floor ? `${(row.metric.median / floor.metric.median).toFixed(2)}x` : "–";
      },
    ],
    ...(workload.task === "cpu1ms"
      ? [["of ideal", (row) => `${((row.metric.median / ideal) * 100).toFixed(1)}%`]]
      : []),
    ["p50 µs", (row) => fmt(row.p50Us)],
    ["p99 µs", (row) => fmt(row.p99Us)],
    ["CPU µs/task", (row) => fmt(row.cpuUsPerTask, 1)],
    ["peak RSS host MB", (row) => fmt(row.peakRssMb)],
    ["peak RSS all processes MB", (row) => fmt(row.peakTreeRssMb)],
    ...(workload.id === "echo1" ? [["pool start ms", (row) => fmt(row.startMs)]] : []),
  ];
  const lines = [
    `### ${workload.label}`,
    "",
    `| subject | ${workload.unit}, median (min–max) | ${columns.map((c) => c[0]).join(" | ")} |`,
    `|---|---|${columns.map(() => "---|").join("")}`,
  ];
  for (const row of rows) {
    if (!row.metric) {
      const why = String(row.reason ?? row.status).split("\n")[0];
      const cells = [`${row.status === "skipped" ? "skipped" : "error"}: ${why}`, ...columns.map(() => "")];
      lines.push(`| ${row.label} | ${cells.join(" | ")} |`);
      continue;
    }
    const flag =
      row.status === "error" ? " (some reps failed)" : row.leftoverProcesses > 0 ? " (left processes behind)" : "";
    lines.push(`| ${row.label}${flag} | ${metricCell(row)} | ${columns.map((c) => c[1](row)).join(" | ")} |`);
  }
  const c = rows[0].counts;
  lines.push(
    "",
    `${c.tasks.toLocaleString("en-US")} measured tasks after ${c.warmup.toLocaleString("en-US")} warm-up tasks per run.`,
    "",
  );
  return lines.join("\n");
}

function targetsTable(runtime, run) {
  const targets = evaluateTargets(runtime, run.rows);
  if (targets.length === 0) return "";
  const lines = [
    "| target | required | mpms defaults | best mpms config measured | verdict |",
    "|---|---|---|---|---|",
  ];
  for (const t of targets) {
    const verdict =
      t.met === null
        ? `not measured: ${t.missing ?? "?"}`
        : t.met
          ? `met (${t.margin >= 0 ? "+" : ""}${Math.round(t.margin * 100)}%)`
          : `**missed by ${Math.round(-t.margin * 100)}%**`;
    const best = t.best ? `${t.best.ratio}x (${t.best.label})` : "–";
    lines.push(
      `| ${t.text}${t.info ? " *(info)*" : ""} | ${t.need} vs ${t.reference} | ${t.ratio === null ? "–" : `${t.ratio}x`} | ${best} | ${verdict}${t.context ? ` (${t.context})` : ""} |`,
    );
  }
  return lines.join("\n");
}

function setup(runs) {
  const any = Object.values(runs)[0];
  const m = any.meta.machine;
  const lines = [
    "## Setup",
    "",
    `- Machine: ${m.cpuModel}, ${m.cpus} CPUs, ${m.memGb} GB RAM, ${m.os}. ${m.cpus <= 2 ? "**Only 2 cores**: the host thread and the 2 workers (threads or processes) share them." : ""}`,
    `- Peers: ${Object.entries(any.meta.peers)
      .map(([n, v]) => `${n} ${v}`)
      .join(", ")}. All pools use ${any.meta.workers} workers.`,
    "- Method: each (workload, subject) runs in a fresh process (no JIT or heap state shared between subjects), repetitions",
    "  interleaved across subjects; the table gives the median with min–max. p50/p99 are per-task latencies (submit to settle).",
    "  CPU µs/task = CPU time of the benchmark process (all threads) plus its worker processes during the measured phase,",
    "  divided by the tasks: what a task costs in total, less sensitive to other load on the machine than throughput.",
    "  Peak RSS host = VmHWM of the benchmark process (worker threads included); all processes = host plus its worker",
    "  processes, sampled every 10 ms from outside. ÷ floor = the metric divided by the raw floor of the same channel",
    "  (threads: raw worker_threads; processes: raw fork JSON IPC on Node, raw Bun.spawn ipc on Bun, raw Deno.Command on Deno).",
    "- Node runs mpms from a tsc build in bench/dist (no tsx in the measurement); Bun and Deno run the TypeScript sources.",
    "- The machine is shared with other jobs (load average is recorded per run); treat small differences as noise.",
    "",
    "| runtime | version | run | command | started | load avg start → end | mpms commit |",
    "|---|---|---|---|---|---|---|",
  ];
  for (const runtime of RUNTIMES) {
    const r = runs[runtime];
    if (!r) continue;
    const dirty = r.meta.mpms.uncommittedSourceChanges ? " + uncommitted src" : "";
    lines.push(
      `| ${runtime} | ${String(r.meta.runtimeVersion).split(" ")[0]} | ${r.meta.quick ? "quick, " : ""}${r.meta.reps} rep(s) ([${r.file}](results/${r.file})) | \`${r.meta.command}\` | ${r.meta.startedAt.slice(0, 16).replace("T", " ")} UTC | ${r.meta.loadAverageStart[0]} → ${r.meta.loadAverageEnd[0]} | ${r.meta.mpms.commit}${dirty} |`,
    );
  }
  return lines.join("\n");
}

/** Write RESULTS.md; returns its path. */
export function writeReport(resultsDir, outFile) {
  const runs = pickRuns(resultsDir);
  const parts = [
    "# mpms benchmark results",
    "",
    "Generated by `node bench/run.mjs` from the JSON files in bench/results/ (do not edit by hand; the analysis at the",
    "end is bench/analysis.md). How to run: docs/performance.md.",
    "",
  ];
  if (Object.keys(runs).length === 0) parts.push("No results yet.");
  else {
    parts.push(setup(runs), "");
    for (const runtime of RUNTIMES) {
      const run = runs[runtime];
      if (!run) continue;
      parts.push(
        `## ${runtime} ${String(run.meta.runtimeVersion).split(" ")[0]}${run.meta.quick ? " (quick run: 1 repetition, small counts — indicative only)" : ""}`,
        "",
      );
      const targets = targetsTable(runtime, run);
      if (targets) parts.push("Targets (ratios within this run):", "", targets, "");
      for (const w of WORKLOADS) {
        const table = workloadTable(run, w);
        if (table) parts.push(table);
      }
    }
  }
  const analysis = new URL("../analysis.md", import.meta.url);
  if (existsSync(analysis)) parts.push(readFileSync(analysis, "utf8").trim(), "");
  writeFileSync(outFile, `${parts.join("\n").trim()}\n`);
  return outFile;
}
