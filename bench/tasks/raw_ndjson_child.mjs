/**
 * Raw NDJSON-over-stdio floor, child side: reads lines from stdin, answers each chunk's lines
 * with one write. Uses Deno's own stdin/stdout on Deno (the fastest channel there), node:process
 * elsewhere. Ends when stdin closes, so it never outlives its parent.
 */
import { fromJsonInput } from "../lib/bytes.mjs";
import { lineSplitter } from "../lib/raw_pool.mjs";
import { tasks } from "./task.mjs";

const name = (globalThis.Deno ? globalThis.Deno.args[0] : process.argv[2]) ?? "echo";
const fn = tasks[name];
// "bytes": the parent sent the payload as base64 inside the JSON line (what mpms's wire format does).
const decode = name === "bytes";
const encoder = new TextEncoder();
let out = "";
const onLine = lineSplitter((line) => {
  const m = JSON.parse(line);
  out += `${JSON.stringify({ id: m.id, value: fn(decode ? fromJsonInput(m.input) : m.input) })}\n`;
});

/** The replies to the complete lines of `chunk`, as one text (one write per chunk). */
function answer(chunk) {
  onLine(chunk);
  const text = out;
  out = "";
  return text;
}

if (globalThis.Deno) {
  const Deno = globalThis.Deno;
  const write = (text) => {
    const bytes = encoder.encode(text);
    let off = 0;
    while (off < bytes.length) off += Deno.stdout.writeSync(bytes.subarray(off));
  };
  write(`${JSON.stringify({ ready: true })}\n`);
  for await (const chunk of Deno.stdin.readable.pipeThrough(new TextDecoderStream())) {
    const out = answer(chunk);
    if (out !== "") write(out);
  }
} else {
  process.stdin.setEncoding("utf8");
  process.stdin.on("data", (chunk) => {
    const out = answer(chunk);
    if (out !== "") process.stdout.write(out);
  });
  process.stdout.write(`${JSON.stringify({ ready: true })}\n`);
}
