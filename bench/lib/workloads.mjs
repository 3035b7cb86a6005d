/**
 * Workload shapes, run inside the child against a subject's `run(input)`. Each returns the
 * measured phase only (warm-up excluded). Echo results are checked, so a subject that drops
 * or mixes up replies fails instead of looking fast.
 */
import { checkMoved, makeMovedInput } from "./moved.mjs";

const now = () => performance.now();

function check(value, i) {
  if (value === null || typeof value !== "object" || value.n !== i) {
    throw new Error(`wrong result for task ${i}: ${JSON.stringify(value)}`);
  }
}

function percentile(sorted, p) {
  if (sorted.length === 0) return null;
  const k = Math.min(sorted.length - 1, Math.max(0, Math.ceil((p / 100) * sorted.length) - 1));
  return sorted[k];
}

function latencySummary(lat) {
  const sorted = Float64Array.from(lat).sort();
  return { p50Us: percentile(sorted, 50) * 1000, p99Us: percentile(sorted, 99) * 1000 };
}

/** One task in flight: sequential round trips. */
export async function sequential(run, count) {
  const lat = new Float64Array(count);
  const t0 = now();
  for (let i = 0; i < count; i++) {
    const s = now();
    check(await run({ n: i }), i);
    lat[i] = now() - s;
  }
  const elapsedMs = now() - t0;
  return { count, elapsedMs, ...latencySummary(lat) };
}

const echoInput = (i) => ({ n: i });

/**
 * `window` tasks in flight: each completion submits the next one. `input(i)` makes task i's
 * input and `checkResult(value, i)` throws on a wrong result (default: the echo shape).
 */
export function windowed(run, count, window, input = echoInput, checkResult = check) {
  const lat = new Float64Array(count);
  let sent = 0;
  let done = 0;
  return new Promise((resolve, reject) => {
    const t0 = now();
    const one = () => {
      const i = sent++;
      const s = now();
      run(input(i)).then((value) => {
        try {
          checkResult(value, i);
        } catch (err) {
          reject(err);
          return;
        }
        lat[i] = now() - s;
        done++;
        if (sent < count) one();
        else if (done === count) resolve({ count, elapsedMs: now() - t0, ...latencySummary(lat) });
      }, reject);
    };
    for (let k = 0; k < Math.min(window, count); k++) one();
  });
}

/** Everything submitted at once (queue + memory); no per-task bookkeeping beyond the promises. */
export async function flood(run, count) {
  const t0 = now();
  const promises = new Array(count);
  for (let i = 0; i < count; i++) promises[i] = run({ n: i });
  const values = await Promise.all(promises);
  const elapsedMs = now() - t0;
  for (let i = 0; i < count; i += 97) check(values[i], i);
  return { count, elapsedMs };
}

/**
 * The "bytes" workloads: `window` tasks in flight, each sending the same `size`-byte Uint8Array
 * and checking the { n, length, sum } summary that comes back (bench/lib/bytes.mjs).
 */
export function bytesWindowed(run, count, window, payload, expected) {
  const checkSummary = (value, i) => {
    if (value?.n !== i || value.length !== expected.length || value.sum !== expected.sum) {
      throw new Error(`wrong result for task ${i}: ${JSON.stringify(value)}, want ${JSON.stringify(expected)}`);
    }
  };
  return windowed(run, count, window, (i) => ({ n: i, bytes: payload }), checkSummary);
}

/**
 * The "moved" workloads: `window` tasks in flight, each allocating a fresh `size`-byte buffer
 * (with `reuse`: taking the bytes an earlier task moved back), moving it to the worker and
 * checking the bytes moved back (bench/lib/moved.mjs).
 */
export function movedWindowed(run, count, window, size, reuse = false) {
  const sent = new Map();
  const free = [];
  const input = (i) => {
    const bytes = makeMovedInput(i, size, free.pop());
    sent.set(i, bytes);
    return bytes;
  };
  const checkResult = (value, i) => {
    checkMoved(value, i, size, sent.get(i));
    sent.delete(i);
    if (reuse) free.push(value);
  };
  return windowed(run, count, window, input, checkResult);
}
