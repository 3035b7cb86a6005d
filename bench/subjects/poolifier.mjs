/** Peer: poolifier FixedThreadPool (its default: no task queue, tasks go straight to workers). */
import { FixedThreadPool, PoolEvents } from "poolifier";

export async function open({ workers, task, options = {} }) {
  const pool = new FixedThreadPool(workers, new URL("../tasks/poolifier_worker.mjs", import.meta.url).pathname, {
    errorHandler: (e) => console.error("poolifier worker error", e),
    ...options,
  });
  if (!pool.info.ready) await new Promise((resolve) => pool.emitter.once(PoolEvents.ready, resolve));
  return {
    run: (input) => pool.execute(input, task),
    close: () => pool.destroy(),
  };
}
