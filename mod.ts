/**
 * mpms: a supervised pool of workers (threads or processes) for Deno, Bun and Node.
 *
 * @example
 * ```ts
 * import { Pool } from "mpms";
 * const pool = new Pool<number, number>({ module: new URL("./task.ts", import.meta.url), workers: 2 });
 * await pool.start();
 * console.log(await pool.submit(21));
 * await pool.close();
 * ```
 * @module
 */
import "./runtimes/builtin.ts";
import "./runtimes/signals.ts";

export type {
  Adapter,
  AdapterFactory,
  AdapterOptions,
  ResourceLimits,
  SpawnRequest,
  WorkerExit,
  WorkerHandle,
} from "./src/adapter.ts";
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
  type ProgressDetail,
  type RetireReason,
  type WorkerExitDetail,
  type WorkerRetireDetail,
  type WorkerStartDetail,
  type WorkerZombieDetail,
} from "./src/events.ts";
export type { HistogramSnapshot } from "./src/histogram.ts";
export type { PoolOptions } from "./src/options.ts";
export type { ErrorOutcome, OkOutcome, Outcome } from "./src/outcome.ts";
export { type CloseOptions, type MapOptions, Pool, type SubmitOptions } from "./src/pool.ts";
export type { FromWorker, ToWorker, WorkerConfig } from "./src/protocol.ts";
export { Shutdown, type ShutdownState } from "./src/shutdown.ts";
export type { Closable } from "./src/shutdown_closable.ts";
export {
  EMERGENCY_BUDGET,
  type EmergencyFn,
  type EmergencyOptions,
  type EmergencyReport,
  type EmergencyStatus,
} from "./src/shutdown_emergency.ts";
export type { FatalKind, ShutdownHost } from "./src/shutdown_host.ts";
export {
  DEFAULT_PHASES,
  type ExitCodeOption,
  type HookOptions,
  type PhaseOptions,
  type ShutdownLogger,
  type ShutdownOptions,
  type ShutdownSignalName,
} from "./src/shutdown_options.ts";
export type { HookContext, HookFn } from "./src/shutdown_phase.ts";
export type { FatalReport, HookReport, HookStatus, PhaseReport, ShutdownReport } from "./src/shutdown_report.ts";
export type { PoolState, PoolStats, WorkerState, WorkerStats } from "./src/stats.ts";
export { type Movable, transfer } from "./src/transfer.ts";
export type { TaskContext, WorkerContext, WorkerEndpoint } from "./src/worker/run_worker.ts";
export { runWorker } from "./src/worker/run_worker.ts";
