/**
 * Raw NDJSON-over-stdio floor, child side: reads lines from stdin, answers each chunk's lines
 * with one write. Uses Deno's own stdin/stdout on Deno (the fastest channel there), node:process
 * elsewhere. Ends when stdin closes, so it never outlives its parent.
 */
import { tasks } from "./task.mjs";

const fn = tasks[(globalThis.Deno ? globalThis.Deno.args[0] : process.argv[2]) ?? "echo"];
const encoder = new TextEncoder();
let rest = "";

function answer(chunk) {
  const lines = (rest + chunk).split("\n");
  rest = lines.pop();
  let out = "";
  for (const line of lines) {
    if (line === "") continue;
    const m = JSON.parse(line);
    out += `${JSON.stringify({ id: m.id, value: fn(m.input) })}\n`;
  }
  return out;
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
