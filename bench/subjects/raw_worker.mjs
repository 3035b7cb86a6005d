/**
 * Floor: bare node:worker_threads + postMessage (works on Node, Bun and Deno). Task "moved": the
 * input's buffer is in the transfer list, and the worker moves the result back the same way.
 */
import { Worker } from "node:worker_threads";
import { RawPool, readyLatch } from "../lib/raw_pool.mjs";

export async function open({ workers, task }) {
  const url = new URL("../tasks/raw_worker.mjs", import.meta.url);
  const ready = readyLatch(workers);
  const threads = Array.from({ length: workers }, () => new Worker(url, { workerData: { task } }));
  const send = task === "moved" ? (w) => (m) => w.postMessage(m, [m.input.buffer]) : (w) => (m) => w.postMessage(m);
  const pool = new RawPool(threads.map(send));
  for (const w of threads) {
    w.on("message", (m) => (m.ready ? ready.seen() : pool.reply(m)));
    w.on("error", (err) => console.error("raw worker error", err));
  }
  await ready.promise;
  return {
    run: (input) => pool.run(input),
    close: () => Promise.all(threads.map((w) => w.terminate())),
  };
}
