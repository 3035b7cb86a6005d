/**
 * The targets of issues 8 and 13 as ratios, each evaluated on the rows of one workload (so of one
 * run: same run, same machine).
 * Each is judged on mpms with default options; the best mpms configuration measured is shown too.
 */
import { WORKERS } from "./plan.mjs";

function rowOf(rows, workload, subject) {
  return rows.find((r) => r.workload === workload && r.subject === subject);
}

function value(row, field = "metric") {
  if (row?.status !== "ok") return null;
  return field === "metric" ? row.metric.median : row[field];
}

function describe(row) {
  if (!row) return "not run";
  if (row.status === "skipped") return row.reason;
  if (row.status !== "ok") return `error: ${String(row.reason).split("\n")[0]}`;
  return null;
}

/**
 * A target: `mine` are the mpms subjects (first = defaults), `against(rows)` gives the reference
 * {value, label}, `field` the row value compared, `op` ">=" (higher is better) or "<=".
 */
const TARGETS = [
  {
    runtime: "node",
    text: "echo, 64 in flight >= 1.3x the fastest peer",
    workload: "echo64",
    mine: ["mpms-thread", "mpms-thread-prefetch"],
    op: ">=",
    need: 1.3,
    against: (rows) => fastestPeer(rows, "echo64"),
  },
  {
    runtime: "node",
    text: "echo, 64 in flight >= 0.6x raw postMessage",
    workload: "echo64",
    mine: ["mpms-thread", "mpms-thread-prefetch"],
    op: ">=",
    need: 0.6,
    against: (rows) => ref(rows, "echo64", "raw-worker"),
  },
  {
    runtime: "node",
    text: "100k at once >= 1.3x the fastest peer",
    workload: "flood",
    mine: ["mpms-thread", "mpms-thread-prefetch"],
    op: ">=",
    need: 1.3,
    against: (rows) => fastestPeer(rows, "flood"),
  },
  {
    runtime: "node",
    text: "100k at once: peak RSS <= 1.2x raw postMessage's",
    workload: "flood",
    field: "peakRssMb",
    mine: ["mpms-thread", "mpms-thread-prefetch"],
    op: "<=",
    need: 1.2,
    against: (rows) => ref(rows, "flood", "raw-worker", "peakRssMb"),
  },
  {
    runtime: "node",
    text: "1 in flight: round trip <= 1.15x raw postMessage",
    workload: "echo1",
    mine: ["mpms-thread", "mpms-thread-prefetch"],
    op: "<=",
    need: 1.15,
    against: (rows) => ref(rows, "echo1", "raw-worker"),
  },
  {
    runtime: "node",
    text: `1 ms CPU tasks >= 0.95 of ideal (${WORKERS} x 1000/s)`,
    workload: "cpu1ms",
    mine: ["mpms-thread", "mpms-thread-prefetch"],
    op: ">=",
    need: 0.95,
    against: () => ({ value: WORKERS * 1000, label: "ideal" }),
    context: (rows) => {
      const raw = value(rowOf(rows, "cpu1ms", "raw-worker"));
      return raw === null ? null : `raw worker_threads reached ${r2(raw / (WORKERS * 1000))} of ideal in this run`;
    },
  },
  {
    runtime: "node",
    text: "recycling every 1000 tasks >= 0.9x without",
    workload: "recycle",
    mine: ["mpms-thread-recycle"],
    op: ">=",
    need: 0.9,
    against: (rows) => ref(rows, "recycle", "mpms-thread"),
  },
  {
    runtime: "node",
    text: "recycling every 1000 tasks >= 0.9x without, 1 ms CPU tasks (not an issue target, shown for reference)",
    workload: "recycle-cpu",
    mine: ["mpms-thread-recycle"],
    op: ">=",
    need: 0.9,
    info: true,
    against: (rows) => ref(rows, "recycle-cpu", "mpms-thread"),
  },
  {
    runtime: "node",
    text: "process adapter >= 0.6x bare fork JSON IPC (echo 64)",
    workload: "echo64",
    mine: ["mpms-process", "mpms-process-prefetch"],
    op: ">=",
    need: 0.6,
    against: (rows) => ref(rows, "echo64", "raw-fork"),
  },
  {
    runtime: "node",
    text: "process adapter >= 2x tinypool child_process (echo 64)",
    workload: "echo64",
    mine: ["mpms-process", "mpms-process-prefetch"],
    op: ">=",
    need: 2,
    against: (rows) => ref(rows, "echo64", "tinypool-process"),
  },
  {
    runtime: "bun",
    text: "Bun: thread adapter >= 0.5x raw worker_threads (echo 64)",
    workload: "echo64",
    mine: ["mpms-thread", "mpms-thread-prefetch"],
    op: ">=",
    need: 0.5,
    against: (rows) => ref(rows, "echo64", "raw-worker"),
  },
  {
    runtime: "bun",
    text: 'Bun: "bun" adapter >= 0.5x raw Bun.spawn ipc (echo 64; not an issue target, shown for reference)',
    workload: "echo64",
    mine: ["mpms-bun"],
    op: ">=",
    need: 0.5,
    info: true,
    against: (rows) => ref(rows, "echo64", "raw-bun-ipc"),
  },
  {
    runtime: "deno",
    text: 'Deno: "deno" adapter >= 0.5x raw Deno.Command NDJSON (echo 64)',
    workload: "echo64",
    mine: ["mpms-deno"],
    op: ">=",
    need: 0.5,
    against: (rows) => ref(rows, "echo64", "raw-deno-command"),
  },
  {
    runtime: "deno",
    text: "Deno: thread adapter >= 0.5x raw worker_threads (echo 64; shown for reference)",
    workload: "echo64",
    mine: ["mpms-thread", "mpms-thread-prefetch"],
    op: ">=",
    need: 0.5,
    info: true,
    against: (rows) => ref(rows, "echo64", "raw-worker"),
  },
  ...bytesTargets(),
  ...movedTargets(),
];

/**
 * Issue 13: with 1 MiB and 16 MiB Uint8Array payloads, every process adapter >= 0.5x the raw
 * floor of its own channel (the same channel carrying the bytes the way mpms does: plan.mjs).
 */
function bytesTargets() {
  const adapters = [
    ["node", "mpms-process", "raw-fork", '"process" adapter', "raw fork JSON IPC"],
    ["bun", "mpms-process", "raw-fork", 'Bun: "process" adapter', "raw fork JSON IPC"],
    ["bun", "mpms-bun", "raw-bun-ipc", 'Bun: "bun" adapter', "raw Bun.spawn ipc"],
    ["deno", "mpms-process", "raw-fork", 'Deno: "process" adapter', "raw fork JSON IPC"],
    ["deno", "mpms-deno", "raw-deno-command", 'Deno: "deno" adapter', "raw Deno.Command NDJSON"],
  ];
  const out = [];
  for (const [workload, size] of [
    ["bytes-1m", "1 MiB"],
    ["bytes-16m", "16 MiB"],
  ]) {
    for (const [runtime, subject, floor, name, floorName] of adapters) {
      out.push({
        runtime,
        text: `${name} >= 0.5x ${floorName} (${size} Uint8Array per task)`,
        workload,
        mine: [subject],
        op: ">=",
        need: 0.5,
        against: (rows) => ref(rows, workload, floor),
      });
    }
  }
  return out;
}

/**
 * Issue 15, item 1: buffers moved (not copied) to the worker and back on threads. Node: mpms >=
 * 0.9x the raw floor and not below piscina (`Piscina.move`) at 16 MiB, >= 1.3x piscina at 64 KiB.
 * Bun and Deno have no piscina: the thread adapter against the raw floor, shown for reference.
 */
function movedTargets() {
  const node = [
    ["moved-16m", "16 MiB", "raw-worker", 0.9, "raw postMessage with a transfer list", false],
    ["moved-16m", "16 MiB", "piscina", 1, "piscina with Piscina.move", false],
    ["moved-64k", "64 KiB", "piscina", 1.3, "piscina with Piscina.move", false],
    ["moved-16m-reuse", "16 MiB (bytes reused)", "raw-worker", 0.9, "raw postMessage with a transfer list", true],
    ["moved-16m-reuse", "16 MiB (bytes reused)", "piscina", 1, "piscina with Piscina.move", true],
  ].map(([workload, size, against, need, name, info]) => ({
    runtime: "node",
    text: `${size} moved both ways >= ${need}x ${name}${info ? " (not an issue target, shown for reference)" : ""}`,
    workload,
    mine: ["mpms-thread"],
    op: ">=",
    need,
    info,
    against: (rows) => ref(rows, workload, against),
  }));
  const elsewhere = [];
  const pairs = [
    ["bun", "Bun: thread adapter", "mpms-thread", "raw-worker", "raw worker_threads"],
    ["bun", "Bun: web adapter", "mpms-web", "raw-web", "raw Web Worker"],
    ["deno", "Deno: web adapter", "mpms-web", "raw-web", "raw Web Worker"],
  ];
  for (const [runtime, name, mine, floor, floorName] of pairs) {
    for (const [workload, size] of [
      ["moved-16m", "16 MiB"],
      ["moved-16m-reuse", "16 MiB (bytes reused)"],
      ["moved-64k", "64 KiB"],
    ]) {
      elsewhere.push({
        runtime,
        text: `${name}, ${size} moved both ways >= 0.9x ${floorName} with a transfer list (shown for reference)`,
        workload,
        mine: [mine],
        op: ">=",
        need: 0.9,
        info: true,
        against: (rows) => ref(rows, workload, floor),
      });
    }
  }
  return [...node, ...elsewhere];
}

function ref(rows, workload, subject, field = "metric") {
  const row = rowOf(rows, workload, subject);
  return { value: value(row, field), label: row?.label ?? subject, missing: describe(row) };
}

function fastestPeer(rows, workload) {
  let best = { value: null, label: "no peer measured", missing: "no peer measured" };
  for (const r of rows) {
    if (r.workload !== workload || r.kind !== "peer" || r.status !== "ok") continue;
    if (best.value === null || r.metric.median > best.value) best = { value: r.metric.median, label: r.label };
  }
  return best;
}

const r2 = (x) => Math.round(x * 100) / 100;

/** Evaluate the targets of `runtime` on `rows`. */
export function evaluateTargets(runtime, rows) {
  const out = [];
  for (const t of TARGETS) {
    if (t.runtime !== runtime) continue;
    const reference = t.against(rows);
    const field = t.field ?? "metric";
    const ratios = t.mine.map((id) => {
      const row = rowOf(rows, t.workload, id);
      const v = value(row, field);
      return {
        subject: id,
        label: row?.label ?? id,
        ratio: v === null || reference.value === null ? null : r2(v / reference.value),
        missing: describe(row),
      };
    });
    const main = ratios[0];
    const met = main.ratio === null ? null : t.op === ">=" ? main.ratio >= t.need : main.ratio <= t.need;
    const measured = ratios.filter((r) => r.ratio !== null);
    const best =
      measured.length === 0
        ? null
        : measured.reduce((a, b) => ((t.op === ">=" ? b.ratio > a.ratio : b.ratio < a.ratio) ? b : a));
    out.push({
      text: t.text,
      info: t.info === true,
      need: `${t.op} ${t.need}`,
      reference: reference.label,
      ratio: main.ratio,
      best: best && best.subject !== main.subject ? { label: best.label, ratio: best.ratio } : null,
      met,
      /** How far from the target, as a fraction of the target (negative: missed). */
      margin: main.ratio === null ? null : r2(t.op === ">=" ? main.ratio / t.need - 1 : t.need / main.ratio - 1),
      missing: main.missing ?? reference.missing ?? null,
      context: t.context?.(rows) ?? null,
    });
  }
  return out;
}
