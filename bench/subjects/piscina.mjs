/** Peer: piscina (worker threads). `options` are Piscina options (e.g. concurrentTasksPerWorker). */
import { Piscina } from "piscina";

export async function open({ workers, task, options = {} }) {
  const pool = new Piscina({
    filename: new URL("../tasks/task.mjs", import.meta.url).href,
    minThreads: workers,
    maxThreads: workers,
    ...options,
  });
  const runOptions = task === "echo" ? undefined : { name: task };
  return {
    run: (input) => pool.run(input, runOptions),
    close: () => pool.destroy(),
  };
}
