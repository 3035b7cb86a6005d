/**
 * mpms itself. Node loads the tsc output in bench/dist (built by run.mjs, so tsx is not in the
 * measurement); Bun and Deno run the TypeScript sources (bench/lib/mpms_entry.mjs). `options` are
 * Pool options (adapter, prefetch, maxTasks ...). Task "moved": the input's buffer is moved with
 * `transfer` and the task module moves the result back (tasks/moved_mpms.mjs).
 */
import { MPMS_ENTRY } from "../lib/mpms_entry.mjs";

export async function open({ workers, task, options = {} }) {
  const { Pool, adapterNames } = await import(MPMS_ENTRY);
  const adapter = options.adapter ?? "thread";
  if (!adapterNames().includes(adapter)) {
    throw Object.assign(new Error(`not available: adapter "${adapter}" is not registered in this build`), {
      skip: true,
    });
  }
  const moved = task === "moved";
  const pool = new Pool({
    module: new URL(moved ? "../tasks/moved_mpms.mjs" : "../tasks/task.mjs", import.meta.url),
    workers,
    ...options,
  });
  pool.addEventListener("error", (e) => console.error("mpms pool error", e.detail));
  await pool.start();
  const submitOptions = task === "echo" ? undefined : { name: task };
  return {
    run: moved
      ? (input) => pool.submit(input, { name: task, transfer: [input.buffer] })
      : (input) => pool.submit(input, submitOptions),
    close: () => pool.close({ timeout: 10_000 }),
    stats: () => {
      const s = pool.stats();
      return { workersStarted: s.workersStarted, retirements: s.retirements, completed: s.completed };
    },
  };
}
