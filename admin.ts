/**
 * Admin endpoint for mpms pools, as a Hono app: liveness and readiness probes, Prometheus
 * metrics, JSON stats, a live dashboard, and token-protected controls (recycle a worker, resize a
 * pool, start the shutdown).
 *
 * @example
 * ```ts
 * import { Pool, Shutdown } from "mpms";
 * import { serveAdmin } from "mpms/admin";
 *
 * const shutdown = new Shutdown();
 * const pool = new Pool({ module: new URL("./task.ts", import.meta.url) });
 * await pool.start();
 * shutdown.add(pool);
 * const admin = await serveAdmin({ pools: { images: pool }, shutdown, token: process.env.MPMS_ADMIN_TOKEN });
 * console.log(`admin on ${admin.url}`); // http://127.0.0.1:9464
 * shutdown.listen();
 * ```
 * @module
 */

export {
  ADMIN_HOSTNAME,
  ADMIN_LIMITS,
  ADMIN_PORT,
  type AdminServer,
  createAdmin,
  type ServeAdminOptions,
  serveAdmin,
} from "./runtimes/admin_server.ts";
export type { AdminApp } from "./src/admin/create.ts";
export type { RecentExit } from "./src/admin/exits.ts";
export type { HistoryPoint } from "./src/admin/history.ts";
export type { LagSnapshot } from "./src/admin/lag.ts";
export type { AdminOptions, AdminPool, MetricSource } from "./src/admin/options.ts";
export { PROMETHEUS_CONTENT_TYPE } from "./src/admin/prometheus.ts";
export type { QueueJobView, QueueSource, QueueView } from "./src/admin/queues.ts";
export type { PoolReadiness, Readiness } from "./src/admin/readiness.ts";
export type { HistoryReport, PoolReport, StatsReport, WorkerRow } from "./src/admin/state.ts";
