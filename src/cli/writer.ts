/**
 * Writes outcome lines, in completion order or (ordered) in input order through a reorder
 * buffer. The buffer never holds more than the in-flight window: a task's slot is given back
 * only when its line has been written (or dropped), so the reader waits while an early task is
 * slow. Lines are gathered and handed to the sink once per turn of the event loop. The first
 * write that fails goes to `onError`; from then on lines are dropped (slots still given back).
 */
import type { OutputSink } from "./host.ts";

/** Above this many buffered characters the batch is written at once. */
const BATCH_CHARS = 64 * 1024;

export class OutcomeWriter {
  readonly #sink: OutputSink;
  readonly #ordered: boolean;
  readonly #release: () => void;
  /** Ordered mode: finished outcomes waiting for an earlier one (null: nothing to write). */
  readonly #waiting = new Map<number, string | null>();
  #next = 0;
  #batch: string[] = [];
  #batchChars = 0;
  #timer: ReturnType<typeof setTimeout> | undefined;
  /** Resolves when the sink can take more. */
  #ready: Promise<void> = Promise.resolve();
  #written = 0;
  readonly #onError: (error: unknown) => void;
  #failed = false;

  /**
   * `release` is called once per sequence number when its line is written or dropped;
   * `onError` once, with the first write error.
   */
  constructor(sink: OutputSink, ordered: boolean, release: () => void, onError: (error: unknown) => void = () => {}) {
    this.#sink = sink;
    this.#ordered = ordered;
    this.#release = release;
    this.#onError = onError;
  }

  /** True once a write failed: nothing more is written. */
  get failed(): boolean {
    return this.#failed;
  }

  #fail(error: unknown): void {
    if (this.#failed) return;
    this.#failed = true;
    this.#batch = [];
    this.#batchChars = 0;
    this.#onError(error);
  }

  /** Hand `text` to the sink; a failure (thrown or rejected) goes to #fail. */
  #write(text: string, now: boolean): void {
    if (this.#failed) return;
    try {
      if (now) {
        this.#sink.writeSync(text);
        return;
      }
      const result = this.#sink.write(text);
      if (result !== undefined) {
        const previous = this.#ready;
        const settled = result.catch((error: unknown) => this.#fail(error));
        this.#ready = Promise.all([previous, settled]).then(() => {});
      }
    } catch (error) {
      this.#fail(error);
    }
  }

  /** Lines handed to the sink so far. */
  get written(): number {
    return this.#written;
  }

  /** Outcomes held back waiting for an earlier one (ordered mode). */
  get waiting(): number {
    return this.#waiting.size;
  }

  /**
   * The outcome of sequence number `seq` (0, 1, 2... in input order): a line (without "\n"), or
   * null when there is nothing to write (a task cancelled by an interruption).
   */
  put(seq: number, text: string | null): void {
    if (!this.#ordered) {
      this.#take(text);
      return;
    }
    if (seq !== this.#next) {
      this.#waiting.set(seq, text);
      return;
    }
    this.#take(text);
    this.#next++;
    while (this.#waiting.has(this.#next)) {
      const next = this.#waiting.get(this.#next) as string | null;
      this.#waiting.delete(this.#next);
      this.#take(next);
      this.#next++;
    }
  }

  #take(text: string | null): void {
    if (text !== null && !this.#failed) {
      this.#batch.push(text);
      this.#batchChars += text.length + 1;
      this.#written++;
      if (this.#batchChars >= BATCH_CHARS) this.#writeBatch();
      else this.#timer ??= setTimeout(() => this.#writeBatch(), 0);
    }
    this.#release();
  }

  #writeBatch(): void {
    if (this.#timer !== undefined) clearTimeout(this.#timer);
    this.#timer = undefined;
    if (this.#batch.length === 0) return;
    const text = `${this.#batch.join("\n")}\n`;
    this.#batch = [];
    this.#batchChars = 0;
    this.#write(text, false);
  }

  /** Resolves when the sink has room again (stdout backpressure). */
  ready(): Promise<void> {
    return this.#ready;
  }

  /**
   * Write what is gathered and wait until the sink has handed it to the OS and synced it. After
   * a failed write, resolves at once (the failure was reported); a failed sync rejects.
   */
  async flush(): Promise<void> {
    this.#writeBatch();
    await this.#ready;
    if (this.#failed) return;
    await this.#sink.flush();
  }

  /**
   * Forced end: write everything finished now, synchronously, including outcomes still waiting
   * for an earlier one (they are then out of input order; the earlier ones were not finished).
   */
  flushNow(): void {
    if (this.#timer !== undefined) clearTimeout(this.#timer);
    this.#timer = undefined;
    const held = [...this.#waiting.entries()].sort((a, b) => a[0] - b[0]);
    this.#waiting.clear();
    if (this.#failed) return;
    for (const [, text] of held) {
      if (text === null) continue;
      this.#batch.push(text);
      this.#written++;
    }
    if (this.#batch.length === 0) return;
    const text = `${this.#batch.join("\n")}\n`;
    this.#batch = [];
    this.#batchChars = 0;
    this.#write(text, true);
  }
}
