/**
 * The import graph of the package source keeps the layout docs/architecture.md describes. Floors,
 * lowest first: src/util/ (generic helpers); the shared contracts at the top of src/ (adapter
 * seam, protocol, errors, transfer); src/shutdown/ and src/worker/; src/pool/; src/admin/,
 * src/cli/, src/bullmq/; runtimes/; the entry files and bin/. A file imports only from its own
 * floor or lower ones, shutdown imports nothing of the pool, and no value imports go round in a
 * circle (type-only imports are erased, so two records naming each other's types are fine).
 */
import { readdirSync, readFileSync, statSync } from "node:fs";
import { dirname, join, normalize, relative } from "node:path";
import { fileURLToPath } from "node:url";
import { describe, expect, it } from "vitest";

const root = fileURLToPath(new URL("../..", import.meta.url));

interface Edge {
  to: string;
  typeOnly: boolean;
}

function sources(dir: string): string[] {
  const out: string[] = [];
  for (const name of readdirSync(join(root, dir))) {
    const path = join(dir, name);
    if (statSync(join(root, path)).isDirectory()) out.push(...sources(path));
    else if (name.endsWith(".ts") && !name.endsWith(".d.ts")) out.push(path);
  }
  return out;
}

const ENTRY_FILES = ["mod.ts", "hono.ts", "admin.ts", "web.ts", "bullmq.ts", "adapter.ts"];
const files = [...ENTRY_FILES, ...sources("src"), ...sources("runtimes"), ...sources("bin")].map((f) =>
  f.split("\\").join("/"),
);

const IMPORT = /(?:^|\n)\s*(import|export)\s+(type\s+)?(?:[^;"']*?\sfrom\s+)?["'](\.[^"']+)["']/g;
const DYNAMIC = /import\(\s*["'](\.[^"']+)["']\s*\)/g;

function edges(file: string): Edge[] {
  const text = readFileSync(join(root, file), "utf8");
  const out: Edge[] = [];
  const resolve = (spec: string): string =>
    normalize(join(dirname(file), spec))
      .split("\\")
      .join("/");
  for (const m of text.matchAll(IMPORT)) out.push({ to: resolve(m[3] as string), typeOnly: m[2] !== undefined });
  for (const m of text.matchAll(DYNAMIC)) out.push({ to: resolve(m[1] as string), typeOnly: false });
  return out;
}

/** The floor of a file: higher floors may import lower ones, never the reverse. */
function floor(file: string): number {
  if (file.startsWith("src/util/")) return 0;
  if (file.startsWith("src/") && file.split("/").length === 2) return 1;
  if (file.startsWith("src/shutdown/") || file.startsWith("src/worker/")) return 2;
  if (file.startsWith("src/pool/")) return 3;
  if (/^src\/(admin|cli|bullmq)\//.test(file)) return 4;
  if (file.startsWith("runtimes/")) return 5;
  return 6;
}

const graph = new Map(files.map((f) => [f, edges(f)]));

describe("the import graph", () => {
  it("reads the whole package source", () => {
    expect(files.length).toBeGreaterThan(100);
    expect(graph.get("src/pool/pool.ts")?.some((e) => e.to === "src/pool/engine.ts")).toBe(true);
  });

  it("every import resolves to a file of the package", () => {
    const missing = [...graph].flatMap(([f, es]) => es.filter((e) => !graph.has(e.to)).map((e) => `${f} -> ${e.to}`));
    expect(missing).toEqual([]);
  });

  it("no file imports from a higher floor", () => {
    const up = [...graph].flatMap(([f, es]) =>
      es.filter((e) => floor(e.to) > floor(f)).map((e) => `${f} (floor ${floor(f)}) -> ${e.to} (floor ${floor(e.to)})`),
    );
    expect(up).toEqual([]);
  });

  it("src/ never imports runtimes/, and shutdown nothing of the pool", () => {
    const bad = [...graph].flatMap(([f, es]) =>
      es
        .filter(
          (e) =>
            (f.startsWith("src/") && e.to.startsWith("runtimes/")) ||
            (f.startsWith("src/shutdown/") && e.to.startsWith("src/pool/")),
        )
        .map((e) => `${f} -> ${e.to}`),
    );
    expect(bad).toEqual([]);
  });

  it("no value imports go round in a circle", () => {
    const state = new Map<string, "open" | "done">();
    const circles: string[] = [];
    const visit = (file: string, path: string[]): void => {
      state.set(file, "open");
      path.push(file);
      for (const e of graph.get(file) ?? []) {
        if (e.typeOnly || !graph.has(e.to)) continue;
        const seen = state.get(e.to);
        if (seen === "open") circles.push([...path.slice(path.indexOf(e.to)), e.to].join(" -> "));
        else if (seen === undefined) visit(e.to, path);
      }
      path.pop();
      state.set(file, "done");
    };
    for (const f of files) if (!state.has(f)) visit(f, []);
    expect(circles).toEqual([]);
  });

  it("entry files only re-export (no implementation)", () => {
    for (const entry of ENTRY_FILES) {
      const code = readFileSync(join(root, entry), "utf8")
        .replace(/\/\*[\s\S]*?\*\//g, "")
        .replace(/\/\/.*$/gm, "");
      const statements = code
        .split(/;\s*\n|\n(?=export|import)/)
        .map((s) => s.trim())
        .filter((s) => s !== "");
      const other = statements.filter(
        (s) => !/^(export|import)\s/.test(s) || /^export\s+(async\s+)?(function|class|const|let)\s/.test(s),
      );
      expect(other, `${relative(root, join(root, entry))}`).toEqual([]);
    }
  });
});
