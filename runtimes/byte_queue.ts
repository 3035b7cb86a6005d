/**
 * Ordered writes to a byte connection whose `write` is asynchronous and may be partial (a Deno
 * `Conn`). Frames are written in the order given, never interleaved; what waits while one write is
 * under way goes out as one write. The first write of an idle queue starts at once, in the
 * caller's turn: Deno writes to a socket eagerly, so a small frame is already on its way when
 * `write` returns.
 */

/** The part of a connection used to write. */
export interface AsyncWriter {
  /** Writes some of `bytes`, resolving with how many. */
  write(bytes: Uint8Array): Promise<number>;
}

export class ByteQueue {
  private target: AsyncWriter | null = null;
  private queue: Uint8Array[] = [];
  private writing = false;
  private broken = false;
  private waiters: (() => void)[] = [];

  /**
   * @param onError called once if a write fails (the peer is gone); everything queued is dropped
   * and later writes are ignored.
   */
  constructor(private readonly onError: (error: unknown) => void = () => {}) {}

  /** Start writing to `target` (what was queued before goes first). */
  attach(target: AsyncWriter): void {
    this.target = target;
    this.pump();
  }

  /** Queue `bytes` (the caller must not change them afterwards). */
  write(bytes: Uint8Array): void {
    if (this.broken || bytes.length === 0) return;
    this.queue.push(bytes);
    this.pump();
  }

  /** True while bytes are queued or being written. */
  get busy(): boolean {
    return this.writing || this.queue.length > 0;
  }

  /** Resolves once everything queued so far was written (or the connection failed). */
  drained(): Promise<void> {
    if (!this.busy || this.broken) return Promise.resolve();
    return new Promise((resolve) => this.waiters.push(resolve));
  }

  private pump(): void {
    if (this.writing || this.target === null || this.queue.length === 0) return;
    this.writing = true;
    void this.run(this.target);
  }

  private async run(target: AsyncWriter): Promise<void> {
    try {
      while (this.queue.length > 0) {
        let chunk = this.queue.length === 1 ? (this.queue[0] as Uint8Array) : concat(this.queue);
        this.queue = [];
        while (chunk.length > 0) chunk = chunk.subarray(await target.write(chunk));
      }
    } catch (error) {
      this.broken = true;
      this.queue = [];
      this.onError(error);
    }
    this.writing = false;
    for (const resolve of this.waiters.splice(0)) resolve();
  }
}

function concat(parts: readonly Uint8Array[]): Uint8Array {
  let length = 0;
  for (const part of parts) length += part.length;
  const out = new Uint8Array(length);
  let offset = 0;
  for (const part of parts) {
    out.set(part, offset);
    offset += part.length;
  }
  return out;
}
