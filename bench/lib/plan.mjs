/**
 * What runs: the subjects of each runtime, the workloads, and their task counts (full and
 * --quick). A subject is a module in bench/subjects plus the options it is opened with.
 */

/**
 * kind: "floor" (bare channel), "mpms", "peer". channel: "thread" | "process". floor: the raw
 * subject of the same channel, where it is not the runtime's default for `channel` (report.mjs).
 */
export const SUBJECTS = [
  { id: "raw-worker", label: "raw worker_threads postMessage", module: "raw_worker", kind: "floor", channel: "thread" },
  {
    id: "raw-web",
    label: "raw Web Worker postMessage (moved workloads; floor of the web adapter)",
    module: "raw_web",
    kind: "floor",
    channel: "thread",
    floor: "raw-web",
  },
  {
    id: "raw-fork",
    label: "raw fork, JSON IPC",
    module: "raw_fork",
    kind: "floor",
    channel: "process",
    floor: "raw-fork",
  },
  {
    id: "raw-fork-advanced",
    label: 'raw fork, "advanced" (structured clone) IPC — a channel mpms does not use, for reference',
    module: "raw_fork",
    options: { serialization: "advanced" },
    kind: "floor",
    channel: "process",
    floor: "raw-fork",
  },
  { id: "raw-ndjson", label: "raw NDJSON over stdio", module: "raw_ndjson", kind: "floor", channel: "process" },
  { id: "raw-bun-ipc", label: "raw Bun.spawn ipc (json)", module: "raw_bun_ipc", kind: "floor", channel: "process" },
  {
    id: "raw-deno-command",
    label: "raw Deno.Command NDJSON",
    module: "raw_deno_command",
    kind: "floor",
    channel: "process",
  },
  { id: "mpms-thread", label: "mpms thread (defaults)", module: "mpms", kind: "mpms", channel: "thread" },
  {
    id: "mpms-thread-prefetch",
    label: "mpms thread, prefetch 32",
    module: "mpms",
    options: { prefetch: 32 },
    kind: "mpms",
    channel: "thread",
  },
  {
    id: "mpms-thread-recycle",
    label: "mpms thread, maxTasks 1000",
    module: "mpms",
    options: { maxTasks: 1000 },
    kind: "mpms",
    channel: "thread",
  },
  {
    id: "mpms-web",
    label: 'mpms "web" (Web Worker, MessageChannel port)',
    module: "mpms",
    options: { adapter: "web" },
    kind: "mpms",
    channel: "thread",
  },
  {
    id: "mpms-process",
    label: 'mpms "process" (defaults)',
    module: "mpms",
    options: { adapter: "process" },
    kind: "mpms",
    channel: "process",
    floor: "raw-fork",
  },
  {
    id: "mpms-process-prefetch",
    label: 'mpms "process", prefetch 32',
    module: "mpms",
    options: { adapter: "process", prefetch: 32 },
    kind: "mpms",
    channel: "process",
    floor: "raw-fork",
  },
  {
    id: "mpms-bun",
    label: 'mpms "bun" (Bun.spawn ipc)',
    module: "mpms",
    options: { adapter: "bun" },
    kind: "mpms",
    channel: "process",
    floor: "raw-bun-ipc",
  },
  {
    id: "mpms-deno",
    label: 'mpms "deno" (Deno.Command NDJSON)',
    module: "mpms",
    options: { adapter: "deno" },
    kind: "mpms",
    channel: "process",
    floor: "raw-deno-command",
  },
  { id: "piscina", label: "piscina (defaults)", module: "piscina", kind: "peer", channel: "thread" },
  {
    id: "piscina-16",
    label: "piscina, concurrentTasksPerWorker 16",
    module: "piscina",
    options: { concurrentTasksPerWorker: 16 },
    kind: "peer",
    channel: "thread",
  },
  { id: "tinypool", label: "tinypool (threads)", module: "tinypool", kind: "peer", channel: "thread" },
  {
    id: "tinypool-process",
    label: "tinypool child_process",
    module: "tinypool",
    options: { runtime: "child_process" },
    kind: "peer",
    channel: "process",
  },
  {
    id: "workerpool",
    label: "workerpool (thread)",
    module: "workerpool",
    options: { workerType: "thread" },
    kind: "peer",
    channel: "thread",
  },
  {
    id: "workerpool-process",
    label: "workerpool (process)",
    module: "workerpool",
    options: { workerType: "process" },
    kind: "peer",
    channel: "process",
  },
  { id: "poolifier", label: "poolifier FixedThreadPool", module: "poolifier", kind: "peer", channel: "thread" },
];

/** Subjects of workloads 1-4 per runtime (workload "recycle" has its own pair). */
const BY_RUNTIME = {
  node: [
    "raw-worker",
    "raw-fork",
    "raw-ndjson",
    "mpms-thread",
    "mpms-thread-prefetch",
    "mpms-process",
    "mpms-process-prefetch",
    "piscina",
    "piscina-16",
    "tinypool",
    "tinypool-process",
    "workerpool",
    "workerpool-process",
    "poolifier",
  ],
  bun: ["raw-worker", "mpms-thread", "mpms-thread-prefetch", "mpms-web", "raw-bun-ipc", "mpms-bun"],
  deno: ["raw-worker", "mpms-thread", "mpms-thread-prefetch", "mpms-web", "raw-deno-command", "mpms-deno"],
};

/**
 * Subjects of the "bytes" workloads: every mpms adapter of the runtime and the raw floor of its
 * channel. The JSON floors send the bytes as base64, as mpms's wire format 1 does.
 */
const BYTES_SUBJECTS = {
  node: ["raw-worker", "mpms-thread", "raw-fork", "mpms-process", "raw-fork-advanced"],
  bun: ["raw-worker", "mpms-thread", "mpms-web", "raw-fork", "mpms-process", "raw-bun-ipc", "mpms-bun"],
  deno: ["raw-worker", "mpms-thread", "mpms-web", "raw-fork", "mpms-process", "raw-deno-command", "mpms-deno"],
};

/** Tasks in flight in the "bytes" workloads: 2 per worker (64 x 16 MiB would be a memory test). */
const BYTES_WINDOW = 4;

/**
 * Subjects of the "moved" workloads (issue 15): buffers moved both ways on threads. Node: mpms,
 * the raw floor (postMessage with a transfer list) and piscina (`Piscina.move`); Bun: mpms
 * (thread and web adapters, both move) and the raw floors of both (node:worker_threads, Web
 * Worker). Deno: web only: its node:worker_threads carries a moved buffer at the cost of a copy
 * done slowly (about 7 ms per 64 KiB round trip and 4 s per 16 MiB, moved or not, bench/analysis.md),
 * so the thread cells would take hours.
 */
const MOVED_SUBJECTS = {
  node: ["raw-worker", "mpms-thread", "piscina"],
  bun: ["raw-worker", "mpms-thread", "raw-web", "mpms-web"],
  deno: ["raw-web", "mpms-web"],
};

/** Tasks in flight in "moved-64k": as in echo 64, where per-task overhead shows. */
const MOVED_SMALL_WINDOW = 64;

/**
 * metric: the headline number; "lower" = lower is better. subjects: a list, or one per runtime
 * (default: BY_RUNTIME). bytes: { size, window } of a "bytes" workload (bench/lib/bytes.mjs);
 * moved: { size, window } of a "moved" workload (bench/lib/moved.mjs).
 */
export const WORKLOADS = [
  {
    id: "echo1",
    label: "1. echo, 1 in flight",
    task: "echo",
    metric: "usPerTask",
    unit: "µs/round trip",
    better: "lower",
  },
  {
    id: "echo64",
    label: "2. echo, 64 in flight",
    task: "echo",
    metric: "tasksPerSec",
    unit: "tasks/s",
    better: "higher",
  },
  {
    id: "flood",
    label: "3. 100k submitted at once",
    task: "echo",
    metric: "tasksPerSec",
    unit: "tasks/s",
    better: "higher",
  },
  {
    id: "cpu1ms",
    label: "4. 1 ms CPU tasks",
    task: "cpu1ms",
    metric: "tasksPerSec",
    unit: "tasks/s",
    better: "higher",
  },
  {
    id: "recycle",
    label: "5. echo 64 in flight, recycling every 1000 tasks",
    task: "echo",
    metric: "tasksPerSec",
    unit: "tasks/s",
    better: "higher",
    subjects: ["mpms-thread", "mpms-thread-recycle"],
  },
  {
    id: "recycle-cpu",
    label: "5b. 1 ms CPU tasks, recycling every 1000 tasks",
    task: "cpu1ms",
    metric: "tasksPerSec",
    unit: "tasks/s",
    better: "higher",
    subjects: ["mpms-thread", "mpms-thread-recycle"],
  },
  {
    id: "bytes-1m",
    label: `6. 1 MiB Uint8Array per task, ${BYTES_WINDOW} in flight, small reply`,
    task: "bytes",
    bytes: { size: 2 ** 20, window: BYTES_WINDOW },
    metric: "tasksPerSec",
    unit: "tasks/s",
    better: "higher",
    subjects: BYTES_SUBJECTS,
  },
  {
    id: "bytes-16m",
    label: `7. 16 MiB Uint8Array per task, ${BYTES_WINDOW} in flight, small reply`,
    task: "bytes",
    bytes: { size: 16 * 2 ** 20, window: BYTES_WINDOW },
    metric: "tasksPerSec",
    unit: "tasks/s",
    better: "higher",
    subjects: BYTES_SUBJECTS,
  },
  {
    id: "moved-16m",
    label: `8. 16 MiB ArrayBuffer per task moved to the worker and back, ${BYTES_WINDOW} in flight`,
    task: "moved",
    moved: { size: 16 * 2 ** 20, window: BYTES_WINDOW },
    metric: "tasksPerSec",
    unit: "tasks/s",
    better: "higher",
    subjects: MOVED_SUBJECTS,
  },
  {
    id: "moved-16m-reuse",
    label: `8b. 16 MiB moved to the worker and back, ${BYTES_WINDOW} in flight, the bytes that came back reused (no allocation)`,
    task: "moved",
    moved: { size: 16 * 2 ** 20, window: BYTES_WINDOW, reuse: true },
    metric: "tasksPerSec",
    unit: "tasks/s",
    better: "higher",
    subjects: MOVED_SUBJECTS,
  },
  {
    id: "moved-64k",
    label: `9. 64 KiB ArrayBuffer per task moved to the worker and back, ${MOVED_SMALL_WINDOW} in flight`,
    task: "moved",
    moved: { size: 64 * 2 ** 10, window: MOVED_SMALL_WINDOW },
    metric: "tasksPerSec",
    unit: "tasks/s",
    better: "higher",
    subjects: MOVED_SUBJECTS,
  },
];

const COUNTS = {
  full: {
    echo1: { warmup: 2_000, tasks: 20_000 },
    echo64: { warmup: 5_000, tasks: 50_000 },
    flood: { warmup: 2_000, tasks: 100_000 },
    cpu1ms: { warmup: 200, tasks: 4_000 },
    recycle: { warmup: 5_000, tasks: 50_000 },
    "recycle-cpu": { warmup: 200, tasks: 8_000 },
    "bytes-1m": { warmup: 10, tasks: 150 },
    "bytes-16m": { warmup: 2, tasks: 16 },
    "moved-16m": { warmup: 50, tasks: 1_000 },
    "moved-16m-reuse": { warmup: 500, tasks: 10_000 },
    "moved-64k": { warmup: 2_000, tasks: 40_000 },
  },
  quick: {
    echo1: { warmup: 200, tasks: 1_000 },
    echo64: { warmup: 500, tasks: 5_000 },
    flood: { warmup: 200, tasks: 10_000 },
    cpu1ms: { warmup: 50, tasks: 200 },
    recycle: { warmup: 500, tasks: 5_000 },
    // no "recycle-cpu": the same code path as "recycle", and seconds long at any count that recycles
    "bytes-1m": { warmup: 4, tasks: 20 },
    // no "bytes-16m": the same code path as "bytes-1m" with 16x the bytes
    "moved-64k": { warmup: 200, tasks: 2_000 },
    // no "moved-16m", "moved-16m-reuse": the same code path as "moved-64k", with bigger buffers
  },
};

export const WORKERS = 2;

export function subjectById(id) {
  const s = SUBJECTS.find((x) => x.id === id);
  if (!s) throw new Error(`unknown subject ${id}`);
  return s;
}

/** The (workload, subject) cells of one runtime; `pick.workloads` / `pick.subjects`: exact ids (empty: all). */
export function cells(runtime, quick, pick) {
  const out = [];
  const recycleOn = runtime === "node";
  for (const w of WORKLOADS) {
    if (w.id.startsWith("recycle") && !recycleOn) continue;
    const counts = COUNTS[quick ? "quick" : "full"][w.id];
    if (!counts) continue;
    const subjects = Array.isArray(w.subjects) ? w.subjects : (w.subjects?.[runtime] ?? BY_RUNTIME[runtime]);
    for (const sid of subjects) {
      if (pick.workloads.length > 0 && !pick.workloads.includes(w.id)) continue;
      if (pick.subjects.length > 0 && !pick.subjects.includes(sid)) continue;
      out.push({ workload: w, subject: subjectById(sid), counts });
    }
  }
  return out;
}
