#!/usr/bin/env node
/**
 * Summarize V8 .cpuprofile files (from `node bench/run.mjs --cpu-prof ...`): per thread, the
 * share of time per source file and the top self-time functions.
 *
 *   node bench/profile.mjs <dir or .cpuprofile>... [--top N]
 */
import { readdirSync, readFileSync, statSync } from "node:fs";
import { basename } from "node:path";

function files(args) {
  const out = [];
  for (const a of args) {
    if (statSync(a).isDirectory()) {
      for (const f of readdirSync(a).sort()) if (f.endsWith(".cpuprofile")) out.push(`${a}/${f}`);
    } else out.push(a);
  }
  return out;
}

/** Where a frame's code lives, coarse enough to compare a pool with the raw floor. */
function area(url, fn) {
  if (!url) return fn.startsWith("(") ? fn : "(native)";
  if (url.includes("/dist/src/")) return `mpms ${url.slice(url.indexOf("/dist/") + 1)}`;
  if (url.includes("/dist/runtimes/")) return `mpms ${url.slice(url.indexOf("/dist/") + 1)}`;
  if (url.includes("/node_modules/")) return `peer ${url.slice(url.lastIndexOf("/node_modules/") + 14).split("/")[0]}`;
  if (url.includes("/bench/")) return `bench ${url.slice(url.indexOf("/bench/") + 7)}`;
  if (url.startsWith("node:")) return url;
  return basename(url);
}

export function summarize(path, top) {
  const prof = JSON.parse(readFileSync(path, "utf8"));
  const byId = new Map(prof.nodes.map((n) => [n.id, n]));
  const self = new Map();
  // timeDeltas[i] is the time before sample i; attribute it to that sample's node.
  for (let i = 0; i < prof.samples.length; i++) {
    const id = prof.samples[i];
    self.set(id, (self.get(id) ?? 0) + (prof.timeDeltas[i] ?? 0));
  }
  let total = 0;
  const fns = new Map();
  const areas = new Map();
  for (const [id, us] of self) {
    const { functionName, url, lineNumber } = byId.get(id).callFrame;
    const name = functionName || "(anonymous)";
    total += us;
    const key =
      `${name} ${url ? `${area(url, name).replace(/^(mpms|peer|bench) /, "")}:${lineNumber + 1}` : ""}`.trim();
    fns.set(key, (fns.get(key) ?? 0) + us);
    const a = area(url, name);
    areas.set(a, (areas.get(a) ?? 0) + us);
  }
  const idle = (areas.get("(idle)") ?? 0) + (areas.get("(program)") ?? 0);
  const pct = (us) => `${((us / total) * 100).toFixed(1)}%`;
  const lines = [`${basename(path)}: ${(total / 1000).toFixed(0)} ms sampled, ${pct(idle)} idle/program`];
  lines.push("  by area:");
  for (const [a, us] of [...areas].sort((x, y) => y[1] - x[1]).slice(0, 12)) {
    lines.push(`    ${pct(us).padStart(6)} ${(us / 1000).toFixed(0).padStart(6)} ms  ${a}`);
  }
  lines.push(`  top ${top} self-time functions:`);
  for (const [k, us] of [...fns].sort((x, y) => y[1] - x[1]).slice(0, top)) {
    lines.push(`    ${pct(us).padStart(6)} ${(us / 1000).toFixed(0).padStart(6)} ms  ${k}`);
  }
  return lines.join("\n");
}

const argv = process.argv.slice(2);
const topIndex = argv.indexOf("--top");
const top = topIndex >= 0 ? Number(argv.splice(topIndex, 2)[1]) : 15;
if (argv.length === 0) {
  console.error("usage: node bench/profile.mjs <dir or .cpuprofile>... [--top N]");
  process.exit(2);
}
for (const f of files(argv)) console.log(`${summarize(f, top)}\n`);
