/**
 * README.md is the front page; the manual is docs/. README.md is assembled from
 * docs/readme_core.md, then a "Documentation" list of the pages below (each page's title, taken
 * from its first heading, and the description given here), then docs/readme_tail.md.
 *   node scripts/readme.mjs          write README.md
 *   node scripts/readme.mjs --check  exit 1 if README.md is not what docs/ assembles to, if a page of
 *                                    docs/ is not in PAGES (or one in PAGES is missing), or if a
 *                                    relative link in README.md, CONTRIBUTING.md or docs/ points to
 *                                    a file or a heading that does not exist
 */
import { existsSync, readdirSync, readFileSync, writeFileSync } from "node:fs";

const root = new URL("../", import.meta.url);

/** The pages of docs/, in the order the README lists them, with what each is for. */
const PAGES = [
  ["api.md", "the pool, the task module, priorities, transfer, resource limits, progress, outcomes, errors, events"],
  ["supervision.md", "recycling, ages, memory, graceful die, timeouts, heartbeats, crash loops"],
  ["adapters.md", "threads, processes, Web Workers: what each isolates, can stop, and carries"],
  ["shutdown.md", "`Shutdown`: signals, phases, one deadline, the report; `mpms/hono`; Kubernetes and systemd"],
  ["admin.md", "`mpms/admin`: probes, Prometheus metrics, stats, control routes, dashboard"],
  ["cli.md", "`mpms run`: NDJSON in and out, retries, progress, resume, exit codes"],
  ["distributed.md", "`mpms/bullmq`: a BullMQ queue on Redis with a pool on every node"],
  ["migrating.md", "the options of piscina, tinypool, workerpool and poolifier in mpms's words"],
  ["performance.md", "benchmarks against the other pools and the raw floors, tuning, how to reproduce"],
  ["guarantees.md", "what the chaos, property, fault and soak suites prove; bugs they found; status"],
  ["behaviours.md", "the numbered scenarios and the outcome each must have"],
  ["architecture.md", "modules, the adapter seam, the protocol, a task's life"],
];
/** Pages of docs/ that are parts of README.md, not pages of the manual. */
const PARTS = ["readme_core.md", "readme_tail.md"];

const read = (path) => readFileSync(new URL(path, root), "utf8");

/** The lines of a markdown text outside code fences, with their index. */
function prose(text) {
  const out = [];
  let fence = null;
  text.split("\n").forEach((line, i) => {
    const open = /^\s*(```+|~~~+)/.exec(line);
    if (open) {
      if (fence === null) fence = open[1];
      else if (line.trim().startsWith(fence)) fence = null;
      return;
    }
    if (fence === null) out.push([line, i]);
  });
  return out;
}

/** A page's title: its first heading, without the #s. */
function title(page) {
  for (const [line] of prose(read(`docs/${page}`))) {
    const m = /^#{1,6} (.*)$/.exec(line);
    if (m) return m[1].trim();
  }
  throw new Error(`docs/${page} has no heading`);
}

export function assemble() {
  const list = PAGES.map(([page, what]) => `- [${title(page)}](docs/${page}): ${what}.`);
  const parts = [read("docs/readme_core.md").trimEnd(), ["## Documentation", "", ...list].join("\n")];
  parts.push(read("docs/readme_tail.md").trimEnd());
  return `${parts.join("\n\n")}\n`;
}

/** GitHub's anchors for the headings of a markdown text. */
function anchors(text) {
  const seen = new Map();
  const out = new Set();
  for (const [line] of prose(text)) {
    const m = /^#{1,6} (.*)$/.exec(line);
    const html = [...line.matchAll(/<a\s+(?:id|name)="([^"]+)"/g)].map((a) => a[1]);
    for (const id of html) out.add(id);
    if (!m) continue;
    const slug = m[1]
      .trim()
      .toLowerCase()
      .replace(/<[^>]+>/g, "")
      .replace(/[^\p{L}\p{N}\s_-]/gu, "")
      .replace(/\s/g, "-");
    const n = seen.get(slug) ?? 0;
    seen.set(slug, n + 1);
    out.add(n === 0 ? slug : `${slug}-${n}`);
  }
  return out;
}

/** Relative links of `file` (a path from the repo root) whose file or heading does not exist. */
function brokenLinks(file, text) {
  const problems = [];
  const base = new URL(file, root);
  for (const [line, i] of prose(text)) {
    const code = line.replace(/`[^`]*`/g, "");
    for (const m of code.matchAll(/\]\(([^)\s]+)(?:\s+"[^"]*")?\)/g)) {
      const target = m[1];
      if (/^[a-z][a-z0-9+.-]*:/i.test(target)) continue; // https:, mailto:, …
      const [path, hash] = target.split("#");
      const url = path === "" ? base : new URL(path, base);
      const where = `${file}:${i + 1}: ${target}`;
      if (!existsSync(url)) {
        problems.push(`${where}: no such file`);
        continue;
      }
      if (hash !== undefined && url.pathname.endsWith(".md")) {
        const own = url.href === base.href ? text : readFileSync(url, "utf8");
        if (!anchors(own).has(decodeURIComponent(hash))) problems.push(`${where}: no such heading`);
      }
    }
  }
  return problems;
}

function check() {
  const problems = [];
  const readme = read("README.md");
  if (readme !== assemble()) problems.push("README.md is out of date: run `npm run readme`");
  const listed = new Set([...PAGES.map(([page]) => page), ...PARTS]);
  const pages = readdirSync(new URL("docs/", root)).filter((name) => name.endsWith(".md"));
  for (const page of pages) {
    if (!listed.has(page)) problems.push(`docs/${page} is not in the PAGES list of scripts/readme.mjs`);
  }
  for (const page of listed) {
    if (!pages.includes(page)) problems.push(`scripts/readme.mjs lists docs/${page}, which does not exist`);
  }
  // The parts of README.md link from the repository root: they are checked in README.md.
  const manual = pages.filter((page) => !PARTS.includes(page)).map((page) => `docs/${page}`);
  const files = ["README.md", "CONTRIBUTING.md", ...manual];
  for (const file of files) {
    if (existsSync(new URL(file, root))) problems.push(...brokenLinks(file, read(file)));
  }
  return problems;
}

if (process.argv.includes("--check")) {
  const problems = check();
  for (const problem of problems) console.error(problem);
  if (problems.length > 0) process.exit(1);
} else {
  writeFileSync(new URL("README.md", root), assemble());
}
