/** What a run counted: outcomes by status, error names, retries, task times. */
import { Timings } from "./timings.ts";

export class Tally {
  /** Tasks that returned a value. */
  ok = 0;
  /** Tasks that failed (after their retries). */
  failed = 0;
  /** Input lines that are not JSON, or longer than --max-line-bytes. */
  invalid = 0;
  /** Of `invalid`: the lines longer than --max-line-bytes. */
  tooLong = 0;
  /** Lines skipped because the output already answered them (--resume). */
  skipped = 0;
  /** Lines taken in this run but not answered (cut by an interruption or a failed pool). */
  unfinished = 0;
  /** Extra attempts made by --retries. */
  retries = 0;
  readonly errors = new Map<string, number>();
  readonly timings = new Timings();

  /** Lines answered in this run. */
  get answered(): number {
    return this.ok + this.failed + this.invalid;
  }

  /** Count a failed task under its error name. */
  fail(name: string): void {
    this.failed++;
    this.errors.set(name, (this.errors.get(name) ?? 0) + 1);
  }
}
