/**
 * Newline-delimited framing over a byte stream, for the `deno` adapter's stdio channel. The
 * child's stdout carries protocol lines, each starting with {@link FRAME}, among whatever the
 * user's code prints; lines without the mark are the user's and are passed through.
 */

/** Start of a protocol line (record separator + name: never in ordinary output). */
export const FRAME = "\u001empms\u001f";

/** Calls `onLine` for each complete line of `stream` (without "\n"), then for a last unterminated one. */
export class LineReader {
  private readonly reader: ReadableStreamDefaultReader<Uint8Array>;
  /** Settles when the stream ended (or was cancelled, or failed). */
  readonly done: Promise<void>;

  constructor(stream: ReadableStream<Uint8Array>, onLine: (line: string) => void) {
    this.reader = stream.getReader();
    this.done = this.pump(onLine).catch(() => {});
  }

  private async pump(onLine: (line: string) => void): Promise<void> {
    const decoder = new TextDecoder();
    let rest = "";
    for (;;) {
      const { value, done } = await this.reader.read();
      if (done) break;
      const text = rest + decoder.decode(value, { stream: true });
      let start = 0;
      for (let end = text.indexOf("\n"); end !== -1; end = text.indexOf("\n", start)) {
        onLine(text.slice(start, end));
        start = end + 1;
      }
      rest = text.slice(start);
    }
    rest += decoder.decode();
    if (rest !== "") onLine(rest);
  }

  /** Stop reading (the stream may be held open by someone else). */
  cancel(): void {
    this.reader.cancel().catch(() => {});
  }
}

/** The part of a Deno file handle used to write synchronously. */
export interface SyncWriter {
  writeSync(bytes: Uint8Array): number;
}

/** Write all of `bytes`, synchronously (so that lines never interleave with other writes). */
export function writeAllSync(target: SyncWriter, bytes: Uint8Array): void {
  let offset = 0;
  while (offset < bytes.length) offset += target.writeSync(bytes.subarray(offset));
}
