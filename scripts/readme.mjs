/**
 * README.md is assembled from docs/: readme_core.md, then the topic pages (each demoted so its top
 * heading is ##, links rebased from docs/ to the repo root), then readme_tail.md.
 *   node scripts/readme.mjs          write README.md
 *   node scripts/readme.mjs --check  exit 1 if README.md is not what the docs assemble to
 */
import { existsSync, readFileSync, writeFileSync } from "node:fs";

const root = new URL("../", import.meta.url);
const TOPICS = ["cli", "adapters", "shutdown", "admin", "performance", "guarantees"];
const read = (path) => readFileSync(new URL(path, root), "utf8").trimEnd();
const heading = /^(#{1,6}) /;

/** Shift headings outside code fences so the page's top heading becomes ##. */
function demote(text) {
  const lines = text.split("\n");
  let fence = false;
  const levels = [];
  for (const line of lines) {
    if (line.trimStart().startsWith("```")) fence = !fence;
    const m = fence ? null : heading.exec(line);
    if (m) levels.push(m[1].length);
  }
  const shift = levels.length > 0 ? 2 - Math.min(...levels) : 0;
  fence = false;
  return lines
    .map((line) => {
      if (line.trimStart().startsWith("```")) fence = !fence;
      const m = fence ? null : heading.exec(line);
      return m ? "#".repeat(m[1].length + shift) + line.slice(m[1].length) : line;
    })
    .join("\n");
}

/** Links relative to docs/ become relative to the repo root. */
function rebase(text) {
  return text.replace(/\[([^\]]*)\]\(([^)\s]+)\)/g, (all, label, target) => {
    if (/^(https?:|#|\/|mailto:)/.test(target)) return all;
    return `[${label}](${target.startsWith("../") ? target.slice(3) : `docs/${target}`})`;
  });
}

export function assemble() {
  const parts = [read("docs/readme_core.md")];
  for (const topic of TOPICS) {
    const path = `docs/${topic}.md`;
    if (existsSync(new URL(path, root))) parts.push(rebase(demote(read(path))));
  }
  parts.push(read("docs/readme_tail.md"));
  return `${parts.join("\n\n")}\n`;
}

const readme = new URL("README.md", root);
if (process.argv.includes("--check")) {
  if (readFileSync(readme, "utf8") !== assemble()) {
    console.error("README.md is out of date: run `npm run readme`");
    process.exit(1);
  }
} else {
  writeFileSync(readme, assemble());
}
