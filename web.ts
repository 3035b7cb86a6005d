/**
 * mpms/web: the pool for browsers (and any runtime with a global `Worker`), on Web Workers only.
 * Nothing in its import graph imports a `node:` module, so a bundler can build it for a page: the
 * core, the web adapter, the errors and the outcome types. Its `Pool` uses `adapter: "web"`
 * unless told otherwise. Bundle the worker entry too (`mpms/web/entry`, i.e.
 * runtimes/web_entry.ts) as `web_entry.js` beside your bundle, or give its URL with
 * {@link createWebAdapter}.
 *
 * @example
 * ```ts
 * import { Pool } from "mpms/web";
 * const pool = new Pool<number, number>({ module: new URL("./task.js", location.href), workers: 2 });
 * console.log(await pool.submit(21));
 * await pool.close();
 * ```
 * @module
 */

import createWebAdapter from "./runtimes/web.ts";
import { registerAdapter } from "./src/adapter.ts";
import type { PoolOptions } from "./src/options.ts";
import { Pool as CorePool } from "./src/pool.ts";

registerAdapter("web", () => Promise.resolve(createWebAdapter));

export { createWebAdapter, type WebAdapterOptions } from "./runtimes/web.ts";
export type { Adapter, AdapterFactory, AdapterOptions, SpawnRequest, WorkerExit, WorkerHandle } from "./src/adapter.ts";
export { adapterNames, registerAdapter } from "./src/adapter.ts";
export type { FailureKind } from "./src/counters.ts";
export {
  type CrashReason,
  MpmsError,
  PoolClosedError,
  PoolUnavailableError,
  QueueFullError,
  SerializationError,
  TaskError,
  TaskTimeoutError,
  WorkerCrashedError,
  WorkerGracefulDie,
  WorkerRetiredError,
  WorkerStartError,
} from "./src/errors.ts";
export {
  type BackoffDetail,
  type CallbackErrorDetail,
  type ChannelDetail,
  type DrainDetail,
  type FailedDetail,
  PoolEvent,
  type PoolEventDetail,
  type PoolEventListener,
  type PoolEventMap,
  type PoolEventType,
  type RetireReason,
  type WorkerExitDetail,
  type WorkerRetireDetail,
  type WorkerStartDetail,
  type WorkerZombieDetail,
} from "./src/events.ts";
export type { HistogramSnapshot } from "./src/histogram.ts";
export type { PoolOptions } from "./src/options.ts";
export type { ErrorOutcome, OkOutcome, Outcome } from "./src/outcome.ts";
export type { CloseOptions, MapOptions, SubmitOptions } from "./src/pool.ts";
export type { PoolState, PoolStats, WorkerState, WorkerStats } from "./src/stats.ts";
export { type Movable, transfer } from "./src/transfer.ts";
export type { TaskContext, WorkerContext } from "./src/worker/run_worker.ts";

/** The mpms {@link CorePool | Pool}, on Web Workers (`adapter: "web"`) unless `adapter` says otherwise. */
export class Pool<In = unknown, Out = unknown> extends CorePool<In, Out> {
  /** As the core Pool's constructor, with `adapter: "web"` unless `options.adapter` is given. */
  constructor(options: PoolOptions<In, Out>) {
    super(
      options !== null && typeof options === "object" && options.adapter === undefined
        ? { ...options, adapter: "web" }
        : options,
    );
  }
}
