/**
 * Every ```ts block inside a JSDoc `@example` of the public API compiles against the package
 * source. The files read are the entry files (mod.ts, hono.ts, admin.ts, web.ts) and every module
 * they re-export from, followed through `export … from` (so the list follows the code when files
 * move). `mpms`, `mpms/hono`, … resolve to the entry files (see compile_ts.ts); each block is a
 * module of its own, so it imports what it uses.
 *
 * An `@example` must hold a fenced ```ts block (a sketch that is not meant to compile is fenced
 * as ```ts no-check), and the API's main symbols must each have one.
 */
import { readFileSync, rmSync } from "node:fs";
import { dirname, join, relative } from "node:path";
import { afterAll, describe, expect, it } from "vitest";
import { compileSnippets, root, type Snippet } from "./compile_ts.ts";

/** The entry files `deno doc --lint` checks. */
const ENTRIES = ["mod.ts", "hono.ts", "admin.ts", "web.ts"];

/** Symbols that must each have a compiled example (issue #14). */
const REQUIRED = [
  "Pool",
  "submit",
  "put",
  "map",
  "results",
  "close",
  "destroy",
  "Shutdown",
  "add",
  "drain",
  "serve",
  "createAdmin",
];

const REEXPORT = /export\s+(?:type\s+)?(?:\*(?:\s+as\s+\w+)?|\{[^}]*\})\s+from\s+"(\.{1,2}\/[^"]+\.ts)"/g;

/** The entry files and every module reached from them through `export … from`, as paths from the root. */
function publicModules(): string[] {
  const seen = new Set<string>();
  const visit = (file: string): void => {
    if (seen.has(file)) return;
    seen.add(file);
    const text = readFileSync(join(root, file), "utf8");
    for (const m of text.matchAll(REEXPORT)) {
      visit(relative(root, join(root, dirname(file), m[1] as string)).replaceAll("\\", "/"));
    }
  };
  for (const entry of ENTRIES) visit(entry);
  return [...seen].sort();
}

interface Example extends Snippet {
  /** The symbol the JSDoc block documents (the name on the line after it; "(module)" for a `@module` doc). */
  symbol: string;
}

const DECLARATION =
  /^\s*(?:export\s+)?(?:default\s+)?(?:declare\s+)?(?:abstract\s+)?(?:override\s+)?(?:static\s+)?(?:readonly\s+)?(?:async\s+)?(?:get\s+|set\s+)?(?:class|function\*?|interface|type|const|let|enum)?\s*\*?\s*([A-Za-z_$][\w$]*)/;

/** The `@example` blocks of one source text; `bad` collects examples without a ```ts block. */
function jsdocExamples(source: string, text: string, bad: string[] = []): Example[] {
  const examples: Example[] = [];
  for (const comment of text.matchAll(/\/\*\*([\s\S]*?)\*\//g)) {
    const startLine = text.slice(0, comment.index).split("\n").length; // line of the "/**"
    const after = text.slice((comment.index as number) + comment[0].length).split("\n");
    const next = after.slice(1).find((l) => l.trim() !== "" && !l.trim().startsWith("//")) ?? "";
    const declared = (after[0] as string).trim() !== "" ? (after[0] as string) : next;
    const symbol = /@module\b/.test(comment[1] as string)
      ? "(module)"
      : (DECLARATION.exec(declared)?.[1] ?? "(unknown)");
    const lines = (comment[1] as string).split("\n").map((l) => l.replace(/^\s*\* ?/, ""));
    let inExample = false;
    let exampleLine = 0;
    let fenced = false;
    for (let i = 0; i < lines.length; i++) {
      const line = lines[i] as string;
      const tag = /^\s*@(\w+)/.exec(line);
      if (tag) {
        if (inExample && !fenced) bad.push(`${source}:${exampleLine}: @example without a \`\`\`ts block`);
        inExample = tag[1] === "example";
        exampleLine = startLine + i;
        fenced = false;
        continue;
      }
      const open = /^\s*```(\w*)(?:\s+(.*))?$/.exec(line);
      if (!inExample || !open) continue;
      const body: string[] = [];
      const first = i + 1;
      while (++i < lines.length && (lines[i] as string).trim() !== "```") body.push(lines[i] as string);
      const lang = open[1] as string;
      if (lang !== "ts" && lang !== "typescript") continue;
      fenced = true;
      if ((open[2] ?? "").split(/\s+/).includes("no-check")) continue;
      examples.push({ source, line: startLine + first, code: body.join("\n"), symbol });
    }
    if (inExample && !fenced) bad.push(`${source}:${exampleLine}: @example without a \`\`\`ts block`);
  }
  return examples;
}

describe("JSDoc @example blocks of the public API", () => {
  const dir = join(root, ".tmp", `jsdoc-examples-${process.pid}`);
  afterAll(() => rmSync(dir, { recursive: true, force: true }));

  const bad: string[] = [];
  const examples = publicModules().flatMap((file) => jsdocExamples(file, readFileSync(join(root, file), "utf8"), bad));

  it("reads the entry files and what they re-export", () => {
    const modules = publicModules();
    expect(modules).toEqual(expect.arrayContaining(ENTRIES));
    expect(modules.length).toBeGreaterThan(20);
  });

  it("finds the examples of the extraction's own fixture", () => {
    const fixture = [
      "/**",
      " * Doc.",
      " * @example",
      " * ```ts",
      " * const a: number = 1;",
      " * ```",
      " * @example",
      " * ```ts no-check",
      " * sketch(",
      " * ```",
      " * @example",
      " * plain(text);",
      " */",
      "export async function* thing(): AsyncGenerator<number> {}",
    ].join("\n");
    const problems: string[] = [];
    expect(jsdocExamples("f.ts", fixture, problems)).toEqual([
      { source: "f.ts", line: 5, code: "const a: number = 1;", symbol: "thing" },
    ]);
    expect(problems).toEqual(["f.ts:11: @example without a ```ts block"]);
  });

  it("every @example holds a ```ts block", () => {
    expect(bad).toEqual([]);
  });

  it("the main symbols each have an example", () => {
    const documented = new Set(examples.map((e) => e.symbol));
    expect(REQUIRED.filter((name) => !documented.has(name))).toEqual([]);
  });

  it("every example compiles with no diagnostics", { timeout: 120_000 }, async () => {
    expect(examples.length).toBeGreaterThanOrEqual(REQUIRED.length);
    expect(await compileSnippets(examples, dir)).toEqual([]);
  });
});
