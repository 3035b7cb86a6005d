/**
 * Hooks made from objects. A resource that knows how to close within a deadline (a Pool) answers
 * the `closeWithin` protocol: the hook hands it the hook's signal and the time left, and the
 * resource keeps that budget itself. Anything else with close() and/or destroy() is closed, and
 * destroyed if the hook is cut. This file depends on nothing of the pool: any closable can
 * implement the protocol.
 */
import type { HookContext, HookFn } from "./phase.ts";

/** Anything `shutdown.add(target)` accepts: it has close(), destroy(), or both. */
export interface Closable {
  /** Graceful: finish the work, then release; awaited within the hook's time. */
  close?(): unknown;
  /** Immediate: release now; called when the hook is cut (or when there is no close()). */
  destroy?(): unknown;
}

/**
 * The method a deadline-aware closable implements: close within `context.timeLeft()` ms, give up
 * (destroy) when `signal` aborts, and reject (a `TimeoutError` DOMException) when the deadline
 * forced it to cancel work. A registered symbol, so a second copy of mpms in one program still
 * recognises it.
 */
export const closeWithin: unique symbol = Symbol.for("mpms.closeWithin") as never;
/** The default hook name a closable gives itself (e.g. "pool"). */
export const closableLabel: unique symbol = Symbol.for("mpms.closableLabel") as never;

/** A closable that keeps a shutdown deadline itself. */
export interface DeadlineClosable extends Closable {
  /** Close within `context.timeLeft()` ms; give up when `signal` aborts. */
  [closeWithin](signal: AbortSignal, context: HookContext): Promise<void>;
  /** The default hook name (e.g. "pool"). */
  readonly [closableLabel]?: string;
}

export function isClosable(value: unknown): value is Closable {
  if (value === null || (typeof value !== "object" && typeof value !== "function")) return false;
  const v = value as Closable;
  return typeof v.close === "function" || typeof v.destroy === "function";
}

function keepsDeadline(target: Closable): target is DeadlineClosable {
  return typeof (target as Partial<DeadlineClosable>)[closeWithin] === "function";
}

/** The default hook name of an object: its own label ("pool" for a Pool), else its class name in lower case. */
export function closableName(target: Closable): string {
  const label = (target as Partial<DeadlineClosable>)[closableLabel];
  if (typeof label === "string" && label !== "") return label;
  const ctor = (target as { constructor?: { name?: unknown } }).constructor?.name;
  return typeof ctor === "string" && ctor !== "" && ctor !== "Object" ? ctor.toLowerCase() : "resource";
}

/** A hook that closes `target` within its budget and destroys it when cut. */
export function closableHook(target: Closable): HookFn {
  if (keepsDeadline(target)) return (signal, context) => target[closeWithin](signal, context);
  return async (signal) => {
    const destroy = target.destroy;
    const onAbort = (): void => {
      try {
        void Promise.resolve(destroy?.call(target)).catch(() => {});
      } catch {
        // destroy() threw synchronously: the hook is already reported as cut
      }
    };
    if (typeof target.close !== "function") return await destroy?.call(target);
    if (typeof destroy === "function") signal.addEventListener("abort", onAbort, { once: true });
    try {
      await target.close();
    } finally {
      signal.removeEventListener("abort", onAbort);
    }
  };
}
