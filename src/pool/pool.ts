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

  /** Run one task; resolves with its value or rejects with a typed error. */
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
   */
  results(): AsyncIterableIterator<Outcome<In, Out>> {
    return this.#engine.results.iterate() as AsyncIterableIterator<Outcome<In, Out>>;
  }

  /**
   * Run `inputs` with bounded tasks in flight; yields values (input order with `ordered`).
   * The first task error is thrown; tasks still in flight then settle unobserved.
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

  /** Stop accepting, run everything queued and running, stop the workers. Idempotent. */
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

  /** Stop now: queued and running tasks reject with PoolClosedError; workers are killed. */
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

  stats(): PoolStats {
    return this.#engine.stats();
  }

  get state(): PoolStats["state"] {
    return this.#engine.state;
  }

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
