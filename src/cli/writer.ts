/**
 * Writes outcome lines, in completion order or (ordered) in input order through a reorder
 * buffer. The buffer never holds more than the in-flight window: a task's slot is given back
 * only when its line has been written (or dropped), so the reader waits while an early task is
 * slow. Lines are gathered and handed to the sink once per turn of the event loop.
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

  /** `release` is called once per sequence number when its line is written or dropped. */
  constructor(sink: OutputSink, ordered: boolean, release: () => void) {
    this.#sink = sink;
    this.#ordered = ordered;
    this.#release = release;
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
    if (text !== null) {
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
    const result = this.#sink.write(text);
    if (result !== undefined) {
      const previous = this.#ready;
      this.#ready = Promise.all([previous, result]).then(() => {});
    }
  }

  /** Resolves when the sink has room again (stdout backpressure). */
  ready(): Promise<void> {
    return this.#ready;
  }

  /** Write what is gathered and wait until the sink has handed it to the OS. */
  async flush(): Promise<void> {
    this.#writeBatch();
    await this.#ready;
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
    for (const [, text] of held) {
      if (text === null) continue;
      this.#batch.push(text);
      this.#written++;
    }
    if (this.#batch.length === 0) return;
    const text = `${this.#batch.join("\n")}\n`;
    this.#batch = [];
    this.#batchChars = 0;
    this.#sink.writeSync(text);
  }
}
