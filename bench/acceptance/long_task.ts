/**
 * Acceptance run (issue #12): with default options, one long synchronous CPU task completes on
 * every adapter the current runtime has. A script, not a test: it takes a minute per adapter.
 *
 *   node --import tsx bench/acceptance/long_task.ts [seconds=60] [adapters=thread,process,...]
 *   bun bench/acceptance/long_task.ts 60
 *   deno run -A bench/acceptance/long_task.ts 60
 *
 * Prints one JSON line per adapter: outcome, elapsed ms, the reasons of worker exits (a "close" at the end is expected).
 */
import { Pool } from "../../mod.ts";

const seconds = Number(globalThis.process?.argv?.[2] ?? 60);
const runtime = "Deno" in globalThis ? "deno" : "Bun" in globalThis ? "bun" : "node";
const native: Record<string, string[]> = {
  node: ["thread", "process"],
  bun: ["thread", "process", "bun", "web"],
  deno: ["thread", "process", "deno", "web"],
};
const wanted = globalThis.process?.argv?.[3]?.split(",") ?? native[runtime];
const module = new URL("./long_task_module.ts", import.meta.url);

for (const adapter of wanted) {
  const pool = new Pool<number, number>({ module, workers: 1, adapter: adapter as "thread" });
  const exits: string[] = [];
  pool.addEventListener("workerexit", (e) => exits.push(e.detail.reason));
  await pool.start();
  const t0 = performance.now();
  let outcome: string;
  try {
    const spun = await pool.submit(seconds * 1000);
    outcome = `ok (spun ${spun} ms)`;
  } catch (error) {
    outcome = `${(error as Error).name}: ${(error as Error).message}`;
  }
  const elapsed = Math.round(performance.now() - t0);
  await pool.close();
  console.log(JSON.stringify({ runtime, adapter, seconds, outcome, elapsedMs: elapsed, workerExits: exits }));
}
