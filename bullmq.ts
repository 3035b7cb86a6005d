/**
 * mpms as the per-node executor of a BullMQ queue: a BullMQ `Worker` whose processor runs every
 * job as a task on an mpms `Pool`. Needs the optional peer dependencies `bullmq` and `ioredis`.
 *
 * @example
 * ```ts
 * import { Shutdown } from "mpms";
 * import { createQueueWorker } from "mpms/bullmq";
 *
 * const shutdown = new Shutdown({ timeout: 25_000 });
 * const node = createQueueWorker({
 *   queue: "images",
 *   connection: "redis://127.0.0.1:6379",
 *   poolOptions: { module: new URL("./thumbnail.ts", import.meta.url), workers: 4, taskTimeout: 60_000 },
 *   shutdown,
 * });
 * await node.start();
 * shutdown.listen();
 * ```
 * @module
 */
import "./runtimes/builtin.ts";
import "./runtimes/signals.ts";

export type { QueueJobView, QueueView } from "./src/admin/queues.ts";
export { JOB_FAILURES, type JobFailure, type QueueWorkerStats } from "./src/bullmq/metrics.ts";
export { connectionFromUrl, type QueueWorkerBullOptions, type QueueWorkerOptions } from "./src/bullmq/options.ts";
export { JobCancelledError, JobValueError } from "./src/bullmq/outcome.ts";
export { createQueueWorker, QueueWorker, type QueueWorkerCloseOptions } from "./src/bullmq/queue_worker.ts";
export type { Pool } from "./src/pool/pool.ts";
