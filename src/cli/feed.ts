/**
 * The read loop of `mpms run`: pulls input lines one at a time (only while the in-flight window
 * has room and the output can take more), submits each as a task, retries tasks whose worker
 * died, and hands every outcome to the writer. Stopping ends the reading at once; tasks in
 * flight still settle and are written (or, if cancelled, left out so that --resume runs them).
 */
import {
  PoolClosedError,
  PoolUnavailableError,
  TaskTimeoutError,
  WorkerCrashedError,
  WorkerRetiredError,
} from "../errors.ts";
import type { Pool } from "../pool/pool.ts";
import type { InputSource } from "./host.ts";
import { DEFAULT_MAX_LINE_BYTES, readLines } from "./lines.ts";
import type { LiveProgress } from "./live.ts";
import { badInputLine, errorFields, failedLine, okLine, tooLongLine } from "./outcome_line.ts";
import type { LineSet } from "./resume.ts";
import type { Tally } from "./tally.ts";
import type { Window } from "./window.ts";
import type { OutcomeWriter } from "./writer.ts";

type Result = { ok: true; value: unknown; attempts: number } | { ok: false; error: unknown; attempts: number };

/** Errors that say the worker went away under the task, not that the task itself failed. */
export function isRetryable(error: unknown): boolean {
  return (
    error instanceof WorkerCrashedError || error instanceof TaskTimeoutError || error instanceof WorkerRetiredError
  );
}

export interface FeedOptions {
  pool: Pool;
  source: InputSource;
  window: Window;
  writer: OutcomeWriter;
  tally: Tally;
  /** Lines an earlier run answered (--resume). */
  answered: LineSet | undefined;
  name: string | undefined;
  retries: number;
  /** Input lines longer than this many bytes get an error outcome (default 64 MiB). */
  maxLineBytes?: number;
  /** The pool can no longer run tasks (crash loop): reading stops, the run fails. */
  onPoolFailed(error: unknown): void;
  /** Where running tasks' latest progress goes, for the view (none: progress is not asked for). */
  live?: LiveProgress;
}

export class Feeder {
  readonly #o: FeedOptions;
  #stopped = false;
  /** Ends the current wait of the read loop (set only while it waits). */
  #wakeStop: (() => void) | undefined;
  /** Tasks (and bad lines) given a sequence number so far. */
  #issued = 0;
  #readError: unknown;

  readonly #maxLineBytes: number;

  constructor(options: FeedOptions) {
    this.#o = options;
    this.#maxLineBytes = options.maxLineBytes ?? DEFAULT_MAX_LINE_BYTES;
  }

  /** Lines taken from the input in this run (tasks and lines that are not JSON). */
  get issued(): number {
    return this.#issued;
  }

  get stopped(): boolean {
    return this.#stopped;
  }

  /** The error that ended reading early, if one did. */
  get readError(): unknown {
    return this.#readError;
  }

  /** Stop reading input now. Idempotent. */
  stop(): void {
    if (this.#stopped) return;
    this.#stopped = true;
    this.#o.window.stop();
    this.#wakeStop?.();
    try {
      this.#o.source.close();
    } catch {
      // already closed
    }
  }

  /**
   * Wait for `promise`, or until stop(): undefined then. (Racing every wait against one
   * long-lived "stopped" promise would pile a reaction onto it per line: a leak.)
   */
  #unlessStopped<T>(promise: Promise<T>): Promise<T | undefined> {
    if (this.#stopped) return Promise.resolve(undefined);
    return new Promise<T | undefined>((resolve, reject) => {
      const wake = (): void => resolve(undefined);
      this.#wakeStop = wake;
      promise.then(resolve, reject).finally(() => {
        // the loop may already wait on the next promise: keep its wake-up
        if (this.#wakeStop === wake) this.#wakeStop = undefined;
      });
    });
  }

  /** Read and submit until the input ends or stop() is called. */
  async run(): Promise<void> {
    const { window, writer, tally, answered } = this.#o;
    const lines = readLines(this.#o.source.chunks, this.#maxLineBytes)[Symbol.asyncIterator]();
    try {
      while (!this.#stopped) {
        const pending = lines.next();
        pending.catch(() => {}); // a read cut by stop() may reject after we stopped waiting
        const next = await this.#unlessStopped(pending);
        if (next === undefined || next.done || this.#stopped) break;
        const { line, text, tooLong } = next.value;
        if (answered?.has(line)) {
          tally.skipped++;
          continue;
        }
        if (!(await window.acquire())) break;
        await this.#unlessStopped(writer.ready());
        if (this.#stopped) {
          window.release();
          break;
        }
        const seq = this.#issued++;
        if (tooLong !== undefined) {
          tally.invalid++;
          tally.tooLong++;
          writer.put(seq, tooLongLine(line, tooLong, this.#maxLineBytes));
          continue;
        }
        let input: unknown;
        try {
          input = JSON.parse(text);
        } catch (error) {
          tally.invalid++;
          writer.put(seq, badInputLine(line, error));
          continue;
        }
        void this.#runTask(input, line).then((result) => this.#settle(seq, line, result));
      }
    } catch (error) {
      if (!this.#stopped) this.#readError = error;
    } finally {
      this.stop();
      void lines.return(undefined).catch(() => {});
    }
  }

  async #runTask(input: unknown, line: number): Promise<Result> {
    const { pool, name, retries, tally, live } = this.#o;
    const options: { name?: string; onProgress?: (value: unknown) => void } = {};
    if (name !== undefined) options.name = name;
    if (live !== undefined) options.onProgress = (value) => live.report(line, value);
    try {
      for (let attempts = 1; ; attempts++) {
        try {
          return { ok: true, value: await pool.submit(input, options), attempts };
        } catch (error) {
          // Also while stopping: a retry then meets the closed pool and the line is left for --resume.
          if (attempts > retries || !isRetryable(error)) return { ok: false, error, attempts };
          tally.retries++;
        }
      }
    } finally {
      live?.end(line);
    }
  }

  #settle(seq: number, line: number, result: Result): void {
    const { writer, tally } = this.#o;
    if (result.ok) {
      let text: string;
      try {
        text = okLine(line, result.value, result.attempts);
        tally.ok++;
      } catch (error) {
        text = failedLine(line, error, result.attempts);
        tally.fail(errorFields(error).name);
      }
      writer.put(seq, text);
      return;
    }
    const { error } = result;
    if (error instanceof PoolClosedError || error instanceof PoolUnavailableError) {
      // Not an answer for this line: it was cut by the end of the run. Left out of the output.
      writer.put(seq, null);
      if (error instanceof PoolUnavailableError) {
        this.#o.onPoolFailed(error);
        this.stop();
      }
      return;
    }
    tally.fail(errorFields(error).name);
    writer.put(seq, failedLine(line, error, result.attempts));
  }
}
