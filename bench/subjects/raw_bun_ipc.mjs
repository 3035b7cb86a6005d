/** Floor on Bun: bare Bun.spawn with ipc (JSON serialization), one send per message. */

import { toJsonInput } from "../lib/bytes.mjs";
import { RawPool, readyLatch } from "../lib/raw_pool.mjs";

export async function open({ workers, task }) {
  // "bytes": the payload goes as base64 in the JSON, as mpms's wire format 1 sends it.
  const encode = task === "bytes" ? toJsonInput : undefined;
  const Bun = globalThis.Bun;
  if (!Bun) throw Object.assign(new Error("needs Bun"), { skip: true });
  const file = new URL("../tasks/raw_ipc_child.mjs", import.meta.url).pathname;
  const ready = readyLatch(workers);
  let pool;
  const children = Array.from({ length: workers }, () =>
    Bun.spawn([process.execPath, file, task], {
      stdio: ["ignore", "inherit", "inherit"],
      serialization: "json",
      ipc(m) {
        if (m.ready) ready.seen();
        else pool.reply(m);
      },
    }),
  );
  pool = new RawPool(children.map((c) => (m) => c.send(m)));
  await ready.promise;
  return {
    run: encode ? (input) => pool.run(encode(input)) : (input) => pool.run(input),
    close: async () => {
      for (const c of children) c.disconnect();
      await Promise.all(children.map((c) => c.exited));
    },
  };
}
