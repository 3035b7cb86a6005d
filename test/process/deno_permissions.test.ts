/**
 * Deno children run with the permissions given in `permissions`; by default only read access to
 * the task module's project (found by its package.json) and to mpms, and to the variables in `env`.
 */
import { mkdirSync, mkdtempSync, realpathSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { fileURLToPath, pathToFileURL } from "node:url";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { TaskError } from "../../mod.ts";
import { processAdapters, runtime, usePools } from "../helpers.ts";

/** On a Deno host every process adapter runs Deno children by default; elsewhere execPath says so. */
const denoChildren = runtime === "deno" ? processAdapters : processAdapters.filter((name) => name === "process");
const execPath =
  runtime === "deno"
    ? undefined
    : realpathSync(fileURLToPath(new URL("../../node_modules/.bin/deno", import.meta.url)));

describe("permissions of Deno children", () => {
  const make = usePools();
  let project = "";
  let outside = "";
  let secret = "";
  let module: URL;
  beforeAll(() => {
    project = mkdtempSync(join(tmpdir(), "mpms-project-"));
    outside = mkdtempSync(join(tmpdir(), "mpms-outside-"));
    writeFileSync(join(project, "package.json"), "{}\n");
    mkdirSync(join(project, "lib"));
    mkdirSync(join(project, "tasks"));
    writeFileSync(join(project, "lib", "value.ts"), "export const value = 42;\n");
    writeFileSync(
      join(project, "tasks", "task.ts"),
      [
        'import { value } from "../lib/value.ts";',
        "export default function get(): number { return value; }",
        "export function read(path: string): Promise<string> {",
        "  return (globalThis as unknown as { Deno: { readTextFile(p: string): Promise<string> } }).Deno.readTextFile(path);",
        "}",
        "export function env(name: string): string | undefined {",
        "  return (globalThis as unknown as { Deno: { env: { get(n: string): string | undefined } } }).Deno.env.get(name);",
        "}",
        "",
      ].join("\n"),
    );
    secret = join(outside, "secret.txt");
    writeFileSync(secret, "s3cret");
    module = pathToFileURL(join(project, "tasks", "task.ts"));
  });
  afterAll(() => {
    rmSync(project, { recursive: true, force: true });
    rmSync(outside, { recursive: true, force: true });
  });

  it.each(denoChildren)("%s: by default the module's project is readable, other files are not", async (adapter) => {
    const pool = make<unknown, unknown>({ module, adapter, workers: 1, execPath });
    expect(await pool.submit(null)).toBe(42); // imports from a sibling folder of the module's
    const err = await pool.submit(secret, { name: "read" }).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(TaskError);
    expect((err as TaskError).name).toBe("NotCapable");
    await pool.close();
  });

  it.each(denoChildren)("%s: by default the variables given in `env` are readable, others are not", async (adapter) => {
    const pool = make<unknown, unknown>({ module, adapter, workers: 1, execPath, env: { MPMS_GIVEN: "given" } });
    expect(await pool.submit("MPMS_GIVEN", { name: "env" })).toBe("given");
    const err = await pool.submit("PATH", { name: "env" }).catch((e: unknown) => e);
    expect((err as TaskError).name).toBe("NotCapable");
    await pool.close();
  });

  it.each(denoChildren)("%s: `permissions` replaces the default", async (adapter) => {
    const pool = make<unknown, unknown>({
      module,
      adapter,
      workers: 1,
      execPath,
      permissions: ["--allow-read"],
    });
    expect(await pool.submit(secret, { name: "read" })).toBe("s3cret");
    await pool.close();
  });
});
