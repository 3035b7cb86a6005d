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

export type { ResourceLimits } from "./src/adapter.ts";
export { adapterNames } from "./src/adapter.ts";
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
export type { FailureKind } from "./src/pool/counters.ts";
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
  type ScaleDetail,
  type WorkerExitDetail,
  type WorkerRetireDetail,
  type WorkerStartDetail,
  type WorkerZombieDetail,
} from "./src/pool/events.ts";
export type { PoolOptions } from "./src/pool/options.ts";
export type { ErrorOutcome, OkOutcome, Outcome } from "./src/pool/outcome.ts";
export { type CloseOptions, type MapOptions, Pool, type SubmitOptions } from "./src/pool/pool.ts";
export type { PoolState, PoolStats, WorkerState, WorkerStats } from "./src/pool/stats.ts";
export { type Closable, closableLabel, closeWithin, type DeadlineClosable } from "./src/shutdown/closable.ts";
export {
  EMERGENCY_BUDGET,
  type EmergencyFn,
  type EmergencyOptions,
  type EmergencyReport,
  type EmergencyStatus,
} from "./src/shutdown/emergency.ts";
export type { FatalKind, ShutdownHost } from "./src/shutdown/host.ts";
export {
  DEFAULT_PHASES,
  type ExitCodeOption,
  type HookOptions,
  type PhaseOptions,
  type ShutdownLogger,
  type ShutdownOptions,
  type ShutdownSignalName,
} from "./src/shutdown/options.ts";
export type { HookContext, HookFn } from "./src/shutdown/phase.ts";
export type { FatalReport, HookReport, HookStatus, PhaseReport, ShutdownReport } from "./src/shutdown/report.ts";
export { Shutdown, type ShutdownState } from "./src/shutdown/shutdown.ts";
export { type Movable, transfer } from "./src/transfer.ts";
export type { HistogramSnapshot } from "./src/util/histogram.ts";
export type { TaskContext, WorkerContext } from "./src/worker/run_worker.ts";
