// Job behaviours for bench/acceptance/bullmq_5000.mjs. Input: { kind, id, dir, ms? }.
// Every execution writes `<dir>/start/<id>.<random>` = {"node":pid,"at":ms} when it starts; a job
// that completes writes `<dir>/done/<id>.<random>` the same way. So the script can count how often
// each job ran, on which node, and how often it completed (two done markers: it completed twice).
import { writeFileSync } from "node:fs";
import { isMainThread } from "node:worker_threads";

// a thread worker runs inside the node (its pid); a process worker is the node's child
const node = isMainThread ? process.ppid : process.pid;

function mark(dir, kind, id) {
  writeFileSync(
    `${dir}/${kind}/${id}.${Math.random().toString(36).slice(2)}`,
    JSON.stringify({ node, at: Date.now() }),
  );
}

function spin(ms) {
  const until = performance.now() + ms;
  while (performance.now() < until) {
    // busy: blocks this worker's event loop
  }
}

export default async function job(input) {
  mark(input.dir, "start", input.id);
  switch (input.kind) {
    case "ok":
      break;
    case "cpu":
      spin(input.ms);
      break;
    case "throw":
      throw new TypeError(`bad input ${input.id}`);
    case "hang":
      return await new Promise(() => {}); // ignores ctx.signal: only the kill after the time limit stops it
    case "exit":
      process.exit(3);
      break;
    default:
      throw new Error(`unknown kind ${input.kind}`);
  }
  mark(input.dir, "done", input.id);
  return { id: input.id, kind: input.kind };
}
