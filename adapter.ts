/**
 * `mpms/adapter`: what an adapter author needs to run mpms workers on another channel: the
 * adapter seam (`Adapter`, `WorkerHandle`, `SpawnRequest`, `WorkerExit`), its registry, the
 * protocol messages and the worker side (`runWorker` over a `WorkerEndpoint`). Applications use
 * `mpms` and pick an adapter by name.
 *
 * @example
 * ```ts
 * import { adapterNames } from "mpms/adapter";
 * console.log(adapterNames()); // ["thread", "process", ...]
 * ```
 * @module
 */
import "./runtimes/builtin.ts";

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
export type { FromWorker, ToWorker, WorkerConfig } from "./src/protocol.ts";
export type { TaskContext, WorkerContext, WorkerEndpoint } from "./src/worker/run_worker.ts";
export { runWorker } from "./src/worker/run_worker.ts";
