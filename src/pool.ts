/**
 * The Pool: public API (submit, put, map, results, close, destroy, stats, events) on top of the
 * engine in {@link PoolEngine}. Everything a task can do ends in exactly one settle.
 */
import { adapterNames } from "./adapter.ts";
import { PoolEngine } from "./engine.ts";
import { PoolEvent, type PoolEventDetail, type PoolEventListener, type PoolEventType } from "./events.ts";
import { type PoolOptions, resolveOptions } from "./options.ts";
import type { Outcome } from "./outcome.ts";
import type { PoolStats } from "./stats.ts";
import { MAX_MS } from "./validate.ts";

/** Options of one submit/put. */
export interface SubmitOptions {
  /** Abort before dispatch removes the task; while running, `ctx.signal` fires. */
  signal?: AbortSignal;
  /** Named export to call (default: the default export). */
  name?: string;
  /** Overrides the pool's `taskTimeout` for this task (ms). */
  timeout?: number;
  /** Wait for room when the queue is full (default true); false rejects with QueueFullError. */
  wait?: boolean;
}

export interface MapOptions {
  /** Yield in input order (default false: completion order). */
  ordered?: boolean;
  name?: string;
  timeout?: number;
  signal?: AbortSignal;
  /** Tasks in flight at once (default: enough to keep every worker busy). */
  window?: number;
}

export interface CloseOptions {
  /**
   * After this many ms, close() gives up waiting and destroys (Infinity or left out: no limit).
   * Given to a close() that is already pending, it tightens that one's deadline.
   */
  timeout?: number;
}

function defaultWorkers(): number {
  const n = (globalThis as { navigator?: { hardwareConcurrency?: number } }).navigator?.hardwareConcurrency;
  return typeof n === "number" && n > 0 ? Math.min(n, 1024) : 4;
}

function checkSubmitOptions(opts: SubmitOptions | undefined): void {
  if (opts === undefined) return;
  if (opts === null || typeof opts !== "object") {
    throw new TypeError(`mpms: submit options must be an object, got ${String(opts)}`);
  }
  if (opts.name !== undefined && (typeof opts.name !== "string" || opts.name === "")) {
    throw new TypeError(`mpms: option "name" must be a non-empty string, got ${JSON.stringify(opts.name)}`);
  }
  if (opts.timeout !== undefined) {
    if (typeof opts.timeout !== "number" || Number.isNaN(opts.timeout)) {
      throw new TypeError(`mpms: option "timeout" must be a number, got ${String(opts.timeout)}`);
    }
    if (!(opts.timeout > 0) || (opts.timeout > MAX_MS && opts.timeout !== Number.POSITIVE_INFINITY)) {
      throw new RangeError(`mpms: option "timeout" must be > 0 and <= ${MAX_MS} (or Infinity), got ${opts.timeout}`);
    }
  }
  if (opts.signal !== undefined && !(opts.signal instanceof AbortSignal)) {
    throw new TypeError(`mpms: option "signal" must be an AbortSignal`);
  }
}

/** A supervised pool of workers running one task module. */
export class Pool<In = unknown, Out = unknown> extends EventTarget {
  readonly #engine: PoolEngine;
  #closePromise: Promise<void> | undefined;
  #destroyPromise: Promise<void> | undefined;

  constructor(options: PoolOptions<In, Out>) {
    super();
    const resolved = resolveOptions(options, { workers: defaultWorkers(), adapterNames: adapterNames() });
    this.#engine = new PoolEngine(resolved, (type, detail) => this.#emit(type, detail));
  }

  /** Event types that ever had a listener: the others are not built (a "drain" per task otherwise). */
  readonly #heard = new Set<string>();

  /** Listen to one of the events of `PoolEventMap`; the listener gets its typed `PoolEvent`. */
  override addEventListener<K extends PoolEventType>(
    type: K,
    listener: PoolEventListener<K> | null,
    options?: AddEventListenerOptions | boolean,
  ): void;
  override addEventListener(
    type: string,
    listener: EventListenerOrEventListenerObject | null,
    options?: AddEventListenerOptions | boolean,
  ): void;
  override addEventListener(
    type: string,
    listener: EventListenerOrEventListenerObject | null,
    options?: AddEventListenerOptions | boolean,
  ): void {
    if (listener) this.#heard.add(type);
    super.addEventListener(type, listener, options);
  }

  /** Stop listening (the same type, listener and `capture` as given to addEventListener). */
  override removeEventListener<K extends PoolEventType>(
    type: K,
    listener: PoolEventListener<K> | null,
    options?: EventListenerOptions | boolean,
  ): void;
  override removeEventListener(
    type: string,
    listener: EventListenerOrEventListenerObject | null,
    options?: EventListenerOptions | boolean,
  ): void;
  override removeEventListener(
    type: string,
    listener: EventListenerOrEventListenerObject | null,
    options?: EventListenerOptions | boolean,
  ): void {
    super.removeEventListener(type, listener, options);
  }

  #emit<K extends PoolEventType>(type: K, detail: PoolEventDetail<K>): void {
    if (!this.#heard.has(type)) return;
    this.dispatchEvent(new PoolEvent(type, detail));
  }

  /** Start every worker; resolves when all ran `init`. Idempotent. Submitting also starts the pool. */
  start(): Promise<void> {
    return this.#engine.start();
  }

  /** Run one task; resolves with its value or rejects with a typed error. */
  submit(input: In, options?: SubmitOptions): Promise<Out> {
    try {
      checkSubmitOptions(options);
    } catch (err) {
      return Promise.reject(err);
    }
    return new Promise<Out>((resolve, reject) => {
      const task = this.#engine.createTask(input, options, resolve as (v: unknown) => void, reject);
      if (task) this.#engine.enqueue(task, options?.wait !== false);
    });
  }

  /**
   * Queue one task; resolves once it is queued (waiting while the queue is full). Its outcome
   * goes to the collector, or to `results()`.
   */
  put(input: In, options?: SubmitOptions): Promise<void> {
    try {
      checkSubmitOptions(options);
    } catch (err) {
      return Promise.reject(err);
    }
    return new Promise<void>((resolve, reject) => {
      const task = this.#engine.createTask(input, options, undefined, undefined, reject);
      if (task) this.#engine.enqueue(task, options?.wait !== false, resolve, reject);
    });
  }

  /**
   * Every Outcome, in completion order: those of `put` tasks not taken by a collector, and of
   * every task settled while an iterator is open. Ends when the pool is closed.
   */
  results(): AsyncIterableIterator<Outcome<In, Out>> {
    return this.#engine.results.iterate() as AsyncIterableIterator<Outcome<In, Out>>;
  }

  /**
   * Run `inputs` with bounded tasks in flight; yields values (input order with `ordered`).
   * The first task error is thrown; tasks still in flight then settle unobserved.
   */
  async *map(inputs: Iterable<In> | AsyncIterable<In>, options: MapOptions = {}): AsyncGenerator<Out> {
    const window = options.window ?? this.#engine.defaultWindow();
    if (!Number.isInteger(window) || window < 1) {
      throw new RangeError(`mpms: option "window" must be an integer >= 1, got ${String(window)}`);
    }
    type Settled = { ok: true; value: Out } | { ok: false; error: unknown };
    const ordered = options.ordered === true;
    const inFlight: Promise<Settled>[] = []; // ordered mode: in input order
    const done: Settled[] = []; // unordered mode: completion order
    let count = 0;
    let wake: (() => void) | undefined;
    const submitOne = (input: In): void => {
      count++;
      const p = this.submit(input, { name: options.name, timeout: options.timeout, signal: options.signal }).then(
        (value): Settled => ({ ok: true, value }),
        (error): Settled => ({ ok: false, error }),
      );
      if (ordered) inFlight.push(p);
      else
        void p.then((s) => {
          done.push(s);
          wake?.();
        });
    };
    const next = async (): Promise<Settled> => {
      if (ordered) {
        const settled = await (inFlight.shift() as Promise<Settled>);
        count--;
        return settled;
      }
      while (done.length === 0) await new Promise<void>((r) => (wake = r));
      wake = undefined;
      count--;
      return done.shift() as Settled;
    };
    for await (const input of inputs as AsyncIterable<In>) {
      submitOne(input);
      while (count >= window) {
        const s = await next();
        if (!s.ok) throw s.error;
        yield s.value;
      }
    }
    while (count > 0) {
      const s = await next();
      if (!s.ok) throw s.error;
      yield s.value;
    }
  }

  /** Stop accepting, run everything queued and running, stop the workers. Idempotent. */
  close(options?: CloseOptions): Promise<void> {
    const timeout = options?.timeout;
    if (
      timeout !== undefined &&
      (typeof timeout !== "number" || !(timeout >= 0) || (timeout > MAX_MS && timeout !== Number.POSITIVE_INFINITY))
    ) {
      return Promise.reject(
        new RangeError(
          `mpms: option "timeout" must be a number >= 0 and <= ${MAX_MS} (or Infinity), got ${String(timeout)}`,
        ),
      );
    }
    if (this.#closePromise) {
      // A later close({timeout}) tightens a pending close(): the sooner deadline applies.
      this.#engine.tightenClose(timeout);
      return this.#closePromise;
    }
    this.#closePromise = this.#engine.close(timeout, () => this.destroy());
    return this.#closePromise;
  }

  /** Stop now: queued and running tasks reject with PoolClosedError; workers are killed. */
  destroy(): Promise<void> {
    this.#destroyPromise ??= this.#engine.destroy();
    return this.#destroyPromise;
  }

  /** Grow at once, or shrink by planned retirement. */
  resize(workers: number): void {
    if (typeof workers !== "number" || !Number.isInteger(workers) || workers < 1 || workers > 1024) {
      throw new RangeError(`mpms: option "workers" must be an integer >= 1 and <= 1024, got ${String(workers)}`);
    }
    this.#engine.resize(workers);
  }

  /** Planned retirement of one worker (it is replaced first). Returns false if no such worker. */
  recycle(workerId: number): boolean {
    return this.#engine.recycle(workerId);
  }

  stats(): PoolStats {
    return this.#engine.stats();
  }

  get state(): PoolStats["state"] {
    return this.#engine.state;
  }

  [Symbol.asyncDispose](): Promise<void> {
    return this.close();
  }
}
