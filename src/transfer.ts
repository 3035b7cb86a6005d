/**
 * Moving instead of copying: transfer lists for task inputs (`submit(x, { transfer })`) and
 * results (`return transfer(value, [buf])`). Only the thread and web adapters move; the process
 * adapters copy (their channels cannot move memory), so a transfer list never changes an outcome.
 */

/** What can be moved to or from a worker: an ArrayBuffer (not a SharedArrayBuffer) or a MessagePort. */
export type Movable = ArrayBuffer | MessagePort;

/**
 * Brand of a {@link Transfer}. A registered symbol, not `instanceof`: the task module may load
 * its own copy of mpms (the sources) beside the worker's (the build).
 */
const TRANSFER = Symbol.for("mpms.transfer");

/** A task result with the list of what is moved with it (see {@link transfer}). */
export class Transfer<T = unknown> {
  readonly [TRANSFER] = true;
  constructor(
    readonly value: T,
    readonly list: readonly Movable[],
  ) {}
}

/** Whether a task returned `transfer(value, list)` (from any copy of mpms). */
export function isTransfer(value: unknown): value is Transfer {
  return (
    value !== null &&
    typeof value === "object" &&
    (value as Record<symbol, unknown>)[TRANSFER] === true &&
    Array.isArray((value as Transfer).list)
  );
}

/**
 * Return `value` from a task with `list` moved, not copied, to the host (threads and Web
 * Workers; process workers copy). Typed as `value` so the task keeps its declared result type.
 *
 * @example
 * ```ts
 * import { transfer } from "mpms";
 * export default function render(size: number): Uint8Array {
 *   const pixels = new Uint8Array(size);
 *   return transfer(pixels, [pixels.buffer]);
 * }
 * ```
 */
export function transfer<T>(value: T, list: readonly Movable[]): T {
  return new Transfer(value, list) as unknown as T;
}

export function isMovable(item: unknown): item is Movable {
  if (item instanceof ArrayBuffer) return true;
  const Port = (globalThis as { MessagePort?: abstract new () => unknown }).MessagePort;
  return Port !== undefined && item instanceof Port;
}

/**
 * Every ArrayBuffer (of a typed array or DataView, or bare) and MessagePort in `value`: what a
 * worker moves back with the unstarted tasks it hands back, so they can be sent again.
 */
export function movablesIn(value: unknown): Movable[] {
  const found = new Set<Movable>();
  const seen = new Set<object>();
  const visit = (v: unknown, depth: number): void => {
    if (v === null || typeof v !== "object" || depth > 64 || seen.has(v)) return;
    seen.add(v);
    if (isMovable(v)) {
      found.add(v);
      return;
    }
    if (ArrayBuffer.isView(v)) {
      if (v.buffer instanceof ArrayBuffer) found.add(v.buffer);
      return;
    }
    if (v instanceof Map) {
      for (const [k, x] of v) {
        visit(k, depth + 1);
        visit(x, depth + 1);
      }
      return;
    }
    if (v instanceof Set) {
      for (const x of v) visit(x, depth + 1);
      return;
    }
    for (const key of Object.keys(v)) visit((v as Record<string, unknown>)[key], depth + 1);
  };
  visit(value, 0);
  return [...found];
}

/**
 * Whether `item` is an ArrayBuffer that was moved away already. postMessage silently drops a
 * message whose transfer list holds one (Node 20), so such a message must never be sent.
 */
export function isDetached(item: Movable): boolean {
  if (!(item instanceof ArrayBuffer) || item.byteLength !== 0) return false;
  try {
    new Uint8Array(item);
    return false;
  } catch {
    return true;
  }
}
