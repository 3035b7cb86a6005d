/**
 * Soak: a steady load on a pool that recycles its workers all the time, reporting host memory
 * and handle counts over time. Verdict: host RSS after 1,000 worker recycles must be within 10%
 * of its value after the first 100.
 *
 *   npm run soak -- --minutes 3                        (Node, through tsx, with --expose-gc)
 *   bun test/soak/soak.ts --minutes 3
 *   deno run -A --v8-flags=--expose-gc test/soak/soak.ts --minutes 3
 *
 * Flags: --minutes N (2), --adapter NAME (thread), --workers N (4), --max-tasks N (5: a
 * recycle every 5 tasks per worker), --window N (tasks in flight, 64), --every S (report
 * period, 10), --recycles N (the late mark, 1000), --early N (the early mark, 100).
 * Exit code: 0 PASS, 1 FAIL (or too few recycles to judge).
 */
import { Pool } from "../../mod.ts";

interface Flags {
  minutes: number;
  adapter: string;
  workers: number;
  maxTasks: number;
  window: number;
  every: number;
  recycles: number;
  early: number;
}

function parseFlags(argv: string[]): Flags {
  const flags: Flags = {
    minutes: 2,
    adapter: "thread",
    workers: 4,
    maxTasks: 5,
    window: 64,
    every: 10,
    recycles: 1_000,
    early: 100,
  };
  const names: Record<string, keyof Flags> = {
    "--minutes": "minutes",
    "--adapter": "adapter",
    "--workers": "workers",
    "--max-tasks": "maxTasks",
    "--window": "window",
    "--every": "every",
    "--recycles": "recycles",
    "--early": "early",
  };
  for (let i = 0; i < argv.length; i++) {
    const [flag, inline] = (argv[i] as string).split("=", 2) as [string, string | undefined];
    const key = names[flag];
    if (!key) throw new RangeError(`soak: unknown flag ${flag}`);
    const raw = inline ?? argv[++i];
    if (raw === undefined) throw new RangeError(`soak: ${flag} needs a value`);
    if (key === "adapter") flags.adapter = raw;
    else {
      const n = Number(raw);
      if (!(n > 0)) throw new RangeError(`soak: ${flag} must be a number > 0, got ${raw}`);
      flags[key] = n;
    }
  }
  return flags;
}

function args(): string[] {
  const deno = (globalThis as { Deno?: { args: string[] } }).Deno;
  return deno ? deno.args : process.argv.slice(2);
}

/** Collect garbage if the runtime lets us, so RSS figures are less noisy. */
function gc(): void {
  const g = globalThis as { gc?: () => void; Bun?: { gc(force: boolean): void } };
  if (g.Bun) g.Bun.gc(true);
  else g.gc?.();
}

const mb = (bytes: number): string => (bytes / 1024 / 1024).toFixed(1);

/** Active handles by kind, e.g. "MessagePort:4 Timeout:6" (where the runtime tells). */
function handles(): string {
  const info = (process as { getActiveResourcesInfo?: () => string[] }).getActiveResourcesInfo;
  if (typeof info !== "function") return "n/a";
  const counts = new Map<string, number>();
  for (const kind of info.call(process)) counts.set(kind, (counts.get(kind) ?? 0) + 1);
  return [...counts].map(([k, n]) => `${k}:${n}`).join(" ") || "none";
}

/**
 * Host RSS at a mark: the median of 5 samples 150 ms apart, each after a GC. Worker threads
 * come and go all the time, so one sample can be 10% off either way.
 */
async function sampleRss(): Promise<number> {
  const samples: number[] = [];
  for (let i = 0; i < 5; i++) {
    gc();
    await new Promise((r) => setTimeout(r, 150));
    samples.push(process.memoryUsage().rss);
  }
  samples.sort((a, b) => a - b);
  return samples[2] as number;
}

async function main(): Promise<number> {
  const flags = parseFlags(args());
  const runtime =
    (globalThis as { Deno?: unknown }).Deno !== undefined
      ? "deno"
      : (globalThis as { Bun?: unknown }).Bun !== undefined
        ? "bun"
        : "node";
  const module = new URL("../fixtures/echo.js", import.meta.url);
  const pool = new Pool<number, { echoed: number }>({
    module,
    adapter: flags.adapter,
    workers: flags.workers,
    maxTasks: flags.maxTasks,
    maxRecycling: flags.workers,
    queueSize: flags.window * 2,
  });
  const started = performance.now();
  await pool.start();
  const initial = pool.stats().workersStarted;
  const recycles = (): number => pool.stats().workersStarted - initial;
  const gcNote = (globalThis as { gc?: unknown }).gc || runtime === "bun" ? "gc before samples" : "no gc access";
  console.log(
    `soak: ${runtime} ${flags.adapter} adapter, ${flags.workers} workers, maxTasks ${flags.maxTasks}, ` +
      `${flags.window} in flight, ${flags.minutes} min (${gcNote})`,
  );
  console.log(`start: rss ${mb(await sampleRss())} MB, handles ${handles()}`);

  const deadline = started + flags.minutes * 60_000;
  let done = 0;
  let failed = 0;
  let next = 0;
  let earlyRss: number | undefined;
  let lateRss: number | undefined;
  let earlyAt = 0;
  let lateAt = 0;
  let sampling = false;
  const marks = async (): Promise<void> => {
    if (sampling) return;
    sampling = true;
    const r = recycles();
    if (earlyRss === undefined && r >= flags.early) {
      earlyAt = r;
      earlyRss = await sampleRss();
      console.log(`mark: ${r} recycles, rss ${mb(earlyRss)} MB (median of 5)`);
    } else if (lateRss === undefined && r >= flags.recycles) {
      lateAt = r;
      lateRss = await sampleRss();
      console.log(`mark: ${r} recycles, rss ${mb(lateRss)} MB (median of 5)`);
    }
    sampling = false;
  };
  pool.addEventListener("workerstart", () => void marks());
  let lastReport = performance.now();
  let lastDone = 0;
  const report = (): void => {
    const now = performance.now();
    const s = pool.stats();
    const rate = ((done - lastDone) * 1000) / (now - lastReport);
    lastReport = now;
    lastDone = done;
    const m = process.memoryUsage();
    console.log(
      `${((now - started) / 1000).toFixed(0).padStart(5)} s  tasks ${String(done).padStart(8)} (${rate.toFixed(0)}/s)  ` +
        `recycles ${String(recycles()).padStart(6)}  rss ${mb(m.rss)} MB  heap ${mb(m.heapUsed)} MB  ` +
        `workers ${s.workers.length}  handles ${handles()}`,
    );
  };
  const timer = setInterval(report, flags.every * 1000);

  // Keep `window` tasks in flight until the time is up.
  await new Promise<void>((resolve) => {
    let inFlight = 0;
    const pump = (): void => {
      while (inFlight < flags.window && performance.now() < deadline) {
        inFlight++;
        const n = next++;
        pool
          .submit(n)
          .then(
            (v) => {
              if (v.echoed !== n) failed++;
            },
            () => void failed++,
          )
          .finally(() => {
            inFlight--;
            done++;
            if (performance.now() < deadline) pump();
            else if (inFlight === 0) resolve();
          });
      }
    };
    pump();
  });
  clearInterval(timer);
  report();
  await marks();
  const total = recycles();
  await pool.close();
  console.log(`closed: rss ${mb(await sampleRss())} MB, handles ${handles()}, failed tasks ${failed}`);
  await new Promise((r) => setTimeout(r, 3_000));
  console.log(`3 s after close: rss ${mb(process.memoryUsage().rss)} MB, handles ${handles()}`);

  if (earlyRss === undefined || lateRss === undefined) {
    console.log(
      `FAIL: only ${total} recycles in ${flags.minutes} min; need ${flags.recycles} (raise --minutes or lower --max-tasks)`,
    );
    return 1;
  }
  const change = (lateRss - earlyRss) / earlyRss;
  const verdict = Math.abs(change) <= 0.1 && failed === 0 ? "PASS" : "FAIL";
  console.log(
    `${verdict}: host RSS ${mb(earlyRss)} MB after ${earlyAt} recycles, ${mb(lateRss)} MB after ${lateAt} ` +
      `(${change >= 0 ? "+" : ""}${(change * 100).toFixed(1)}%, limit ±10%); ${total} recycles, ${done} tasks, ${failed} failed`,
  );
  return verdict === "PASS" ? 0 : 1;
}

const code = await main();
if ((globalThis as { Deno?: unknown }).Deno !== undefined) {
  (globalThis as unknown as { Deno: { exit(c: number): never } }).Deno.exit(code);
} else process.exit(code);
