/** Options of createAdmin(), and their validation (TypeError/RangeError naming the option and value). */

import type { PoolState, PoolStats } from "../pool/stats.ts";
import { Shutdown } from "../shutdown/shutdown.ts";
import { show } from "../util/validate.ts";
import { MIN_TOKEN_LENGTH, TOKEN_PATTERN } from "./auth.ts";
import { type AllowedHost, parseAllowedHosts } from "./hosts.ts";
import type { Family } from "./prometheus.ts";
import type { QueueSource } from "./queues.ts";

/** More /metrics families from outside the pools (e.g. a queue worker of mpms/bullmq). */
export interface MetricSource {
  /** The families to render now, at each scrape of /metrics. */
  metricFamilies(): Family[];
}

/** What the admin needs of a pool; a `Pool` has all of it. */
export interface AdminPool extends EventTarget {
  /** The pool's state without a whole stats() snapshot (a `Pool` has it; else stats() is used). */
  readonly state?: PoolState;
  /** A snapshot for /stats, /metrics and the dashboard. */
  stats(): PoolStats;
  /** POST /pools/:name/resize. */
  resize(workers: number): void;
  /** POST /pools/:name/workers/:id/recycle; false if there is no such worker. */
  recycle(workerId: number): boolean;
}

/** Options of `createAdmin()` (and of `serveAdmin()`, with where to listen). */
export interface AdminOptions {
  /** The pools to report and control, by name (the `pool` label, and the name in URLs). */
  pools: Record<string, AdminPool>;
  /**
   * Readiness fails once it starts; POST /shutdown runs it.
   * @default {undefined} none
   */
  shutdown?: Shutdown;
  /**
   * Bearer token for the mutating routes (recycle, resize, shutdown); at least 16 characters out
   * of A-Z a-z 0-9 - . _ ~ + / (and trailing =). Without it those routes are disabled.
   * @default {undefined} the mutating routes are disabled
   */
  token?: string;
  /**
   * `/healthz` answers 503 once a pool has failed for good (state "failed"), so that an
   * orchestrator restarts the process.
   * @default {true}
   */
  failLivenessOnPoolFailure?: boolean;
  /**
   * Host names the admin answers besides the loopback names (`localhost`, `*.localhost`,
   * 127.0.0.0/8, [::1]) and the served address: `"name"`, `"name:port"`, `".example.com"` (that
   * name and every name below it), or `"*"` (any: only behind a proxy that checks Host itself).
   * Other Hosts get 421, and a cross-site Origin 403, on every route (DNS rebinding).
   * @default {[]} the loopback names and the served address only
   */
  allowedHosts?: string[];
  /**
   * More families for /metrics, rendered after the pools' (e.g. `[queueWorker]` of mpms/bullmq).
   * @default {[]}
   */
  metrics?: readonly MetricSource[];
  /**
   * Queues for /stats (`queues`) and the dashboard (a section per queue), e.g. `[queueWorker]`
   * of mpms/bullmq. Default none: /stats then has no `queues` key.
   */
  queues?: readonly QueueSource[];
}

export interface ResolvedAdminOptions {
  pools: Map<string, AdminPool>;
  shutdown: Shutdown | undefined;
  token: string | undefined;
  failLivenessOnPoolFailure: boolean;
  allowedHosts: AllowedHost[] | "any";
  metrics: readonly MetricSource[];
  queues: readonly QueueSource[] | undefined;
}

/** Pool names go into URLs and label values: keep them plain. */
const POOL_NAME = /^[A-Za-z0-9_.-]{1,64}$/;

function isPoolLike(value: unknown): value is AdminPool {
  if (value === null || typeof value !== "object") return false;
  const p = value as Record<string, unknown>;
  return (
    typeof p.stats === "function" &&
    typeof p.resize === "function" &&
    typeof p.recycle === "function" &&
    typeof p.addEventListener === "function"
  );
}

export function resolveAdminOptions(options: AdminOptions): ResolvedAdminOptions {
  if (options === null || typeof options !== "object") {
    throw new TypeError(`mpms: createAdmin() options must be an object, got ${show(options)}`);
  }
  const { pools, shutdown, token, failLivenessOnPoolFailure = true, metrics = [], queues } = options;
  if (pools === null || typeof pools !== "object" || Array.isArray(pools)) {
    throw new TypeError(
      `mpms: option "pools" must be an object of named pools, e.g. { images: pool }, got ${show(pools)}`,
    );
  }
  const resolved = new Map<string, AdminPool>();
  for (const [name, pool] of Object.entries(pools)) {
    if (!POOL_NAME.test(name)) {
      throw new RangeError(`mpms: option "pools" keys must match ${POOL_NAME}, got ${show(name)}`);
    }
    if (!isPoolLike(pool)) throw new TypeError(`mpms: option "pools.${name}" must be a Pool, got ${show(pool)}`);
    resolved.set(name, pool);
  }
  if (shutdown !== undefined && !(shutdown instanceof Shutdown)) {
    throw new TypeError(`mpms: option "shutdown" must be a Shutdown, got ${show(shutdown)}`);
  }
  if (token !== undefined) {
    if (typeof token !== "string") throw new TypeError(`mpms: option "token" must be a string, got ${show(token)}`);
    if (token.length < MIN_TOKEN_LENGTH || !TOKEN_PATTERN.test(token)) {
      // never echo the token itself
      throw new RangeError(
        `mpms: option "token" must be at least ${MIN_TOKEN_LENGTH} characters of A-Z a-z 0-9 - . _ ~ + / ` +
          `(then optional =), got ${token.length} characters${TOKEN_PATTERN.test(token) || token === "" ? "" : " with others"}`,
      );
    }
  }
  if (typeof failLivenessOnPoolFailure !== "boolean") {
    throw new TypeError(
      `mpms: option "failLivenessOnPoolFailure" must be a boolean, got ${show(failLivenessOnPoolFailure)}`,
    );
  }
  const allowedHosts = parseAllowedHosts(options.allowedHosts);
  if (!Array.isArray(metrics) || !metrics.every((m) => typeof m?.metricFamilies === "function")) {
    throw new TypeError(`mpms: option "metrics" must be a list of objects with metricFamilies(), got ${show(metrics)}`);
  }
  if (queues !== undefined && (!Array.isArray(queues) || !queues.every((q) => typeof q?.queueView === "function"))) {
    throw new TypeError(`mpms: option "queues" must be a list of objects with queueView(), got ${show(queues)}`);
  }
  return { pools: resolved, shutdown, token, failLivenessOnPoolFailure, allowedHosts, metrics, queues };
}
