/**
 * Every ```ts block of README.md and docs/*.md compiles against the package source: each is
 * written as a module under .tmp/, `mpms`, `mpms/hono`, … are mapped to the repository's entry
 * files (from package.json's exports), and the TypeScript compiler must report nothing.
 *
 * A block that assumes names from the text around it says so in an HTML comment right above it
 * (invisible on GitHub), whose content is put before the block:
 *
 *   <!-- ts-context: import { Pool } from "mpms"; declare const pool: Pool; -->
 *
 * A sketch that is not meant to compile (an interface outline) is fenced as ```ts no-check.
 *
 * The compiler is loaded in-process (node_modules/typescript), so this runs on Node, Bun and Deno
 * alike (about 15-25 s each on two cores).
 */
import { mkdirSync, readdirSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import { afterAll, describe, expect, it } from "vitest";
import { entryPaths } from "./compile_ts.ts";

const root = fileURLToPath(new URL("../../", import.meta.url));

interface Block {
  /** The markdown file ("README.md", "docs/admin.md"). */
  source: string;
  /** The line of the block's first line of code (1-based). */
  line: number;
  code: string;
  /** Lines put before the block (its ts-context). */
  context: string;
}

const FENCE = /^(\s*)```(ts|typescript)(?:\s+(.*))?$/;
const CONTEXT = /<!--\s*ts-context:?([\s\S]*?)-->\s*$/;

/** Paths as the compiler writes them. */
const slashes = (path: string): string => path.replaceAll("\\", "/");

/** The checked TypeScript blocks of one markdown text. */
function tsBlocks(source: string, text: string): Block[] {
  const lines = text.split("\n");
  const blocks: Block[] = [];
  for (let i = 0; i < lines.length; i++) {
    const open = FENCE.exec(lines[i] as string);
    if (!open) {
      // Skip over other fences, so a ```ts line quoted inside one is not taken for a block.
      const other = /^(\s*)```/.exec(lines[i] as string);
      if (other) {
        const indent = other[1] as string;
        while (++i < lines.length && (lines[i] as string).trimEnd() !== `${indent}\`\`\``);
      }
      continue;
    }
    const indent = open[1] as string;
    const start = i;
    const body: string[] = [];
    while (++i < lines.length && (lines[i] as string).trimEnd() !== `${indent}\`\`\``) {
      body.push((lines[i] as string).slice(indent.length));
    }
    if ((open[3] ?? "").split(/\s+/).includes("no-check")) continue;
    // A ts-context comment ends on the line right above the fence (it may span several lines).
    let context = "";
    if (start > 0 && (lines[start - 1] as string).trimEnd().endsWith("-->")) {
      let first = start - 1;
      while (first > 0 && !(lines[first] as string).includes("<!--")) first--;
      const comment = CONTEXT.exec(lines.slice(first, start).join("\n"));
      if (comment) context = (comment[1] as string).trim();
    }
    blocks.push({ source, line: start + 2, code: body.join("\n"), context });
  }
  return blocks;
}

/** README.md's blocks, then those of docs/*.md that README.md does not already hold. */
function allBlocks(): Block[] {
  const blocks = tsBlocks("README.md", readFileSync(join(root, "README.md"), "utf8"));
  const seen = new Set(blocks.map((b) => `${b.context}\n${b.code}`));
  for (const name of readdirSync(join(root, "docs")).sort()) {
    if (!name.endsWith(".md")) continue;
    for (const block of tsBlocks(`docs/${name}`, readFileSync(join(root, "docs", name), "utf8"))) {
      if (!seen.has(`${block.context}\n${block.code}`)) blocks.push(block);
    }
  }
  return blocks;
}

describe("README and docs TypeScript blocks", () => {
  const dir = join(root, ".tmp", `readme-types-${process.pid}`);
  afterAll(() => rmSync(dir, { recursive: true, force: true }));

  it("there are blocks, and each compiles with no diagnostics", { timeout: 120_000 }, async () => {
    const ts = (await import("typescript")).default;
    const blocks = allBlocks();
    expect(blocks.length).toBeGreaterThan(10);

    mkdirSync(dir, { recursive: true });
    const files = new Map<string, { block: Block; offset: number }>();
    for (const block of blocks) {
      const file = join(dir, `${block.source.replace(/[^A-Za-z0-9]+/g, "_")}_${block.line}.ts`);
      const head = block.context === "" ? "" : `${block.context}\n`;
      // `export {}` makes every block a module (top-level await, no global names shared).
      writeFileSync(file, `${head}${block.code}\nexport {};\n`);
      files.set(slashes(file), { block, offset: head.split("\n").length - 1 });
    }
    const config = {
      extends: join(root, "tsconfig.json"),
      compilerOptions: { noEmit: true, rootDir: root, paths: entryPaths() },
      include: ["*.ts"],
    };
    writeFileSync(join(dir, "tsconfig.json"), JSON.stringify(config, null, 2));
    const parsed = ts.getParsedCommandLineOfConfigFile(join(dir, "tsconfig.json"), undefined, {
      ...ts.sys,
      onUnRecoverableConfigFileDiagnostic: (d) => {
        throw new Error(ts.flattenDiagnosticMessageText(d.messageText, "\n"));
      },
    });
    if (!parsed) throw new Error("no tsconfig");
    const program = ts.createProgram(parsed.fileNames, parsed.options);
    const problems = ts.getPreEmitDiagnostics(program).map((d) => {
      const message = ts.flattenDiagnosticMessageText(d.messageText, "\n");
      if (!d.file || d.start === undefined) return message;
      const { line } = d.file.getLineAndCharacterOfPosition(d.start);
      const at = files.get(slashes(d.file.fileName));
      if (!at) return `${d.file.fileName}:${line + 1}: ${message}`;
      const { source, line: first } = at.block;
      const inBlock = line - at.offset;
      return inBlock < 0
        ? `${source}:${first} (the ts-context above): ${message}`
        : `${source}:${first + inBlock}: ${message}`;
    });
    expect(problems).toEqual([]);
  });
});
