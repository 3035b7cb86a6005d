/**
 * The phase hooks registered with a shutdown coordinator: `add(name, fn, options)` and
 * `add(object, options)` parsed and validated, names made unique within a phase, and no hook
 * accepted into a phase that has already started.
 */
import { type Closable, closableHook, closableName, isClosable } from "./closable.ts";
import { describeThrown } from "./describe.ts";
import { duration, type HookOptions } from "./options.ts";
import type { Hook, HookFn } from "./phase.ts";

/** A value in an error message: strings quoted, anything else described without throwing. */
function shown(value: unknown): string {
  return typeof value === "string" ? JSON.stringify(value) : describeThrown(value);
}

/** The hooks of every phase, in registration order. */
export class HookRegistry {
  readonly #phases: readonly string[];
  readonly #hooks: Hook[] = [];
  readonly #started = new Set<string>();

  /** @param phases the coordinator's phase names, in order */
  constructor(phases: readonly string[]) {
    this.#phases = phases;
  }

  /** Register a hook from `add()`'s arguments; returns a function that removes it again. */
  add(first: string | Closable, second?: HookFn | HookOptions, third?: HookOptions): () => void {
    let fn: HookFn;
    let options: HookOptions | undefined;
    let defaultName: string;
    if (typeof first === "string") {
      if (first === "") throw new TypeError('mpms: shutdown hook name must be a non-empty string, got ""');
      if (typeof second !== "function") {
        throw new TypeError(`mpms: shutdown.add("${first}", fn) needs a function, got ${typeof second}`);
      }
      fn = second;
      options = third;
      defaultName = first;
    } else if (isClosable(first)) {
      fn = closableHook(first);
      options = second as HookOptions | undefined;
      defaultName = closableName(first);
    } else {
      throw new TypeError(
        `mpms: shutdown.add() needs (name, fn) or an object with close() or destroy(), got ${shown(first)}`,
      );
    }
    const hook = this.#hookFrom(fn, options, defaultName);
    this.#hooks.push(hook);
    return () => {
      const i = this.#hooks.indexOf(hook);
      if (i >= 0) this.#hooks.splice(i, 1);
    };
  }

  /** The hooks of one phase, in registration order. */
  of(phase: string): Hook[] {
    return this.#hooks.filter((h) => h.phase === phase);
  }

  /** The phase starts now: later add() calls for it throw. Returns its hooks. */
  start(phase: string): Hook[] {
    this.#started.add(phase);
    return this.of(phase);
  }

  #hookFrom(fn: HookFn, options: HookOptions | undefined, defaultName: string): Hook {
    if (options !== undefined && (options === null || typeof options !== "object")) {
      throw new TypeError(`mpms: shutdown hook options must be an object, got ${shown(options)}`);
    }
    const phase = options?.phase ?? "workers";
    if (typeof phase !== "string" || !this.#phases.includes(phase)) {
      const list = this.#phases.map((n) => `"${n}"`).join(", ");
      throw new RangeError(`mpms: option "phase" must be one of ${list}, got ${shown(phase)}`);
    }
    const explicitName = options?.name;
    if (explicitName !== undefined && (typeof explicitName !== "string" || explicitName === "")) {
      throw new TypeError(`mpms: option "name" must be a non-empty string, got ${shown(explicitName)}`);
    }
    const timeout = duration("timeout", options?.timeout, Number.POSITIVE_INFINITY, {
      positive: true,
      infinite: true,
    });
    const base = explicitName ?? defaultName;
    if (this.#started.has(phase)) {
      throw new Error(`mpms: shutdown phase "${phase}" has already started; hook "${base}" was added too late`);
    }
    let name = base;
    for (let n = 2; this.#hooks.some((h) => h.phase === phase && h.name === name); n++) name = `${base} ${n}`;
    return { name, phase, timeout, fn };
  }
}
