#!/usr/bin/env node
/**
 * Hot-path proposals as patched copies of the build in bench/dist, to measure them against the
 * unpatched build in the same run (`node bench/run.mjs --dist <copy>`). Each patch is a plain
 * text replacement in the tsc output and fails loudly when the code it targets has changed:
 * then the proposal has to be re-expressed against the new code (or was taken up already).
 *
 *   node bench/experiments/patch_variants.mjs [outDir]   (default: $TMPDIR/mpms-variants)
 *
 * Writes <outDir>/lazy-signal, <outDir>/flat-wire, <outDir>/lazy-signal+flat-wire (a variant whose
 * patch no longer applies is skipped with a message). P1 (lazy signal) landed in 0949873.
 */
import { appendFileSync, cpSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";

const DIST = new URL("../dist/", import.meta.url).pathname;
const out = process.argv[2] ?? `${tmpdir()}/mpms-variants`;

function patch(dir, file, from, to) {
  const path = `${dir}/${file}`;
  const text = readFileSync(path, "utf8");
  if (!text.includes(from)) throw new Error(`${file}: the code this patch targets changed:\n${from}`);
  writeFileSync(path, text.replace(from, to));
}

/** P1: no AbortController per task; made on the first `ctx.signal` read or on an abort. */
function lazySignal(dir) {
  patch(
    dir,
    "src/worker/run_worker.js",
    `        const controller = new AbortController();
        this.running.set(task.id, controller);`,
    `        const slot = { c: null };
        this.running.set(task.id, slot);`,
  );
  patch(
    dir,
    "src/worker/run_worker.js",
    "{ signal: controller.signal, taskId: task.id, workerId: config.workerId }",
    "{ get signal() { return (slot.c ??= new AbortController()).signal; }, taskId: task.id, workerId: config.workerId }",
  );
  patch(
    dir,
    "src/worker/run_worker.js",
    "        this.running.get(id)?.abort(reasonError);",
    `        const slot = this.running.get(id);
        if (slot) (slot.c ??= new AbortController()).abort(reasonError);`,
  );
}

const CODEC = `// P2: "run" and "ok" as flat tuples; structured clone pays per object and property.
export function encodeToWorker(batch) {
  const out = [];
  for (const m of batch) {
    if (m.t === "run" && m.name === null) out.push(0, m.id, m.input);
    else out.push(2, m);
  }
  return out;
}
export function decodeToWorker(flat) {
  const out = [];
  for (let i = 0; i < flat.length; ) {
    if (flat[i] === 0) { out.push({ t: "run", id: flat[i + 1], name: null, input: flat[i + 2] }); i += 3; }
    else { out.push(flat[i + 1]); i += 2; }
  }
  return out;
}
export function encodeFromWorker(batch) {
  const out = [];
  for (const m of batch) {
    if (m.t === "ok") out.push(0, m.id, m.value);
    else out.push(2, m);
  }
  return out;
}
export function decodeFromWorker(flat) {
  const out = [];
  for (let i = 0; i < flat.length; ) {
    if (flat[i] === 0) { out.push({ t: "ok", id: flat[i + 1], value: flat[i + 2] }); i += 3; }
    else { out.push(flat[i + 1]); i += 2; }
  }
  return out;
}
`;

/** P2: the thread adapter carries run/ok messages as flat tuples (engine and runner unchanged). */
function flatWire(dir) {
  writeFileSync(`${dir}/runtimes/flat_codec.js`, CODEC);
  // Import declarations are hoisted, so appending them is enough.
  appendFileSync(`${dir}/runtimes/thread.js`, 'import { decodeFromWorker, encodeToWorker } from "./flat_codec.js";\n');
  appendFileSync(
    `${dir}/runtimes/thread_entry.js`,
    'import { decodeToWorker, encodeFromWorker } from "./flat_codec.js";\n',
  );
  patch(dir, "runtimes/thread.js", "request.onMessages(batch);", "request.onMessages(decodeFromWorker(batch));");
  patch(dir, "runtimes/thread.js", "worker.postMessage(batch);", "worker.postMessage(encodeToWorker(batch));");
  patch(dir, "runtimes/thread_entry.js", "port.postMessage(batch);", "port.postMessage(encodeFromWorker(batch));");
  patch(
    dir,
    "runtimes/thread_entry.js",
    'port.on("message", (batch) => handler(batch));',
    'port.on("message", (batch) => handler(decodeToWorker(batch)));',
  );
}

const variants = {
  "lazy-signal": [lazySignal],
  "flat-wire": [flatWire],
  "lazy-signal+flat-wire": [lazySignal, flatWire],
};
for (const [name, patches] of Object.entries(variants)) {
  const dir = `${out}/${name}`;
  rmSync(dir, { recursive: true, force: true });
  cpSync(DIST, dir, { recursive: true });
  try {
    for (const p of patches) p(dir);
    console.log(dir);
  } catch (err) {
    rmSync(dir, { recursive: true, force: true });
    console.error(`skipped ${name}: ${err.message.split("\n")[0]}`);
  }
}
