/** Summaries across repetitions: median with min and max, for the headline metric and extras. */

export function median(xs) {
  const s = xs.filter((x) => typeof x === "number" && Number.isFinite(x)).sort((a, b) => a - b);
  if (s.length === 0) return null;
  const mid = s.length >> 1;
  return s.length % 2 ? s[mid] : (s[mid - 1] + s[mid]) / 2;
}

const round = (x, digits = 1) => (x === null ? null : Math.round(x * 10 ** digits) / 10 ** digits);

/** At least 3 significant digits (0.123 tasks/s of the bytes workloads), else 1 decimal. */
const roundMetric = (x) => (x === null || Math.abs(x) >= 100 || x === 0 ? round(x) : Number(x.toPrecision(3)));

/** One row of the results: a (workload, subject) cell over all its repetitions. */
export function summarize(cell, reps) {
  const { workload, subject } = cell;
  const ok = reps.filter((r) => r.status === "ok");
  const base = {
    workload: workload.id,
    subject: subject.id,
    label: subject.label,
    kind: subject.kind,
    channel: subject.channel,
    ...(subject.floor ? { floor: subject.floor } : {}),
    counts: cell.counts,
  };
  if (ok.length === 0) {
    const first = reps.find((r) => r.status === "error") ?? reps[0];
    return { ...base, status: first?.status ?? "error", reason: first?.reason ?? "no runs", reps };
  }
  const values = ok.map((r) => r[workload.metric]);
  const med = median(values);
  const min = Math.min(...values);
  const max = Math.max(...values);
  const failed = reps.find((r) => r.status !== "ok");
  return {
    ...base,
    status: failed ? "error" : "ok",
    reason: failed?.reason,
    metric: {
      name: workload.metric,
      unit: workload.unit,
      better: workload.better,
      median: roundMetric(med),
      min: roundMetric(min),
      max: roundMetric(max),
      /** (max - min) / median, in percent. */
      spreadPct: round(((max - min) / med) * 100),
    },
    ...(workload.bytes ? { bytes: workload.bytes, mibPerSec: roundMetric(median(ok.map((r) => r.mibPerSec))) } : {}),
    ...(workload.moved ? { moved: workload.moved, mibPerSec: roundMetric(median(ok.map((r) => r.mibPerSec))) } : {}),
    p50Us: round(median(ok.map((r) => r.p50Us))),
    p99Us: round(median(ok.map((r) => r.p99Us))),
    peakRssMb: round(median(ok.map((r) => r.peakRssMb))),
    peakTreeRssMb: round(median(ok.map((r) => r.peakTreeRssMb))),
    startMs: round(median(ok.map((r) => r.startMs))),
    /** CPU per task of the whole subject: host process (all threads) plus its worker processes. */
    cpuUsPerTask: round(
      median(ok.map((r) => (r.hostCpuMs === null ? null : ((r.hostCpuMs + (r.childrenCpuMs ?? 0)) * 1000) / r.count))),
      1,
    ),
    leftoverProcesses: Math.max(...reps.map((r) => r.leftoverProcesses ?? 0)),
    load1: round(median(reps.map((r) => r.load1)), 2),
    reps,
  };
}
