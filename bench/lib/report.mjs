/**
 * bench/RESULTS.md from bench/results/*.json. Each workload section of a runtime comes from one
 * run: the newest run of that runtime that measured the workload (full runs before --quick runs,
 * runs of all subjects before --subjects runs). A run of some workloads only (--workloads) thus
 * replaces those sections and keeps the others; every section names the run it comes from. Then
 * the targets (each within one workload, so within one run) and bench/analysis.md.
 */
import { existsSync, readdirSync, readFileSync, writeFileSync } from "node:fs";
import { SUBJECTS, WORKLOADS } from "./plan.mjs";
import { evaluateTargets } from "./targets.mjs";

const RUNTIMES = ["node", "bun", "deno"];
/** The raw floor of a channel when the subject names none (plan.mjs `floor`). */
const FLOORS = {
  node: { thread: "raw-worker", process: "raw-fork" },
  bun: { thread: "raw-worker", process: "raw-bun-ipc" },
  deno: { thread: "raw-worker", process: "raw-deno-command" },
};

const RESULT_FILE = /^\d{4}-\d\d-\d\d-(node|bun|deno)(-quick)?(-[\w+.-]+)?\.json$/;

/** Lower sorts first: full before quick, all subjects before a subset, then newest first. */
function rank(run) {
  return [run.meta.quick ? 1 : 0, run.meta.picked?.subjects?.length > 0 ? 1 : 0];
}

function better(a, b) {
  const [ra, rb] = [rank(a), rank(b)];
  for (let i = 0; i < ra.length; i++) if (ra[i] !== rb[i]) return ra[i] < rb[i];
  return a.meta.startedAt > b.meta.startedAt;
}

/**
 * Per runtime: `sections` maps a workload id to the run it is shown from, `runs` lists those
 * runs (newest first), `rows` are the rows of each workload from its run.
 */
function pickRuns(dir) {
  const files = readdirSync(dir)
    .filter((f) => RESULT_FILE.test(f))
    .map((f) => ({ file: f, ...JSON.parse(readFileSync(`${dir}${f}`, "utf8")) }));
  const out = {};
  for (const runtime of RUNTIMES) {
    const mine = files.filter((x) => x.meta.runtime === runtime);
    const sections = new Map();
    for (const w of WORKLOADS) {
      let chosen;
      for (const run of mine) {
        if (!run.rows.some((r) => r.workload === w.id)) continue;
        if (chosen === undefined || better(run, chosen)) chosen = run;
      }
      if (chosen) sections.set(w.id, chosen);
    }
    if (sections.size === 0) continue;
    const runs = [...new Set(sections.values())].sort((a, b) => b.meta.startedAt.localeCompare(a.meta.startedAt));
    const rows = [...sections].flatMap(([id, run]) => run.rows.filter((r) => r.workload === id));
    out[runtime] = { sections, runs, rows };
  }
  return out;
}

const fmt = (x, digits = 0) =>
  x === null || x === undefined
    ? "–"
    : x.toLocaleString("en-US", { maximumFractionDigits: digits, minimumFractionDigits: digits });

function metricCell(row) {
  const m = row.metric;
  const digits = m.name === "usPerTask" ? 1 : m.median < 1 ? 3 : m.median < 10 ? 2 : m.median < 100 ? 1 : 0;
  return `${fmt(m.median, digits)} (${fmt(m.min, digits)}–${fmt(m.max, digits)})`;
}

function floorId(runtime, row) {
  return row.floor ?? SUBJECTS.find((x) => x.id === row.subject)?.floor ?? FLOORS[runtime][row.channel];
}

/** Where a section's figures come from: the run's file, command, start, load and commit. */
function runLine(run) {
  const dirty = run.meta.mpms.uncommittedSourceChanges ? " + uncommitted src" : "";
  const quick = run.meta.quick ? " **Quick run: 1 repetition, small counts — indicative only.**" : "";
  return `Run: [${run.file}](results/${run.file}), \`${run.meta.command}\`, ${run.meta.reps} rep(s), started ${run.meta.startedAt.slice(0, 16).replace("T", " ")} UTC, load average ${run.meta.loadAverageStart[0]} → ${run.meta.loadAverageEnd[0]}, ${String(run.meta.runtimeVersion).split(" ")[0]}, mpms ${run.meta.mpms.commit}${dirty}.${quick}`;
}

function bytesNote(runtime, workload) {
  const mib = workload.bytes.size / 2 ** 20;
  const floors = {
    node: "",
    bun: ' and `"bun"` against raw Bun.spawn ipc (`serialization: "json"`)',
    deno: ' and `"deno"` against raw Deno.Command NDJSON on stdin/stdout',
  };
  return [
    `Each task sends the same ${mib} MiB Uint8Array ({ n, bytes }) and gets back { n, length, sum } (checked);`,
    `MiB/s = tasks/s × ${mib}, one way. ÷ floor: threads (thread, web) against raw worker_threads postMessage of the`,
    `Uint8Array (structured clone, copied); \`"process"\` against raw node:child_process fork with JSON IPC${floors[runtime]}.`,
    "The JSON floors send the bytes as base64 in the JSON message and decode them with Buffer in the child: the encoding",
    'mpms\'s wire format 1 uses on those channels (runtimes/wire/). Raw fork with `"advanced"` (structured clone) IPC is',
    "a channel mpms does not use, shown for what it would give.",
  ].join("\n");
}

function movedNote(workload) {
  const size =
    workload.moved.size >= 2 ** 20 ? `${workload.moved.size / 2 ** 20} MiB` : `${workload.moved.size / 2 ** 10} KiB`;
  const source = workload.moved.reuse
    ? `Each task takes the ${size} Uint8Array an earlier task moved back (${workload.moved.window} buffers in all, no allocation), writes the task number into its`
    : `Each task allocates a fresh ${size} Uint8Array in the host (inside the measured loop), writes the task number into its`;
  return [
    source,
    "first and last 4 bytes and moves its buffer to the worker; the worker checks both, writes their complement and moves",
    "the bytes back. The host checks the result and that its own view was detached (moved, not copied). Moved with: mpms",
    "`submit(bytes, { transfer: [bytes.buffer] })` and `return transfer(bytes, [bytes.buffer])`; raw worker_threads",
    "`postMessage(msg, [bytes.buffer])` both ways (÷ floor of thread); raw Web Worker the same (÷ floor of web); piscina",
    "`run(Piscina.move(bytes))` and `return Piscina.move(bytes)`.",
    "MiB/s = tasks/s × the size (bytes moved each way, not copied).",
  ].join("\n");
}

function workloadTable(runtime, run, workload) {
  const rows = run.rows.filter((r) => r.workload === workload.id);
  if (rows.length === 0) return "";
  // In the "moved" workloads the web adapter has a floor of its own: bare Web Workers.
  const floorOf = (row) => {
    const id = workload.moved && row.subject === "mpms-web" ? "raw-web" : floorId(runtime, row);
    return run.rows.find((r) => r.workload === workload.id && r.subject === id && r.status === "ok");
  };
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
    ...(workload.bytes || workload.moved ? [["MiB/s", (row) => fmt(row.mibPerSec, 1)]] : []),
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
    runLine(run),
    "",
    ...(workload.bytes ? [bytesNote(runtime, workload), ""] : []),
    ...(workload.moved ? [movedNote(workload), ""] : []),
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

function targetsTable(runtime, picked) {
  const targets = evaluateTargets(runtime, picked.rows);
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
  const any = Object.values(runs)[0].runs[0];
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
    "  (threads: raw worker_threads; processes: raw fork JSON IPC on Node and for the `process` adapter everywhere, raw",
    "  Bun.spawn ipc for `bun`, raw Deno.Command for `deno`).",
    "- Node runs mpms from a tsc build in bench/dist (no tsx in the measurement); Bun and Deno run the TypeScript sources.",
    "- The machine is shared with other jobs (load average is recorded per run); treat small differences as noise.",
    "- Each workload section comes from the newest run that measured it (a run of some workloads only adds to the others);",
    "  the runs used:",
    "",
    "| runtime | version | run | command | started | load avg start → end | mpms commit | workloads |",
    "|---|---|---|---|---|---|---|---|",
  ];
  for (const runtime of RUNTIMES) {
    const picked = runs[runtime];
    if (!picked) continue;
    for (const r of picked.runs) {
      const dirty = r.meta.mpms.uncommittedSourceChanges ? " + uncommitted src" : "";
      const shown = [...picked.sections].filter(([, run]) => run === r).map(([id]) => id);
      lines.push(
        `| ${runtime} | ${String(r.meta.runtimeVersion).split(" ")[0]} | ${r.meta.quick ? "quick, " : ""}${r.meta.reps} rep(s) ([${r.file}](results/${r.file})) | \`${r.meta.command}\` | ${r.meta.startedAt.slice(0, 16).replace("T", " ")} UTC | ${r.meta.loadAverageStart[0]} → ${r.meta.loadAverageEnd[0]} | ${r.meta.mpms.commit}${dirty} | ${shown.join(", ")} |`,
      );
    }
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
      const picked = runs[runtime];
      if (!picked) continue;
      const versions = [...new Set(picked.runs.map((r) => String(r.meta.runtimeVersion).split(" ")[0]))];
      const allQuick = picked.runs.every((r) => r.meta.quick);
      parts.push(
        `## ${runtime} ${versions.join(" / ")}${allQuick ? " (quick run: 1 repetition, small counts — indicative only)" : ""}`,
        "",
      );
      const targets = targetsTable(runtime, picked);
      if (targets) parts.push("Targets (each ratio within one run):", "", targets, "");
      for (const w of WORKLOADS) {
        const run = picked.sections.get(w.id);
        const table = run ? workloadTable(runtime, run, w) : "";
        if (table) parts.push(table);
      }
    }
  }
  const analysis = new URL("../analysis.md", import.meta.url);
  if (existsSync(analysis)) parts.push(readFileSync(analysis, "utf8").trim(), "");
  writeFileSync(outFile, `${parts.join("\n").trim()}\n`);
  return outFile;
}
