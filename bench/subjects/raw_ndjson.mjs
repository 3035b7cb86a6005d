/** Floor: bare NDJSON over stdio pipes of a spawned child (one write per task, line-parsed replies). */
import { spawn } from "node:child_process";
import { toJsonInput } from "../lib/bytes.mjs";
import { lineSplitter, RawPool, readyLatch } from "../lib/raw_pool.mjs";

export async function open({ workers, task }) {
  // "bytes": the payload goes as base64 in the JSON, as mpms's wire format 1 sends it.
  const encode = task === "bytes" ? toJsonInput : undefined;
  const file = new URL("../tasks/raw_ndjson_child.mjs", import.meta.url).pathname;
  const ready = readyLatch(workers);
  const children = Array.from({ length: workers }, () =>
    spawn(process.execPath, [file, task], { stdio: ["pipe", "pipe", "inherit"] }),
  );
  const pool = new RawPool(children.map((c) => (m) => c.stdin.write(`${JSON.stringify(m)}\n`)));
  for (const c of children) {
    c.stdout.setEncoding("utf8");
    c.stdout.on(
      "data",
      lineSplitter((line) => {
        const m = JSON.parse(line);
        if (m.ready) ready.seen();
        else pool.reply(m);
      }),
    );
  }
  await ready.promise;
  return {
    run: encode ? (input) => pool.run(encode(input)) : (input) => pool.run(input),
    close: () =>
      Promise.all(
        children.map(
          (c) =>
            new Promise((resolve) => {
              c.once("exit", resolve);
              c.stdin.end();
            }),
        ),
      ),
  };
}
