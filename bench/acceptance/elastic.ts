/**
 * Acceptance run (issue #15 item 3): an elastic pool from 0 workers, a burst of 10,000 1 ms
 * tasks, then idle. Records that the workers reach maxWorkers and return to minWorkers after
 * idleTimeout, and the burst's throughput against a fixed pool of maxWorkers (target >= 0.9x).
 *
 *   node --import tsx bench/acceptance/elastic.ts [maxWorkers=4] [tasks=10000] [idleTimeout=1000] [ts|js]
 *
 * The task module: `ts` (default) the TypeScript test fixture, which a Node worker loads through
 * tsx (inherited from this script's `--import tsx`; it is most of a spawn's ~0.4 s), `js`
 * bench/tasks/task.mjs with `execArgv: []` on Node, as a user who ships JavaScript runs it (no
 * loader in the workers). The burst pays its spawns, so the module decides the ratio.
 *
 * Prints one JSON line, with the host's load average at the start (the machine may be shared) and
 * when the cold burst's workers became ready (from its first submit).
 */
import { loadavg } from "node:os";
import { Pool } from "../../mod.ts";

const load = loadavg().map((l) => Number(l.toFixed(2)));
const argv = globalThis.process?.argv ?? [];
const maxWorkers = Number(argv[2] ?? 4);
const tasks = Number(argv[3] ?? 10_000);
const idleTimeout = Number(argv[4] ?? 1000);
const runtime = "Deno" in globalThis ? "deno" : "Bun" in globalThis ? "bun" : "node";
const moduleKind = argv[5] === "js" ? "js" : "ts";
const module = new URL(moduleKind === "js" ? "../tasks/task.mjs" : "../../test/fixtures/tasks.ts", import.meta.url);

async function burst(pool: Pool<number, number>): Promise<number> {
  const t0 = performance.now();
  await Promise.all(Array.from({ length: tasks }, () => pool.submit(1, { name: "sleep" })));
  return performance.now() - t0;
}

// The fixed pool: started first, so its start-up is not in the burst.
const loader = moduleKind === "js" && runtime === "node" ? { execArgv: [] } : {};
const fixed = new Pool<number, number>({ module, workers: maxWorkers, queueSize: tasks, ...loader });
await fixed.start();
await burst(fixed); // warm-up
const fixedMs = await burst(fixed);
await fixed.close();

const elastic = new Pool<number, number>({
  module,
  minWorkers: 0,
  maxWorkers,
  idleTimeout,
  queueSize: tasks,
  ...loader,
});
await elastic.start();
let peak = 0;
elastic.addEventListener("scaleup", (e) => {
  peak = Math.max(peak, e.detail.workers);
});
const downAt = new Promise<number>((resolve) =>
  elastic.addEventListener("scaledown", (e) => {
    if (e.detail.workers === 0) resolve(performance.now());
  }),
);
const readyAt: number[] = [];
const onStart = (): void => {
  readyAt.push(performance.now());
};
elastic.addEventListener("workerstart", onStart);
// From 0 workers: the burst pays the spawns (the fixed pool's were paid before its timing).
const coldFrom = performance.now();
const coldMs = await burst(elastic);
elastic.removeEventListener("workerstart", onStart);
const idleFrom = performance.now();
const backToMin = (await downAt) - idleFrom;
// A second burst on the scaled-down pool, after the first: what a recurring burst sees.
const warmMs = await burst(elastic);
const s = elastic.stats();
await elastic.close();

const rate = (ms: number): number => Math.round(tasks / (ms / 1000));
console.log(
  JSON.stringify({
    runtime,
    date: new Date().toISOString(),
    tasks,
    maxWorkers,
    idleTimeout,
    module: moduleKind,
    loadAverage: load,
    peakWorkers: peak,
    reachedMax: peak === maxWorkers,
    backToMinMs: Math.round(backToMin),
    scaleUps: s.scaleUps,
    scaleDowns: s.scaleDowns,
    failed: s.failed,
    fixedTasksPerSec: rate(fixedMs),
    elasticColdTasksPerSec: rate(coldMs),
    elasticRepeatTasksPerSec: rate(warmMs),
    coldRatio: Number((fixedMs / coldMs).toFixed(3)),
    coldReadyMs: readyAt.map((t) => Math.round(t - coldFrom)),
    repeatRatio: Number((fixedMs / warmMs).toFixed(3)),
  }),
);
