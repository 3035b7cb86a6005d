// A tour of supervision: recycling after N tasks, per-task timeouts, graceful die, memory limits,
// crash replacement. Run: `deno run -A examples/supervision.ts`, `bun examples/supervision.ts`,
// or `node --import tsx examples/supervision.ts`.
import { Pool, TaskTimeoutError, WorkerCrashedError } from "../mod.ts";

const pool = new Pool<number, unknown>({
  module: new URL("./supervision_task.ts", import.meta.url),
  workers: 2,
  maxTasks: 50, // recycle each worker after 50..55 tasks (failed ones count)
  maxTasksJitter: 5,
  taskTimeout: 200, // abort ctx.signal after 200 ms ...
  killGrace: 100, // ... and kill the worker 100 ms later if the task ignores it
  maxMemoryMb: 256, // retire a worker whose heap (threads) or RSS (processes) goes over
  gracefulDie: { timeout: 1_000, errors: ["WorkerGracefulDie"] },
  heartbeat: { interval: 100, timeout: 2_000 },
});
const retired: Record<string, number> = {};
pool.addEventListener("workerexit", (event) => {
  const { reason } = event.detail;
  retired[reason] = (retired[reason] ?? 0) + 1;
});
await pool.start();

await Promise.all(Array.from({ length: 200 }, (_, i) => pool.submit(i))); // recycling by maxTasks
const slow = await pool.submit(5_000, { name: "ignoresAbort" }).catch((e) => e);
console.log("timeout:", slow instanceof TaskTimeoutError); // true, and the worker was replaced
const die = (await pool.submit(0, { name: "tired" }).catch((e) => e)) as Error;
console.log("graceful die:", die.name); // WorkerGracefulDie: the worker retires after this task
const crash = (await pool.submit(0, { name: "crash" }).catch((e) => e)) as WorkerCrashedError;
console.log("crash:", crash instanceof WorkerCrashedError, crash.exitCode); // true 3

await pool.close();
console.log("retirements:", JSON.stringify(pool.stats().retirements));
