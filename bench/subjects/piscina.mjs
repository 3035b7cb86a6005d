/**
 * Peer: piscina (worker threads). `options` are Piscina options (e.g. concurrentTasksPerWorker).
 * Task "moved": the input goes with `Piscina.move` and comes back the same way (tasks/moved_piscina.mjs).
 */
import { Piscina } from "piscina";

export async function open({ workers, task, options = {} }) {
  const moved = task === "moved";
  const pool = new Piscina({
    filename: new URL(moved ? "../tasks/moved_piscina.mjs" : "../tasks/task.mjs", import.meta.url).href,
    minThreads: workers,
    maxThreads: workers,
    ...options,
  });
  const runOptions = task === "echo" ? undefined : { name: task };
  return {
    run: moved ? (input) => pool.run(Piscina.move(input), runOptions) : (input) => pool.run(input, runOptions),
    close: () => pool.destroy(),
  };
}
