#!/usr/bin/env node
/**
 * Spawn cost of an adapter: time from `pool.start()` of a one-worker pool until that worker is
 * ready (the task module loaded), repeated in one host after a warm-up start; prints the median
 * and the range. The module graph of mpms is loaded once, before the first measurement.
 *
 *   deno run -A bench/experiments/spawn_cost.mjs <adapter> [starts=20]
 *   bun bench/experiments/spawn_cost.mjs <adapter> [starts=20]
 */
const args = globalThis.Deno ? globalThis.Deno.args : process.argv.slice(2);
const [adapter = "thread", startsArg = "20"] = args;
const starts = Number(startsArg);
const node = !globalThis.Deno && !globalThis.Bun;
const { Pool } = await import(node ? "../../dist/mod.js" : "../../mod.ts");
const module = new URL("../tasks/task.mjs", import.meta.url);

async function once() {
  const pool = new Pool({ module, adapter, workers: 1 });
  const t0 = performance.now();
  await pool.start();
  const ms = performance.now() - t0;
  await pool.close();
  return ms;
}

await once(); // warm-up: code caches, the first worker's module loads
const times = [];
for (let i = 0; i < starts; i++) times.push(await once());
times.sort((a, b) => a - b);
const median = times[Math.floor(times.length / 2)];
const runtime = globalThis.Deno ? "deno" : globalThis.Bun ? "bun" : "node";
console.log(
  `${runtime} ${adapter}: start ${median.toFixed(1)} ms median of ${starts} (${times[0].toFixed(1)}-${times.at(-1).toFixed(1)})`,
);
