/**
 * Lines from a byte stream, pulled one at a time: a chunk is read only when the lines before it
 * have been taken, so a slow consumer holds the reading back (the whole input is never in
 * memory). Line numbers count every line of the input, from 1; blank lines yield nothing.
 */

export interface InputLine {
  /** 1-based line number in the input. */
  line: number;
  text: string;
}

const NEWLINE = 0x0a;
function isBlank(text: string): boolean {
  return text.trim() === "";
}

/** Split `chunks` into lines ("\n" or "\r\n"); blank lines are counted but not yielded. */
export async function* readLines(chunks: AsyncIterable<Uint8Array>): AsyncGenerator<InputLine> {
  const decoder = new TextDecoder();
  // the start of a line that spans chunks, kept in pieces so a long line costs linear time
  let pieces: string[] = [];
  let line = 0;
  const take = (tail: string): string => {
    let body = pieces.length > 0 ? pieces.join("") + tail : tail;
    pieces = [];
    if (body.endsWith("\r")) body = body.slice(0, -1);
    line++;
    return body;
  };
  for await (const chunk of chunks) {
    const text = decoder.decode(chunk, { stream: true });
    let start = 0;
    for (let end = text.indexOf("\n"); end >= 0; end = text.indexOf("\n", start)) {
      const body = take(text.slice(start, end));
      start = end + 1;
      if (!isBlank(body)) yield { line, text: body };
    }
    if (start < text.length) pieces.push(text.slice(start));
  }
  const rest = decoder.decode();
  if (rest !== "" || pieces.length > 0) {
    const body = take(rest);
    if (!isBlank(body)) yield { line, text: body };
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
