/**
 * The pool's target size and the elastic pool: `minWorkers` .. `maxWorkers` with `idleTimeout`.
 * The target (`size`) moves up on queue pressure, down when a worker has been idle too long, and
 * to what `resize()` asks. The supervisor keeps `size` workers (crash restarts and planned
 * replacements do not change the count); only this file moves `size`.
 */
import { MAX_WORKERS } from "../util/limits.ts";
import { rangeError, show, typeError } from "../util/validate.ts";
import type { PoolEmit, RetireReason } from "./events.ts";
import type { ResolvedOptions } from "./options.ts";
import type { PoolState } from "./stats.ts";
import { serving } from "./worker_lifecycle.ts";
import type { WorkerSlot } from "./worker_slot.ts";

const now = (): number => performance.now();

/** The bounds after defaults and validation. `workers`: how many the pool starts with. */
export interface ElasticBounds {
  workers: number;
  minWorkers: number;
  maxWorkers: number;
  idleTimeout: number;
}

function count(name: string, value: unknown, min: number): number {
  // NaN is no number here, as for every other option: a TypeError
  if (typeof value !== "number" || Number.isNaN(value)) throw typeError(name, "an integer", value);
  if (!Number.isInteger(value) || value < min || value > MAX_WORKERS) {
    throw new RangeError(
      `mpms: option "${name}" must be an integer >= ${min} and <= ${MAX_WORKERS}, got ${show(value)}`,
    );
  }
  return value;
}

/**
 * `workers` alone (or nothing): a fixed pool, min = max = workers. `minWorkers`/`maxWorkers`
 * make it elastic; together with `workers` they are refused (one way to say the size).
 */
export function resolveElastic(o: Record<string, unknown>, defaultWorkers: number): ElasticBounds {
  const hasMin = o.minWorkers !== undefined;
  const hasMax = o.maxWorkers !== undefined;
  let idleTimeout = 10_000;
  if (o.idleTimeout !== undefined) {
    const t = o.idleTimeout;
    if (typeof t !== "number" || Number.isNaN(t)) throw typeError("idleTimeout", "a number of ms", t);
    if (t <= 0) throw rangeError("idleTimeout", "a number of ms > 0 (or Infinity)", t);
    idleTimeout = t;
  }
  if (!hasMin && !hasMax) {
    const workers = o.workers === undefined ? defaultWorkers : count("workers", o.workers, 1);
    return { workers, minWorkers: workers, maxWorkers: workers, idleTimeout };
  }
  if (o.workers !== undefined) {
    throw new TypeError('mpms: option "workers" cannot be given together with "minWorkers"/"maxWorkers"');
  }
  const minWorkers = hasMin ? count("minWorkers", o.minWorkers, 0) : Math.min(1, count("maxWorkers", o.maxWorkers, 1));
  const maxWorkers = hasMax ? count("maxWorkers", o.maxWorkers, 1) : Math.max(minWorkers, defaultWorkers, 1);
  if (minWorkers > maxWorkers) {
    throw new RangeError(`mpms: option "minWorkers" (${minWorkers}) must not be above "maxWorkers" (${maxWorkers})`);
  }
  return { workers: minWorkers, minWorkers, maxWorkers, idleTimeout };
}

/** What the elastic logic needs from the supervisor (it owns the workers and their lifecycles). */
export interface ElasticHost {
  readonly slots: ReadonlySet<WorkerSlot>;
  readonly state: PoolState;
  readonly emit: PoolEmit;
  /** Workers started for the target but not ready yet (spawned or waiting for back-off). */
  starting(): number;
  /** Start workers until `size` of them take tasks (or will, once started). */
  ensureCapacity(): void;
  planRetire(slot: WorkerSlot, reason: RetireReason, handBack: boolean): void;
}

/** The options the target size follows. */
export type ElasticOptions = Pick<
  ResolvedOptions,
  "workers" | "minWorkers" | "maxWorkers" | "idleTimeout" | "concurrency"
>;

/**
 * The target number of workers (`size`) and what moves it: `resize()`, queue pressure and idle
 * workers (an elastic pool), each within minWorkers .. maxWorkers.
 */
export class Elastic {
  /** The target: the supervisor keeps this many workers. */
  size: number;
  minWorkers: number;
  maxWorkers: number;
  scaleUps = 0;
  scaleDowns = 0;
  private readonly idleTimeout: number;
  private sweepTimer: ReturnType<typeof setInterval> | undefined;
  private readonly seen = new WeakMap<WorkerSlot, { done: number; since: number }>();

  constructor(
    private readonly opts: ElasticOptions,
    private readonly host: ElasticHost,
  ) {
    this.size = opts.workers;
    this.minWorkers = opts.minWorkers;
    this.maxWorkers = opts.maxWorkers;
    this.idleTimeout = opts.idleTimeout;
  }

  get elastic(): boolean {
    return this.minWorkers < this.maxWorkers;
  }

  /** Tasks wait and no worker can take one: add workers (never while closing). */
  pressure(queued: number): void {
    const host = this.host;
    if (!this.elastic || host.state !== "running" || this.size >= this.maxWorkers) return;
    const needed = Math.ceil(queued / this.opts.concurrency) - host.starting();
    const add = Math.min(needed, this.maxWorkers - this.size);
    if (add <= 0) return;
    this.size += add;
    this.scaleUps++;
    host.emit("scaleup", { workers: this.size, reason: "queue" });
    host.ensureCapacity();
    this.arm();
  }

  /** resize(n): a fixed pool gets both bounds; an elastic one a target within its bounds. */
  resize(workers: number): void {
    if (!this.elastic) {
      this.minWorkers = workers;
      this.maxWorkers = workers;
    } else if (workers < this.minWorkers || workers > this.maxWorkers) {
      throw new RangeError(
        `mpms: resize(${workers}) must be within "minWorkers" (${this.minWorkers}) and "maxWorkers" (${this.maxWorkers})`,
      );
    } else if (workers > this.minWorkers) this.arm();
    this.size = workers;
    const state = this.host.state;
    // Before the first workers are up, the new size applies once start() completes (started()).
    if (state === "idle" || state === "starting") return;
    const active = [...this.host.slots].filter((s) => serving(s.life));
    if (active.length < workers) {
      this.host.ensureCapacity();
      return;
    }
    // Retire the least busy workers first.
    active.sort((a, b) => a.outstanding.size - b.outstanding.size);
    for (let i = 0; i < active.length - workers; i++) this.host.planRetire(active[i] as WorkerSlot, "resize", true);
  }

  /** The first workers are up: apply a resize() that came while the pool was starting. */
  started(): void {
    const active = [...this.host.slots].filter((s) => serving(s.life)).length;
    if (active !== this.size) this.resize(this.size);
  }

  private arm(): void {
    if (this.sweepTimer !== undefined || !Number.isFinite(this.idleTimeout)) return;
    const every = Math.max(10, Math.min(1000, Math.floor(this.idleTimeout / 4)));
    this.sweepTimer = setInterval(() => this.sweep(), every);
    (this.sweepTimer as { unref?: () => void }).unref?.();
  }

  /** Retire workers idle longer than idleTimeout, down to minWorkers. */
  private sweep(): void {
    const host = this.host;
    if (host.state !== "running" || this.size <= this.minWorkers) {
      this.stop();
      return;
    }
    const t = now();
    for (const slot of host.slots) {
      if (slot.life.phase !== "ready" || slot.retiring !== null) continue;
      const rec = this.seen.get(slot);
      if (rec === undefined || slot.outstanding.size > 0 || rec.done !== slot.tasksDone) {
        this.seen.set(slot, { done: slot.tasksDone, since: t });
        continue;
      }
      if (t - rec.since < this.idleTimeout || this.size <= this.minWorkers) continue;
      this.size--;
      this.scaleDowns++;
      host.planRetire(slot, "idle", true);
      // A replacement started early (near maxTasks or maxAge) goes with it: the count drops by one.
      // Skipping such a worker instead would keep the pool above minWorkers while it idles.
      const early = slot.replacement;
      if (early !== null) host.planRetire(early, "idle", true);
      host.emit("scaledown", { workers: this.size, reason: "idle" });
    }
  }

  /** No more scaling down (close, destroy, or at minWorkers). */
  stop(): void {
    if (this.sweepTimer !== undefined) clearInterval(this.sweepTimer);
    this.sweepTimer = undefined;
  }
}
