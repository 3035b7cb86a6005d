#!/usr/bin/env node
/**
 * Heap bytes each queued task costs in the host, by object type: heap snapshots before and
 * after submitting 100k echo tasks at once (before any settles). Compares a pool with the raw
 * floor, whose queued messages live outside the JS heap (shown as "native").
 *
 *   node bench/experiments/heap_per_task.mjs <subject module: mpms | raw_worker | ...> [optionsJSON]
 *   (MPMS_BENCH_DIST=<dir> measures another mpms build)
 */
import { readFileSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import v8 from "node:v8";

const N = 100_000;
const [module = "mpms", options = "{}"] = process.argv.slice(2);
const { open } = await import(`../subjects/${module}.mjs`);
const subject = await open({ workers: 2, task: "echo", options: JSON.parse(options) });
await Promise.all(Array.from({ length: 1000 }, (_, i) => subject.run({ n: i })));

/** Self size and count per object type ("object:Task", "closure", "number", ...). */
function byType(file) {
  const snap = JSON.parse(readFileSync(file, "utf8"));
  const fields = snap.snapshot.meta.node_fields;
  const types = snap.snapshot.meta.node_types[0];
  const [iType, iName, iSize] = ["type", "name", "self_size"].map((f) => fields.indexOf(f));
  const agg = new Map();
  for (let i = 0; i < snap.nodes.length; i += fields.length) {
    const t = types[snap.nodes[i + iType]];
    const key = t === "object" ? `object:${snap.strings[snap.nodes[i + iName]]}` : t;
    const a = agg.get(key) ?? { count: 0, bytes: 0 };
    a.count++;
    a.bytes += snap.nodes[i + iSize];
    agg.set(key, a);
  }
  rmSync(file);
  return agg;
}

const before = byType(v8.writeHeapSnapshot(`${tmpdir()}/mpms-heap-before.heapsnapshot`));
const pending = new Array(N);
for (let i = 0; i < N; i++) pending[i] = subject.run({ n: i });
const after = byType(v8.writeHeapSnapshot(`${tmpdir()}/mpms-heap-after.heapsnapshot`));
let total = 0;
const rows = [];
for (const [key, a] of after) {
  const b = before.get(key) ?? { count: 0, bytes: 0 };
  const bytes = a.bytes - b.bytes;
  if (bytes > N * 4) rows.push([key, a.count - b.count, bytes]);
}
rows.sort((x, y) => y[2] - x[2]);
console.log(`${module} ${options}: heap growth per queued task`);
for (const [key, count, bytes] of rows) {
  total += bytes;
  console.log(
    `  ${key.padEnd(28)} ${String(Math.round((count / N) * 10) / 10).padStart(4)} per task ${String(Math.round(bytes / N)).padStart(5)} B`,
  );
}
console.log(`  total ${Math.round(total / N)} B per task`);
await Promise.all(pending);
await subject.close();
process.exit(0);
