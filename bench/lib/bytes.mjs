/**
 * The "bytes" workloads: every task sends one Uint8Array of a fixed size and gets back a small
 * summary of it ({ n, length, sum }), so the measurement is the one-way cost of carrying the bytes.
 * The same payload object is sent by every task (no allocation in the measured loop); the worker
 * side checks that it arrived as a Uint8Array and samples its bytes, the host checks the summary.
 */
import { Buffer } from "node:buffer";

/** Bytes between two sampled bytes of the checksum: cheap even at 16 MiB, still sees misplaced data. */
const STRIDE = 4093;

/** A deterministic, non-constant payload of `size` bytes. */
export function makePayload(size) {
  const bytes = new Uint8Array(size);
  let x = 0x9e3779b9;
  for (let i = 0; i < size; i++) {
    x = (x * 1103515245 + 12345) >>> 0;
    bytes[i] = x >>> 24;
  }
  return bytes;
}

/** The summary a worker returns for `bytes`: length and a sampled 16-bit sum (last byte included). */
export function summarize(n, bytes) {
  if (!(bytes instanceof Uint8Array)) {
    throw new TypeError(`task ${n}: payload arrived as ${Object.prototype.toString.call(bytes)}, not a Uint8Array`);
  }
  let sum = 0;
  for (let i = 0; i < bytes.length; i += STRIDE) sum = (sum + bytes[i]) & 0xffff;
  if (bytes.length > 0) sum = (sum + bytes[bytes.length - 1]) & 0xffff;
  return { n, length: bytes.length, sum };
}

/**
 * What a raw JSON floor sends instead of the Uint8Array: its bytes as base64, the encoding mpms's
 * wire format 1 uses on the JSON process channels (runtimes/wire/values.ts).
 */
export function toJsonInput(input) {
  const b = input.bytes;
  return { n: input.n, b64: Buffer.from(b.buffer, b.byteOffset, b.byteLength).toString("base64") };
}

/** Worker side of {@link toJsonInput}. */
export function fromJsonInput(input) {
  return typeof input?.b64 === "string" ? { n: input.n, bytes: Buffer.from(input.b64, "base64") } : input;
}
