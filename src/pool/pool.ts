/**
 * The Pool: public API (submit, put, map, results, close, destroy, stats, events) on top of the
 * engine in {@link PoolEngine}. Everything a task can do ends in exactly one settle.
 */
import { adapterNames } from "../adapter.ts";
import { closableLabel, closeWithin } from "../shutdown/closable.ts";
import type { HookContext } from "../shutdown/phase.ts";
import { closePoolWithin } from "./close_within.ts";
import { PoolEngine } from "./engine.ts";
import { PoolEvent, type PoolEventDetail, type PoolEventListener, type PoolEventType } from "./events.ts";
import {
  type CloseOptions,
  checkCloseOptions,
  checkMapOptions,
  checkSubmitOptions,
  checkWorkers,
  type MapOptions,
  type PoolOptions,
  resolveOptions,
  type SubmitOptions,
  workersFor,
} from "./options.ts";
import type { Outcome } from "./outcome.ts";
import type { PoolStats } from "./stats.ts";

export type { CloseOptions, MapOptions, SubmitOptions } from "./options.ts";

function captureOf(options: boolean | EventListenerOptions | undefined): boolean {
  return typeof options === "boolean" ? options : options?.capture === true;
}

function defaultWorkers(): number {
  return workersFor((globalThis as { navigator?: { hardwareConcurrency?: number } }).navigator?.hardwareConcurrency);
}

/**
 * A supervised pool of workers running one task module. Workers that crash, hang or grow are
 * replaced; every task settles exactly once; `close()` finishes the work and `destroy()` stops now.
 *
 * @example
 * ```ts
 * // square.ts: export default (n: number) => n * n;
 * import { Pool } from "mpms";
 *
 * const pool = new Pool<number, number>({ module: new URL("./square.ts", import.meta.url), workers: 2 });
 * await pool.start();
 * console.log(await pool.submit(7)); // 49
 * pool.addEventListener("workerexit", (event) => console.log(event.detail.reason));
 * await pool.close();
 * ```
 */
export class Pool<In = unknown, Out = unknown> extends EventTarget {
  readonly #engine: PoolEngine;
  #closePromise: Promise<void> | undefined;
  #destroyPromise: Promise<void> | undefined;

  /**
   * Validate the options (TypeError or RangeError naming the option) and make the pool; no worker
   * starts before `start()` or the first task.
   * @param options see {@link PoolOptions}; only `module` is required.
   */
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
  /** Any other event type, as on every EventTarget. */
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
    super.addEventListener(type, listener && this.#guarded(type, listener, options), options);
  }

  /**
   * A listener's throw must not end the program: EventTarget reports it as an uncaught exception
   * on Node, Bun and Deno. The pool calls each listener through a guard that turns a throw into
   * an "error" event (a throwing "error" listener is ignored). One guard per listener, type and
   * capture, so adding twice still adds once and removeEventListener finds it.
   */
  readonly #guards = new WeakMap<object, Map<string, EventListener>>();

  #guarded(
    type: string,
    listener: EventListenerOrEventListenerObject,
    options?: boolean | EventListenerOptions,
  ): EventListener {
    const key = `${captureOf(options)}:${type}`;
    let byKey = this.#guards.get(listener);
    const known = byKey?.get(key);
    if (known) return known;
    const guard = (event: Event): void => {
      try {
        if (typeof listener === "function") listener.call(this, event);
        else listener.handleEvent(event);
      } catch (error) {
        if (type !== "error") this.#emit("error", { error, taskId: null, event: type });
      }
    };
    if (!byKey) {
      byKey = new Map();
      this.#guards.set(listener, byKey);
    }
    byKey.set(key, guard);
    return guard;
  }

  /** Stop listening (the same type, listener and `capture` as given to addEventListener). */
  override removeEventListener<K extends PoolEventType>(
    type: K,
    listener: PoolEventListener<K> | null,
    options?: EventListenerOptions | boolean,
  ): void;
  /** Any other event type, as on every EventTarget. */
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
    const guard = listener ? this.#guards.get(listener)?.get(`${captureOf(options)}:${type}`) : undefined;
    super.removeEventListener(type, guard ?? listener, options);
  }

  #emit<K extends PoolEventType>(type: K, detail: PoolEventDetail<K>): void {
    if (!this.#heard.has(type)) return;
    this.dispatchEvent(new PoolEvent(type, detail));
  }

  /** Start every worker; resolves when all ran `init`. Idempotent. Submitting also starts the pool. */
  start(): Promise<void> {
    return this.#engine.start();
  }

  /**
   * Run one task; resolves with its value or rejects with a typed error (`TaskError` for a throw
   * in the task, `TaskTimeoutError`, `WorkerCrashedError`, `QueueFullError`, `PoolClosedError`, …).
   *
   * @example
   * ```ts
   * import { Pool, TaskTimeoutError } from "mpms";
   * const pool = new Pool<string, number>({ module: new URL("./count_words.ts", import.meta.url) });
   * try {
   *   const words = await pool.submit("to be or not to be", { timeout: 5_000, priority: -5 });
   *   console.log(words);
   * } catch (error) {
   *   if (error instanceof TaskTimeoutError) console.log(`gave up after ${error.timeout} ms`);
   *   else throw error;
   * }
   * ```
   */
  submit(input: In, options?: SubmitOptions): Promise<Out> {
    try {
      checkSubmitOptions(options, "submit");
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
   *
   * @example
   * ```ts
   * import { Pool } from "mpms";
   * const pool = new Pool<number, number>({
   *   module: new URL("./square.ts", import.meta.url),
   *   collector: (outcome) => console.log(outcome.input, outcome.status === "ok" ? outcome.value : outcome.error),
   * });
   * for (let n = 0; n < 1_000; n++) await pool.put(n); // waits while the queue is full
   * await pool.close(); // every outcome reached the collector
   * ```
   */
  put(input: In, options?: SubmitOptions): Promise<void> {
    try {
      checkSubmitOptions(options, "put");
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
   *
   * @example
   * ```ts
   * import { Pool } from "mpms";
   * const pool = new Pool<number, number>({ module: new URL("./square.ts", import.meta.url) });
   * const results = pool.results();
   * for (const n of [1, 2, 3]) await pool.put(n);
   * void pool.close(); // ends the iteration once the three settled
   * for await (const outcome of results) {
   *   if (outcome.status === "ok") console.log(outcome.input, "->", outcome.value);
   *   else console.error(outcome.input, outcome.error);
   * }
   * ```
   */
  results(): AsyncIterableIterator<Outcome<In, Out>> {
    return this.#engine.results.iterate() as AsyncIterableIterator<Outcome<In, Out>>;
  }

  /**
   * Run `inputs` with bounded tasks in flight; yields values (input order with `ordered`).
   * The first task error is thrown; tasks still in flight then settle unobserved.
   *
   * @example
   * ```ts
   * import { Pool } from "mpms";
   * const pool = new Pool<number, number>({ module: new URL("./square.ts", import.meta.url) });
   * let sum = 0;
   * for await (const square of pool.map([1, 2, 3, 4], { ordered: true, window: 2 })) sum += square;
   * console.log(sum); // 30
   * await pool.close();
   * ```
   */
  async *map(inputs: Iterable<In> | AsyncIterable<In>, options: MapOptions = {}): AsyncGenerator<Out> {
    const window = checkMapOptions(options) ?? this.#engine.defaultWindow();
    type Settled = { ok: true; value: Out } | { ok: false; error: unknown };
    const ordered = options.ordered === true;
    const inFlight: Promise<Settled>[] = []; // ordered mode: in input order
    const done: Settled[] = []; // unordered mode: completion order
    let count = 0;
    let wake: (() => void) | undefined;
    const submitOne = (input: In): void => {
      count++;
      const p = this.submit(input, {
        name: options.name,
        timeout: options.timeout,
        signal: options.signal,
        priority: options.priority,
      }).then(
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

  /**
   * Stop accepting, run everything queued and running, stop the workers. Idempotent. With
   * `timeout`, it destroys the pool once that many ms have passed.
   *
   * @example
   * ```ts
   * import { Pool } from "mpms";
   * const pool = new Pool<number, number>({ module: new URL("./square.ts", import.meta.url) });
   * void pool.submit(3);
   * await pool.close({ timeout: 10_000 }); // the task ran; after 10 s it would have been cut
   * console.log(pool.state); // "closed"
   * ```
   */
  close(options?: CloseOptions): Promise<void> {
    let timeout: number | undefined;
    try {
      timeout = checkCloseOptions(options);
    } catch (err) {
      return Promise.reject(err);
    }
    if (this.#closePromise) {
      // A later close({timeout}) tightens a pending close(): the sooner deadline applies.
      this.#engine.tightenClose(timeout);
      return this.#closePromise;
    }
    this.#closePromise = this.#engine.close(timeout, () => this.destroy());
    return this.#closePromise;
  }

  /**
   * Stop now: queued and running tasks reject with PoolClosedError; workers are killed. Idempotent.
   *
   * @example
   * ```ts
   * import { Pool, PoolClosedError } from "mpms";
   * const pool = new Pool<number, number>({ module: new URL("./square.ts", import.meta.url) });
   * const pending = pool.submit(3);
   * await pool.destroy();
   * await pending.catch((error) => console.log(error instanceof PoolClosedError)); // true
   * ```
   */
  destroy(): Promise<void> {
    this.#destroyPromise ??= this.#engine.destroy();
    return this.#destroyPromise;
  }

  /** Grow at once, or shrink by planned retirement. */
  resize(workers: number): void {
    this.#engine.resize(checkWorkers(workers));
  }

  /** Planned retirement of one worker (it is replaced first). Returns false if no such worker. */
  recycle(workerId: number): boolean {
    return this.#engine.recycle(workerId);
  }

  /** A snapshot of the pool: state, task counters, wait/run histograms and one row per worker. */
  stats(): PoolStats {
    return this.#engine.stats();
  }

  /** Where the pool is in its life: idle, starting, running, closing, closed or failed. */
  get state(): PoolStats["state"] {
    return this.#engine.state;
  }

  /** `await using pool = new Pool(...)` closes the pool at the end of the scope. */
  [Symbol.asyncDispose](): Promise<void> {
    return this.close();
  }

  /** `shutdown.add(pool)` names its hook "pool". */
  get [closableLabel](): string {
    return "pool";
  }

  /** `shutdown.add(pool)`: close within the hook's time, destroyed at that time or when cut. */
  [closeWithin](signal: AbortSignal, context: HookContext): Promise<void> {
    return closePoolWithin(this, signal, context);
  }
}
