/**
 * The resume index: which input lines an earlier run already answered in the output file. One
 * bit per line number, so even millions of lines take little memory.
 */
import { readLines } from "./lines.ts";

/** A set of positive line numbers, as a growable bitmap. */
export class LineSet {
  #bits = new Uint8Array(1024);
  #size = 0;

  add(line: number): void {
    if (!Number.isSafeInteger(line) || line < 1) return;
    const byte = line >>> 3;
    if (byte >= this.#bits.length) {
      let length = this.#bits.length;
      while (length <= byte) length *= 2;
      const grown = new Uint8Array(length);
      grown.set(this.#bits);
      this.#bits = grown;
    }
    const mask = 1 << (line & 7);
    if (((this.#bits[byte] as number) & mask) === 0) {
      this.#bits[byte] = (this.#bits[byte] as number) | mask;
      this.#size++;
    }
  }

  has(line: number): boolean {
    const byte = line >>> 3;
    return byte < this.#bits.length && ((this.#bits[byte] as number) & (1 << (line & 7))) !== 0;
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

/** Read an output file of an earlier run and collect the lines it answered. */
export async function readAnswered(chunks: AsyncIterable<Uint8Array>): Promise<LineSet> {
  const set = new LineSet();
  for await (const { text } of readLines(chunks)) {
    const line = answeredLine(text);
    if (line !== undefined) set.add(line);
  }
  return set;
}
