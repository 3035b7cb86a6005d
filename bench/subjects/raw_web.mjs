/**
 * Floor: bare Web Workers (the global `Worker` of Deno and Bun) + postMessage, for the "moved"
 * workloads: the input's buffer is in the transfer list, and the worker moves the result back.
 * The floor of the `web` adapter; Node has no global Worker (skipped there).
 */
import { RawPool, readyLatch } from "../lib/raw_pool.mjs";

export async function open({ workers, task }) {
  if (typeof globalThis.Worker !== "function") {
    throw Object.assign(new Error("not available: no global Worker in this runtime"), { skip: true });
  }
  if (task !== "moved") throw new Error(`raw-web runs the "moved" task only, not ${task}`);
  const url = new URL("../tasks/raw_web.mjs", import.meta.url);
  const ready = readyLatch(workers);
  const threads = Array.from({ length: workers }, () => new Worker(url, { type: "module" }));
  const pool = new RawPool(threads.map((w) => (m) => w.postMessage(m, [m.input.buffer])));
  for (const w of threads) {
    w.onmessage = (e) => (e.data.ready ? ready.seen() : pool.reply(e.data));
    w.onerror = (e) => console.error("raw web worker error", e.message ?? e);
  }
  await ready.promise;
  return {
    run: (input) => pool.run(input),
    close: () => {
      for (const w of threads) w.terminate();
    },
  };
}
