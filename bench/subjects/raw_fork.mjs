/**
 * Floor: bare node:child_process fork, JSON IPC, one process.send per message (Node, Bun, Deno).
 * "bytes" task: the payload goes as base64 in the JSON message, as mpms's wire format 1 sends it;
 * `options.serialization: "advanced"` (structured clone IPC) sends the Uint8Array itself instead.
 */
import { fork } from "node:child_process";
import { toJsonInput } from "../lib/bytes.mjs";
import { RawPool, readyLatch } from "../lib/raw_pool.mjs";

export async function open({ workers, task, options = {} }) {
  const file = new URL("../tasks/raw_ipc_child.mjs", import.meta.url).pathname;
  const serialization = options.serialization ?? "json";
  const encode = task === "bytes" && serialization === "json" ? toJsonInput : undefined;
  const ready = readyLatch(workers);
  const args = serialization === "advanced" ? [task, "--advanced"] : [task];
  const children = Array.from({ length: workers }, () =>
    fork(file, args, { serialization, stdio: ["ignore", "inherit", "inherit", "ipc"] }),
  );
  const pool = new RawPool(children.map((c) => (m) => c.send(m)));
  for (const c of children) c.on("message", (m) => (m.ready ? ready.seen() : pool.reply(m)));
  await ready.promise;
  return {
    run: encode ? (input) => pool.run(encode(input)) : (input) => pool.run(input),
    close: () =>
      Promise.all(
        children.map(
          (c) =>
            new Promise((resolve) => {
              c.once("exit", resolve);
              c.disconnect();
            }),
        ),
      ),
  };
}
