/**
 * The resume index: which input lines an earlier run already answered in the output file. One
 * bit per line number, in pages allocated only where lines are, so millions of lines take little
 * memory and any line number up to 2^53 has its own bit (no 32-bit arithmetic).
 */
import { readLines } from "./lines.ts";

/** Line numbers per page: 2^16 bits, 8 KiB. */
const PAGE_BITS = 65_536;

/** A set of positive line numbers, as a sparse bitmap. */
export class LineSet {
  readonly #pages = new Map<number, Uint8Array>();
  #size = 0;

  /** Add `line` (a positive safe integer; anything else is ignored). */
  add(line: number): void {
    if (!Number.isSafeInteger(line) || line < 1) return;
    const key = Math.floor(line / PAGE_BITS);
    let page = this.#pages.get(key);
    if (page === undefined) {
      page = new Uint8Array(PAGE_BITS / 8);
      this.#pages.set(key, page);
    }
    const bit = line % PAGE_BITS;
    const byte = Math.floor(bit / 8);
    const mask = 1 << (bit % 8);
    if (((page[byte] as number) & mask) === 0) {
      page[byte] = (page[byte] as number) | mask;
      this.#size++;
    }
  }

  has(line: number): boolean {
    if (!Number.isSafeInteger(line) || line < 1) return false;
    const page = this.#pages.get(Math.floor(line / PAGE_BITS));
    if (page === undefined) return false;
    const bit = line % PAGE_BITS;
    return ((page[Math.floor(bit / 8)] as number) & (1 << (bit % 8))) !== 0;
  }

  get size(): number {
    return this.#size;
  }
}

/**
 * The line number an output line answers, or undefined for a line that is not a complete outcome
 * (such as the cut-off last line of a run that was killed).
 */
export function answeredLine(text: string): number | undefined {
  try {
    const parsed = JSON.parse(text) as { line?: unknown; status?: unknown };
    const ok = parsed !== null && typeof parsed === "object" && Number.isSafeInteger(parsed.line);
    return ok && (parsed.status === "ok" || parsed.status === "error") ? (parsed.line as number) : undefined;
  } catch {
    return undefined;
  }
}

/**
 * Read an output file of an earlier run and collect the lines it answered. Its lines have no
 * length limit: they were written by mpms, and each was held whole when it was written.
 */
export async function readAnswered(chunks: AsyncIterable<Uint8Array>): Promise<LineSet> {
  const set = new LineSet();
  for await (const { text } of readLines(chunks, Number.POSITIVE_INFINITY)) {
    const line = answeredLine(text);
    if (line !== undefined) set.add(line);
  }
  return set;
}
