/** Peer: workerpool, thread or process workers (`options.workerType`). */
import workerpool from "workerpool";

export async function open({ workers, task, options = {} }) {
  const pool = workerpool.pool(new URL("../tasks/workerpool_worker.mjs", import.meta.url).pathname, {
    minWorkers: workers,
    maxWorkers: workers,
    ...options,
  });
  return {
    run: (input) => pool.exec(task, [input]),
    close: () => pool.terminate(),
  };
}
