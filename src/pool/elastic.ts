/**
 * The elastic pool: `minWorkers` .. `maxWorkers` with `idleTimeout`. Scales the supervisor's
 * target (`size`) up on queue pressure and down when a worker has been idle too long. The
 * supervisor keeps `size` workers as before (crash restarts and planned replacements do not
 * change the count); only this file moves `size` between the bounds.
 */
import { MAX_WORKERS } from "../util/limits.ts";
import { rangeError, show, typeError } from "../util/validate.ts";
import type { PoolEmit } from "./events.ts";
import type { PoolState } from "./stats.ts";
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

/** What the elastic logic needs from the supervisor. */
export interface ElasticHost {
  size: number;
  readonly slots: ReadonlySet<WorkerSlot>;
  readonly state: PoolState;
  readonly concurrency: number;
  emit: PoolEmit;
  /** Workers started but not ready yet (spawned or waiting for back-off). */
  starting(): number;
  ensureCapacity(): void;
  retireIdle(slot: WorkerSlot): void;
}

export class Elastic {
  scaleUps = 0;
  scaleDowns = 0;
  private sweepTimer: ReturnType<typeof setInterval> | undefined;
  private readonly seen = new WeakMap<WorkerSlot, { done: number; since: number }>();

  constructor(
    public minWorkers: number,
    public maxWorkers: number,
    private readonly idleTimeout: number,
    private readonly host: ElasticHost,
  ) {}

  get elastic(): boolean {
    return this.minWorkers < this.maxWorkers;
  }

  /** Tasks wait and no worker can take one: add workers (never while closing). */
  pressure(queued: number): void {
    const host = this.host;
    if (!this.elastic || host.state !== "running" || host.size >= this.maxWorkers) return;
    const needed = Math.ceil(queued / host.concurrency) - host.starting();
    const add = Math.min(needed, this.maxWorkers - host.size);
    if (add <= 0) return;
    host.size += add;
    this.scaleUps++;
    host.emit("scaleup", { workers: host.size, reason: "queue" });
    host.ensureCapacity();
    this.arm();
  }

  /** resize(n): a fixed pool gets both bounds; an elastic one a target within its bounds. */
  resized(workers: number): void {
    if (!this.elastic) {
      this.minWorkers = workers;
      this.maxWorkers = workers;
      return;
    }
    if (workers < this.minWorkers || workers > this.maxWorkers) {
      throw new RangeError(
        `mpms: resize(${workers}) must be within "minWorkers" (${this.minWorkers}) and "maxWorkers" (${this.maxWorkers})`,
      );
    }
    if (workers > this.minWorkers) this.arm();
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
    if (host.state !== "running" || host.size <= this.minWorkers) {
      this.stop();
      return;
    }
    const t = now();
    for (const slot of host.slots) {
      // A worker with a replacement started early is being replaced (count unchanged): not idle-retired.
      if (slot.life.phase !== "ready" || slot.retiring !== null || slot.replacement !== null) continue;
      const rec = this.seen.get(slot);
      if (rec === undefined || slot.outstanding.size > 0 || rec.done !== slot.tasksDone) {
        this.seen.set(slot, { done: slot.tasksDone, since: t });
        continue;
      }
      if (t - rec.since < this.idleTimeout || host.size <= this.minWorkers) continue;
      host.size--;
      this.scaleDowns++;
      host.retireIdle(slot);
      host.emit("scaledown", { workers: host.size, reason: "idle" });
    }
  }

  /** No more scaling down (close, destroy, or at minWorkers). */
  stop(): void {
    if (this.sweepTimer !== undefined) clearInterval(this.sweepTimer);
    this.sweepTimer = undefined;
  }
}
