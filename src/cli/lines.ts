/**
 * Lines from a byte stream, pulled one at a time: a chunk is read only when the lines before it
 * have been taken, so a slow consumer holds the reading back (the whole input is never in
 * memory). Line numbers count every line of the input, from 1; blank lines yield nothing. A line
 * longer than the limit is not kept: its bytes are dropped as they arrive, and it yields a
 * `tooLong` entry instead of its text.
 */

export interface InputLine {
  /** 1-based line number in the input. */
  line: number;
  /** The line without its "\n" / "\r\n"; "" when `tooLong`. */
  text: string;
  /** Set when the line had more than the limit of bytes: its length in bytes (without "\n"). */
  tooLong?: number;
}

/** The default of `--max-line-bytes`: 64 MiB. */
export const DEFAULT_MAX_LINE_BYTES: number = 64 * 1024 * 1024;

const NEWLINE = 0x0a;
const CR = 0x0d;
function isBlank(text: string): boolean {
  return text.trim() === "";
}

/**
 * Split `chunks` into lines ("\n" or "\r\n"); blank lines are counted but not yielded. A line of
 * more than `maxBytes` bytes (not counting its line ending) yields `{line, text: "", tooLong}`.
 */
export async function* readLines(
  chunks: AsyncIterable<Uint8Array>,
  maxBytes: number = DEFAULT_MAX_LINE_BYTES,
): AsyncGenerator<InputLine> {
  const decoder = new TextDecoder();
  // the start of a line that spans chunks, kept in pieces so a long line costs linear time
  let pieces: Uint8Array[] = [];
  /** Bytes of the current line seen so far (also those dropped once it is too long). */
  let length = 0;
  let line = 0;
  const take = (tail: Uint8Array): InputLine | undefined => {
    line++;
    let size = length + tail.length;
    const endsWithCr = tail.length > 0 ? tail[tail.length - 1] === CR : pieces.at(-1)?.at(-1) === CR;
    if (endsWithCr) size--;
    const parts = pieces;
    pieces = [];
    length = 0;
    if (size > maxBytes) return { line, text: "", tooLong: size };
    let body: string;
    if (parts.length === 0) body = decoder.decode(tail);
    else {
      const whole = new Uint8Array(size + (endsWithCr ? 1 : 0));
      let at = 0;
      for (const part of parts) {
        whole.set(part, at);
        at += part.length;
      }
      whole.set(tail, at);
      body = decoder.decode(whole);
    }
    if (endsWithCr) body = body.slice(0, -1);
    return isBlank(body) ? undefined : { line, text: body };
  };
  const keep = (rest: Uint8Array): void => {
    if (rest.length === 0) return;
    length += rest.length;
    // past the limit (plus one byte for a "\r" of "\r\n"), the line's bytes are not kept
    if (length > maxBytes + 1) pieces = [];
    else pieces.push(rest.slice());
  };
  for await (const chunk of chunks) {
    let start = 0;
    for (let end = chunk.indexOf(NEWLINE); end >= 0; end = chunk.indexOf(NEWLINE, start)) {
      const entry = take(chunk.subarray(start, end));
      start = end + 1;
      if (entry) yield entry;
    }
    keep(chunk.subarray(start));
  }
  if (length > 0) {
    const entry = take(new Uint8Array(0));
    if (entry) yield entry;
  }
}

const SPACE = new Set([0x20, 0x09, 0x0d, 0x0b, 0x0c]);

/**
 * Count the lines that {@link readLines} would yield (non-blank ones), scanning bytes without
 * decoding. Used for the progress total. A line of only Unicode spaces other than ASCII ones
 * counts here though readLines skips it: the total is a display figure.
 */
export async function countLines(chunks: AsyncIterable<Uint8Array>): Promise<number> {
  let count = 0;
  let content = false;
  for await (const chunk of chunks) {
    for (let i = 0; i < chunk.length; i++) {
      const byte = chunk[i] as number;
      if (byte === NEWLINE) {
        if (content) count++;
        content = false;
      } else if (!content && !SPACE.has(byte)) {
        content = true;
      }
    }
  }
  return content ? count + 1 : count;
}
