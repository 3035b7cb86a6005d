/**
 * mpms itself. Node loads the tsc output in bench/dist (built by run.mjs, so tsx is not in the
 * measurement); Bun and Deno run the TypeScript sources. `options` are Pool options (adapter, prefetch, maxTasks ...).
 */
import { currentRuntime } from "../lib/runtime.mjs";

// MPMS_BENCH_DIST (run.mjs --dist <dir>): measure another build, e.g. a patched copy, against this one.
const other = globalThis.process?.env?.MPMS_BENCH_DIST;
const entry = other
  ? new URL(`file://${other.replace(/\/?$/, "/")}mod.js`).href
  : currentRuntime() === "node"
    ? "../dist/mod.js"
    : "../../mod.ts";

export async function open({ workers, task, options = {} }) {
  const { Pool, adapterNames } = await import(entry);
  const adapter = options.adapter ?? "thread";
  if (!adapterNames().includes(adapter)) {
    throw Object.assign(new Error(`not available: adapter "${adapter}" is not registered in this build`), {
      skip: true,
    });
  }
  const pool = new Pool({
    module: new URL("../tasks/task.mjs", import.meta.url),
    workers,
    ...options,
  });
  pool.addEventListener("error", (e) => console.error("mpms pool error", e.detail));
  await pool.start();
  const submitOptions = task === "echo" ? undefined : { name: task };
  return {
    run: (input) => pool.submit(input, submitOptions),
    close: () => pool.close({ timeout: 10_000 }),
    stats: () => {
      const s = pool.stats();
      return { workersStarted: s.workersStarted, retirements: s.retirements, completed: s.completed };
    },
  };
}
