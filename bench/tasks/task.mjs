/**
 * The task module shared by mpms, piscina and tinypool: the default export echoes its input,
 * `cpu1ms` busy-loops for ~1 ms of wall time and then echoes, `sleep` waits `input` ms (the
 * elastic acceptance run), `bytes` answers a { n, bytes } input with a small summary of the bytes
 * (bench/lib/bytes.mjs).
 */
import { summarize } from "../lib/bytes.mjs";

export default function echo(input) {
  return input;
}

export function cpu1ms(input) {
  const end = performance.now() + 1;
  while (performance.now() < end) {
    // busy on purpose: the workload measures per-task overhead against 1 ms of CPU
  }
  return input;
}

export function sleep(ms) {
  return new Promise((resolve) => setTimeout(() => resolve(ms), ms));
}

export function bytes(input) {
  return summarize(input.n, input.bytes);
}

export const tasks = { echo, cpu1ms, sleep, bytes };
