/** The last worker exits of a pool (its `workerexit` events), for /stats and the dashboard. */
import type { PoolEventMap, RetireReason } from "../pool/events.ts";
import { Ring } from "./ring.ts";

/** One worker exit, as /stats and the dashboard list it (from a `workerexit` event). */
export interface RecentExit {
  /** Epoch ms. */
  time: number;
  /** The worker that exited. */
  workerId: number;
  /** Why it exited (a planned retirement's reason, or how it crashed). */
  reason: RetireReason;
  /** True for a planned exit (retired, resized, closed), false for a crash or kill. */
  planned: boolean;
  /** Its exit code, or null when it ended by a signal or the runtime gave none. */
  code: number | null;
  /** The signal that ended it, or null. */
  signal: string | null;
  /** Message of the error that came with the exit, if any. */
  error: string | null;
}

function errorText(error: unknown): string | null {
  if (error === undefined || error === null) return null;
  if (error instanceof Error) return `${error.name}: ${error.message}`;
  return String(error);
}

/** Keeps the last `capacity` exits of one pool while attached. */
export class ExitLog {
  readonly #ring: Ring<RecentExit>;
  readonly #target: EventTarget;
  readonly #listener = (event: Event): void => {
    // Any EventTarget can be an AdminPool: its events may be plain ones, with no detail.
    const { detail } = event as Partial<PoolEventMap["workerexit"]>;
    if (!detail) return;
    this.#ring.push({
      time: Date.now(),
      workerId: detail.workerId,
      reason: detail.reason,
      planned: detail.planned,
      code: detail.code ?? null,
      signal: detail.signal ?? null,
      error: errorText(detail.error),
    });
  };

  constructor(target: EventTarget, capacity: number) {
    this.#ring = new Ring(capacity);
    this.#target = target;
    target.addEventListener("workerexit", this.#listener);
  }

  /** Oldest first. */
  list(): RecentExit[] {
    return this.#ring.toArray();
  }

  detach(): void {
    this.#target.removeEventListener("workerexit", this.#listener);
  }
}
