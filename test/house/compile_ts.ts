/**
 * Compile snippets of TypeScript against the package source, as a user's modules would: each is
 * written as a module in a directory of its own under .tmp/, `mpms`, `mpms/hono`, … resolve to
 * the repository's entry files, and the compiler's diagnostics are mapped back to where each
 * snippet came from. The compiler is loaded in-process (node_modules/typescript), so this runs on
 * Node, Bun and Deno alike.
 */
import { mkdirSync, readFileSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { fileURLToPath } from "node:url";

/** The repository's root directory. */
export const root: string = fileURLToPath(new URL("../../", import.meta.url));

/** One snippet to compile. */
export interface Snippet {
  /** Where it comes from, as diagnostics name it ("src/pool.ts"). */
  source: string;
  /** The line in `source` of the snippet's first line (1-based). */
  line: number;
  /** The snippet's code. */
  code: string;
}

/** Paths as the compiler writes them. */
const slashes = (path: string): string => path.replaceAll("\\", "/");

/**
 * `mpms` and its subpaths → the repository's source entry files, from package.json's exports; and
 * the JSR names (`@mpms/mpms`, `jsr:@mpms/mpms`, and their subpaths) from deno.json's exports.
 */
export function entryPaths(): Record<string, string[]> {
  const pkg = JSON.parse(readFileSync(join(root, "package.json"), "utf8")) as {
    name: string;
    exports: Record<string, string | { bun?: string }>;
  };
  const paths: Record<string, string[]> = {};
  for (const [subpath, target] of Object.entries(pkg.exports)) {
    const source = typeof target === "object" ? target.bun : undefined;
    if (source === undefined || !source.endsWith(".ts")) continue;
    paths[subpath === "." ? pkg.name : `${pkg.name}/${subpath.slice(2)}`] = [join(root, source)];
  }
  const deno = JSON.parse(readFileSync(join(root, "deno.json"), "utf8")) as {
    name: string;
    exports: Record<string, string>;
  };
  for (const [subpath, source] of Object.entries(deno.exports)) {
    const name = subpath === "." ? deno.name : `${deno.name}/${subpath.slice(2)}`;
    paths[name] = [join(root, source)];
    paths[`jsr:${name}`] = [join(root, source)];
  }
  return paths;
}

/**
 * Type-check `snippets` (each a module of its own, written to `dir`) with the repository's
 * tsconfig.json; returns the diagnostics as "source:line: message", empty when all compile.
 */
export async function compileSnippets(snippets: readonly Snippet[], dir: string): Promise<string[]> {
  const ts = (await import("typescript")).default;
  mkdirSync(dir, { recursive: true });
  const files = new Map<string, Snippet>();
  snippets.forEach((snippet, i) => {
    const file = join(
      dir,
      `${String(i).padStart(3, "0")}_${snippet.source.replace(/[^A-Za-z0-9]+/g, "_")}_${snippet.line}.ts`,
    );
    // `export {}` makes every snippet a module (top-level await, no global names shared).
    writeFileSync(file, `${snippet.code}\nexport {};\n`);
    files.set(slashes(file), snippet);
  });
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
  return ts.getPreEmitDiagnostics(program).map((d) => {
    const message = ts.flattenDiagnosticMessageText(d.messageText, "\n");
    if (!d.file || d.start === undefined) return message;
    const { line } = d.file.getLineAndCharacterOfPosition(d.start);
    const at = files.get(slashes(d.file.fileName));
    return at ? `${at.source}:${at.line + line}: ${message}` : `${d.file.fileName}:${line + 1}: ${message}`;
  });
}
