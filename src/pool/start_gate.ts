/**
 * The promises the pool waits on about its workers as a whole: `start()` resolves once each of
 * the first workers ran init (or retired before it did) and rejects if one fails to start;
 * `whenEmpty()` resolves once no worker is alive or about to start.
 */
import type { WorkerSlot } from "./worker_slot.ts";

export class StartGate {
  /** The first workers, until each ran init (or retired before): start() waits for them. */
  private readonly initial = new Set<WorkerSlot>();
  private wait: { resolve: () => void; reject: (e: unknown) => void } | undefined;
  private emptyWaiters: (() => void)[] = [];

  /** The promise start() returns. */
  begin(): Promise<void> {
    return new Promise<void>((resolve, reject) => {
      this.wait = { resolve, reject };
    });
  }

  /** `slot` is one of the first workers. */
  add(slot: WorkerSlot): void {
    this.initial.add(slot);
  }

  /** One of the first workers ran init or retired: whether it was one, and the last of them. */
  done(slot: WorkerSlot, starting: boolean): boolean {
    return this.initial.delete(slot) && starting && this.initial.size === 0;
  }

  resolve(): void {
    this.wait?.resolve();
  }

  reject(error: unknown): void {
    this.wait?.reject(error);
  }

  /** Resolves once the workers are gone: now if `empty`, else at a later `checkEmpty(true)`. */
  whenEmpty(empty: boolean): Promise<void> {
    return new Promise((resolve) => {
      this.emptyWaiters.push(resolve);
      this.checkEmpty(empty);
    });
  }

  checkEmpty(empty: boolean): void {
    if (empty) for (const w of this.emptyWaiters.splice(0)) w();
  }
}
