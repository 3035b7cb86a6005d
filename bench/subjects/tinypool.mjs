/** Peer: tinypool, worker_threads or child_process runtime (`options.runtime`). */
import { Tinypool } from "tinypool";

export async function open({ workers, task, options = {} }) {
  const pool = new Tinypool({
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
