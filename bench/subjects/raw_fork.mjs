/** Floor: bare node:child_process fork, JSON IPC, one process.send per message. */
import { fork } from "node:child_process";
import { RawPool, readyLatch } from "../lib/raw_pool.mjs";

export async function open({ workers, task }) {
  const file = new URL("../tasks/raw_ipc_child.mjs", import.meta.url).pathname;
  const ready = readyLatch(workers);
  const children = Array.from({ length: workers }, () =>
    fork(file, [task], { serialization: "json", stdio: ["ignore", "inherit", "inherit", "ipc"] }),
  );
  const pool = new RawPool(children.map((c) => (m) => c.send(m)));
  for (const c of children) c.on("message", (m) => (m.ready ? ready.seen() : pool.reply(m)));
  await ready.promise;
  return {
    run: (input) => pool.run(input),
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
