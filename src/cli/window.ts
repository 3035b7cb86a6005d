/**
 * The in-flight window: at most `size` input lines between being read and having their outcome
 * written. The reader acquires a slot before it reads on; the writer releases it.
 */
export class Window {
  readonly size: number;
  #used = 0;
  #wakeAcquire: (() => void) | undefined;
  #idle: (() => void)[] = [];
  #stopped = false;

  constructor(size: number) {
    if (!Number.isInteger(size) || size < 1) throw new RangeError(`window must be an integer >= 1, got ${size}`);
    this.size = size;
  }

  get used(): number {
    return this.#used;
  }

  /**
   * Take a slot, waiting while all are taken. Resolves false (without a slot) once stop() was
   * called.
   */
  async acquire(): Promise<boolean> {
    while (this.#used >= this.size && !this.#stopped) {
      await new Promise<void>((resolve) => (this.#wakeAcquire = resolve));
    }
    if (this.#stopped) return false;
    this.#used++;
    return true;
  }

  release(): void {
    if (this.#used === 0) throw new Error("mpms: window released more often than acquired");
    this.#used--;
    const wake = this.#wakeAcquire;
    this.#wakeAcquire = undefined;
    wake?.();
    if (this.#used === 0) for (const resolve of this.#idle.splice(0)) resolve();
  }

  /** Make a waiting and every later acquire() resolve false. */
  stop(): void {
    this.#stopped = true;
    const wake = this.#wakeAcquire;
    this.#wakeAcquire = undefined;
    wake?.();
  }

  /** Resolves when no slot is taken. */
  idle(): Promise<void> {
    if (this.#used === 0) return Promise.resolve();
    return new Promise<void>((resolve) => this.#idle.push(resolve));
  }
}
