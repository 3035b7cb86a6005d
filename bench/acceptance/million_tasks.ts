/**
 * Acceptance run (issue #12): 1M echo tasks with `taskTimeout: 600_000` at full speed; the host's
 * RSS must stay flat (settled tasks leave the deadline index at once, not when their timeout
 * would have fired). Keeps `inFlight` tasks outstanding and prints RSS every 100k settled tasks.
 *
 *   node --import tsx bench/acceptance/million_tasks.ts [tasks=1000000] [inFlight=256] [adapter=thread]
 */
import { Pool } from "../../mod.ts";

const argv = globalThis.process?.argv ?? [];
const total = Number(argv[2] ?? 1_000_000);
const inFlight = Number(argv[3] ?? 256);
const adapter = (argv[4] ?? "thread") as "thread";
const module = new URL("../../test/fixtures/tasks.ts", import.meta.url);
const mb = (n: number) => Math.round((n / 2 ** 20) * 10) / 10;
const gc = (globalThis as { gc?: () => void }).gc;

const pool = new Pool<number, number>({ module, workers: 2, adapter, taskTimeout: 600_000 });
await pool.start();
const t0 = performance.now();
let submitted = 0;
let settled = 0;
const samples: { settled: number; rssMb: number; heapMb: number }[] = [];
await new Promise<void>((resolve, reject) => {
  const next = (): void => {
    while (submitted < total && submitted - settled < inFlight) {
      submitted++;
      pool.submit(submitted).then(done, reject);
    }
  };
  const done = (): void => {
    settled++;
    if (settled % 100_000 === 0) {
      gc?.();
      const m = process.memoryUsage();
      samples.push({ settled, rssMb: mb(m.rss), heapMb: mb(m.heapUsed) });
      console.log(JSON.stringify(samples.at(-1)));
    }
    if (settled === total) resolve();
    else next();
  };
  next();
});
const seconds = (performance.now() - t0) / 1000;
await pool.close();
const rss = samples.map((s) => s.rssMb);
console.log(
  JSON.stringify({
    tasks: total,
    inFlight,
    adapter,
    seconds: Math.round(seconds * 10) / 10,
    tasksPerSecond: Math.round(total / seconds),
    rssMbFirstSample: rss[0],
    rssMbLast: rss.at(-1),
    rssMbMax: Math.max(...rss),
    gcBeforeSamples: gc !== undefined,
  }),
);
