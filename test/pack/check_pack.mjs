// Packs the library with `npm pack`, installs the tarball into a scratch folder, and runs one
// task from plain Node through the package's exports: proves dist/ and "exports" are right.
import { execFileSync } from "node:child_process";
import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";

const root = new URL("../../", import.meta.url).pathname;
const scratch = mkdtempSync(join(tmpdir(), "mpms-pack-"));
try {
  const out = execFileSync("npm", ["pack", "--silent", "--pack-destination", scratch], { cwd: root, encoding: "utf8" });
  const tarball = join(scratch, out.trim().split("\n").pop());
  writeFileSync(join(scratch, "package.json"), JSON.stringify({ name: "scratch", private: true, type: "module" }));
  execFileSync("npm", ["install", "--silent", "--no-audit", "--no-fund", "--ignore-scripts", tarball], {
    cwd: scratch,
    stdio: "inherit",
  });
  writeFileSync(join(scratch, "task.js"), "export default (n) => n * 2;\n");
  writeFileSync(
    join(scratch, "main.js"),
    [
      'import { Pool, TaskError } from "mpms";',
      'const pool = new Pool({ module: new URL("./task.js", import.meta.url), workers: 1 });',
      "await pool.start();",
      "const value = await pool.submit(21);",
      "await pool.close();",
      "if (value !== 42 || typeof TaskError !== 'function') { console.error('unexpected', value); process.exit(1); }",
      'console.log("pack check: the packed tarball ran a task on Node:", value);',
      // The browser entry resolves too (its pool refuses to start on Node: no global Worker).
      'const web = await import("mpms/web");',
      'const refused = await new web.Pool({ module: new URL("./task.js", import.meta.url), workers: 1 }).start().then(() => "started", (e) => e.message);',
      "if (!/needs a global Worker/.test(refused)) { console.error('mpms/web on Node:', refused); process.exit(1); }",
      'console.log("pack check: mpms/web resolves; on Node its pool refuses clearly");',
      // The adapter authors' entry: the seam, the registry (built-ins registered) and the worker side.
      'const adapter = await import("mpms/adapter");',
      "if (typeof adapter.runWorker !== 'function' || !adapter.adapterNames().includes('thread')) { console.error('mpms/adapter:', Object.keys(adapter)); process.exit(1); }",
      'console.log("pack check: mpms/adapter resolves:", adapter.adapterNames().join(", "));',
    ].join("\n"),
  );
  execFileSync("node", ["main.js"], { cwd: scratch, stdio: "inherit", timeout: 30_000 });
  // The "bin" field: the installed package's CLI runs.
  const help = execFileSync("npx", ["--no-install", "mpms", "--help"], {
    cwd: scratch,
    encoding: "utf8",
    timeout: 30_000,
  });
  if (!/mpms run <task-module>/.test(help)) {
    console.error("unexpected `npx mpms --help` output:\n", help);
    process.exit(1);
  }
  console.log("pack check: `npx mpms --help` works from the installed tarball");
} finally {
  rmSync(scratch, { recursive: true, force: true });
}
