/**
 * The "moved" workloads (issue 15): every task allocates a fresh ArrayBuffer of a fixed size in
 * the host, moves it to the worker (a transfer list, not a copy), and gets the same bytes moved
 * back. The host writes the task number into the first and the last 4 bytes; the worker checks
 * both and writes their complement; the host checks the complement, the length, and that its own
 * view was detached (so the bytes were moved, not copied). A fresh buffer per task is fair to
 * every subject: after a move the host's buffer is gone, whatever the pool does. With `reuse`, the
 * bytes that came back are the next task's input instead (no allocation once `window` buffers
 * exist): what is left is the pool's own cost of moving, without the host's allocator and GC.
 */

/**
 * Task `n`'s input, marked with `n` at both ends: `reuse` (a Uint8Array that came back from an
 * earlier task) or else a fresh Uint8Array of `size` bytes (size >= 8).
 */
export function makeMovedInput(n, size, reuse) {
  const bytes = reuse ?? new Uint8Array(size);
  const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  view.setUint32(0, n, true);
  view.setUint32(size - 4, n, true);
  return bytes;
}

/** Worker side: check the marks, write their complement, return the same Uint8Array. */
export function touchMoved(bytes) {
  if (!(bytes instanceof Uint8Array)) {
    throw new TypeError(`moved input arrived as ${Object.prototype.toString.call(bytes)}, not a Uint8Array`);
  }
  const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  const n = view.getUint32(0, true);
  const tail = view.getUint32(bytes.byteLength - 4, true);
  if (tail !== n) throw new Error(`moved input ${n}: last 4 bytes hold ${tail}`);
  view.setUint32(0, ~n >>> 0, true);
  view.setUint32(bytes.byteLength - 4, ~n >>> 0, true);
  return bytes;
}

/** Host side: `value` is task `n`'s result and `sent` the view it sent; throws unless both are right. */
export function checkMoved(value, n, size, sent) {
  if (sent.byteLength !== 0)
    throw new Error(`task ${n}: the input was copied, not moved (still ${sent.byteLength} bytes in the host)`);
  if (!(value instanceof Uint8Array) || value.byteLength !== size) {
    throw new Error(
      `task ${n}: result is ${Object.prototype.toString.call(value)} of ${value?.byteLength} bytes, want ${size}`,
    );
  }
  const view = new DataView(value.buffer, value.byteOffset, value.byteLength);
  const want = ~n >>> 0;
  if (view.getUint32(0, true) !== want || view.getUint32(size - 4, true) !== want) {
    throw new Error(`task ${n}: result not touched by the worker (${view.getUint32(0, true)}, want ${want})`);
  }
}
