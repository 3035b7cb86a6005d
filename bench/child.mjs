/**
 * One measured run in a fresh process: open a subject, warm it up, run one workload, close,
 * and print one line `BENCH_RESULT {json}` on stdout. Started by run.mjs; argv[2] is the spec.
 */

import { makePayload, summarize } from "./lib/bytes.mjs";
import { childrenCpuMs } from "./lib/proc.mjs";
import { procStatusKb } from "./lib/runtime.mjs";
import { bytesWindowed, flood, movedWindowed, sequential, windowed } from "./lib/workloads.mjs";

const spec = JSON.parse(process.argv[2]);
const now = () => performance.now();

function report(result) {
  console.log(`BENCH_RESULT ${JSON.stringify(result)}`);
}

/** CPU time of this process (all its threads) and, separately, of its worker processes. */
function cpuMs() {
  let host = null;
  try {
    const u = process.cpuUsage();
    host = (u.user + u.system) / 1000;
  } catch {
    // not provided by this runtime
  }
  return { host, children: childrenCpuMs(process.pid) };
}

async function main() {
  const counts = spec.counts;
  const t0 = now();
  let subject;
  try {
    const mod = await import(`./subjects/${spec.module}.mjs`);
    subject = await mod.open({ workers: spec.workers, task: spec.task, options: spec.options });
  } catch (err) {
    if (err?.skip) return report({ status: "skipped", reason: err.message });
    throw err;
  }
  const startMs = now() - t0;
  // "bytes" workloads: one payload of spec.bytes.size bytes, made before the clock starts.
  const payload = spec.bytes ? makePayload(spec.bytes.size) : undefined;
  const expected = payload ? summarize(0, payload) : undefined;
  const bytes = (count) => bytesWindowed(subject.run, count, spec.bytes.window, payload, expected);
  // "moved" workloads: a fresh buffer per task allocated inside the measured loop, or the bytes
  // that came back reused (bench/lib/moved.mjs).
  const moved = (count) =>
    movedWindowed(subject.run, count, spec.moved.window, spec.moved.size, spec.moved.reuse === true);
  // Warm-up: same task, same shape; lets threads/processes, JIT and the pool's adaptive settings settle.
  if (spec.workload === "echo1") await sequential(subject.run, counts.warmup);
  else if (spec.bytes) await bytes(counts.warmup);
  else if (spec.moved) await moved(counts.warmup);
  else await windowed(subject.run, counts.warmup, spec.window ?? 64);

  const cpu0 = cpuMs();
  let measured;
  switch (spec.bytes ? "bytes" : spec.moved ? "moved" : spec.workload) {
    case "bytes":
      measured = await bytes(counts.tasks);
      break;
    case "moved":
      measured = await moved(counts.tasks);
      break;
    case "echo1":
      measured = await sequential(subject.run, counts.tasks);
      break;
    case "echo64":
    case "recycle":
      // spec.window: another number in flight (bench/experiments/moved_window.mjs)
      measured = await windowed(subject.run, counts.tasks, spec.window ?? 64);
      break;
    case "flood":
    case "cpu1ms":
    case "recycle-cpu":
      measured = await flood(subject.run, counts.tasks);
      break;
    default:
      throw new Error(`unknown workload ${spec.workload}`);
  }
  const cpu1 = cpuMs();
  const stats = subject.stats?.();
  const c0 = now();
  const closed = await Promise.race([
    Promise.resolve(subject.close()).then(() => true),
    new Promise((r) => setTimeout(() => r(false), 10_000)),
  ]);
  report({
    status: "ok",
    ...measured,
    tasksPerSec: (measured.count / measured.elapsedMs) * 1000,
    usPerTask: (measured.elapsedMs * 1000) / measured.count,
    ...(spec.bytes || spec.moved
      ? { mibPerSec: (measured.count * (spec.bytes ?? spec.moved).size) / 2 ** 20 / (measured.elapsedMs / 1000) }
      : {}),
    startMs,
    closeMs: now() - c0,
    closed,
    hostCpuMs: cpu0.host !== null && cpu1.host !== null ? cpu1.host - cpu0.host : null,
    childrenCpuMs: cpu1.children - cpu0.children,
    peakRssMb: (procStatusKb("self", "VmHWM") ?? 0) / 1024,
    stats,
  });
}

main().then(
  () => process.exit(0),
  (err) => {
    report({ status: "error", reason: String(err?.stack ?? err).slice(0, 2000) });
    process.exit(1);
  },
);
