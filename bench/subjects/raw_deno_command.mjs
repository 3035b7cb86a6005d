/** Floor on Deno: bare Deno.Command child, NDJSON over stdin/stdout (one write per task). */

import { toJsonInput } from "../lib/bytes.mjs";
import { lineSplitter, RawPool, readyLatch } from "../lib/raw_pool.mjs";

export async function open({ workers, task }) {
  // "bytes": the payload goes as base64 in the JSON, as mpms's wire format 1 sends it.
  const encode = task === "bytes" ? toJsonInput : undefined;
  const Deno = globalThis.Deno;
  if (!Deno) throw Object.assign(new Error("needs Deno"), { skip: true });
  const file = new URL("../tasks/raw_ndjson_child.mjs", import.meta.url).pathname;
  const ready = readyLatch(workers);
  const encoder = new TextEncoder();
  const children = Array.from({ length: workers }, () =>
    new Deno.Command(Deno.execPath(), {
      args: ["run", "-A", file, task],
      stdin: "piped",
      stdout: "piped",
      stderr: "inherit",
    }).spawn(),
  );
  const writers = children.map((c) => c.stdin.getWriter());
  const pool = new RawPool(writers.map((w) => (m) => void w.write(encoder.encode(`${JSON.stringify(m)}\n`))));
  for (const c of children) {
    const onChunk = lineSplitter((line) => {
      const m = JSON.parse(line);
      if (m.ready) ready.seen();
      else pool.reply(m);
    });
    void (async () => {
      for await (const chunk of c.stdout.pipeThrough(new TextDecoderStream())) onChunk(chunk);
    })();
  }
  await ready.promise;
  return {
    run: encode ? (input) => pool.run(encode(input)) : (input) => pool.run(input),
    close: async () => {
      await Promise.all(writers.map((w) => w.close()));
      await Promise.all(children.map((c) => c.status));
    },
  };
}
