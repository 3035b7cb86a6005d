#!/usr/bin/env node
/**
 * Spawn cost of an adapter: time from `pool.start()` of a one-worker pool until that worker is
 * ready (the task module loaded), repeated in one host after a warm-up start; prints the median
 * and the range. The module graph of mpms is loaded once, before the first measurement.
 * Also the CPU one start-and-close cycle costs (process.cpuUsage(): all threads of the host; a
 * process adapter's child CPU is not included), the figure the recycling targets compare with.
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

const cpuMs = () => {
  const u = process.cpuUsage();
  return (u.user + u.system) / 1000;
};

async function once() {
  const pool = new Pool({ module, adapter, workers: 1 });
  const c0 = cpuMs();
  const t0 = performance.now();
  await pool.start();
  const ms = performance.now() - t0;
  await pool.close();
  return { ms, cpu: cpuMs() - c0 };
}

await once(); // warm-up: code caches, the first worker's module loads
const runs = [];
for (let i = 0; i < starts; i++) runs.push(await once());
const times = runs.map((r) => r.ms).sort((a, b) => a - b);
const cpus = runs.map((r) => r.cpu).sort((a, b) => a - b);
const median = times[Math.floor(times.length / 2)];
const cpuMedian = cpus[Math.floor(cpus.length / 2)];
const runtime = globalThis.Deno ? "deno" : globalThis.Bun ? "bun" : "node";
console.log(
  `${runtime} ${adapter}: start ${median.toFixed(1)} ms median of ${starts} (${times[0].toFixed(1)}-${times.at(-1).toFixed(1)}), host CPU per start+close ${cpuMedian.toFixed(1)} ms median (${cpus[0].toFixed(1)}-${cpus.at(-1).toFixed(1)})`,
);
