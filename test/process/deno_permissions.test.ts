/**
 * Deno children inherit the host's permissions by default (as Deno's own Workers do); the
 * `permissions` option is a sandbox that narrows them, to which mpms adds read access to itself and
 * to the task module's project (found by its package.json), which a child needs to start.
 */
import { spawn } from "node:child_process";
import { mkdirSync, mkdtempSync, readFileSync, realpathSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { fileURLToPath, pathToFileURL } from "node:url";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { TaskError } from "../../mod.ts";
import { processAdapters, runtime, usePools } from "../helpers.ts";
import { allOutput } from "./run_script.ts";

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
        "/** Reads HOME and writes it to a file in `dir`: needs env and write access. */",
        "export async function envToFile(dir: string): Promise<string> {",
        "  const deno = (globalThis as unknown as { Deno: { env: { get(n: string): string | undefined }; writeTextFile(p: string, t: string): Promise<void> } }).Deno;",
        '  const path = dir + "/home.txt";',
        '  await deno.writeTextFile(path, deno.env.get("HOME") ?? "");',
        "  return path;",
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

  it.each(denoChildren)("%s: by default a task may read variables, write files, read anything", async (adapter) => {
    // The first Deno child of a fresh clone transpiles mpms into Deno's cache (keyed by path):
    // on a loaded 2-core machine that has taken longer than the 10 s default.
    const pool = make<unknown, unknown>({ module, adapter, workers: 1, execPath, startTimeout: 45_000 });
    expect(await pool.submit(null)).toBe(42); // imports from a sibling folder of the module's
    const path = (await pool.submit(outside, { name: "envToFile" })) as string;
    expect(readFileSync(path, "utf8")).toBe(process.env.HOME ?? "");
    expect(await pool.submit(secret, { name: "read" })).toBe("s3cret");
    expect(await pool.submit("PATH", { name: "env" })).toBe(process.env.PATH);
    await pool.close();
  });

  it.each(denoChildren)("%s: `permissions` narrows: what it leaves out fails as a TaskError", async (adapter) => {
    const pool = make<unknown, unknown>({ module, adapter, workers: 1, execPath, permissions: [] });
    expect(await pool.submit(null)).toBe(42); // mpms and the module's project stay readable
    for (const [input, name] of [
      [outside, "envToFile"],
      [secret, "read"],
      ["PATH", "env"],
    ]) {
      const err = await pool.submit(input, { name }).catch((e: unknown) => e);
      expect(err).toBeInstanceOf(TaskError);
      expect((err as TaskError).name).toBe("NotCapable");
    }
    await pool.close();
  });

  it.each(denoChildren)("%s: `permissions` grants what it names, and only that", async (adapter) => {
    const pool = make<unknown, unknown>({
      module,
      adapter,
      workers: 1,
      execPath,
      env: { MPMS_GIVEN: "given" },
      permissions: ["--allow-env=MPMS_GIVEN", `--allow-read=${outside}`],
    });
    expect(await pool.submit("MPMS_GIVEN", { name: "env" })).toBe("given");
    expect(await pool.submit(secret, { name: "read" })).toBe("s3cret");
    expect(await pool.submit(null)).toBe(42); // a scoped --allow-read still covers the project
    const err = await pool.submit("PATH", { name: "env" }).catch((e: unknown) => e);
    expect((err as TaskError).name).toBe("NotCapable");
    await pool.close();
  });
});

describe("a Deno host with some permissions only", () => {
  it("children inherit them; a sandbox asking for more is refused, naming the flag", async () => {
    const deno = realpathSync(fileURLToPath(new URL("../../node_modules/.bin/deno", import.meta.url)));
    const script = fileURLToPath(new URL("../fixtures/process/narrow_deno_host.ts", import.meta.url));
    const host = spawn(deno, ["run", "--no-prompt", "--allow-read", "--allow-env", "--allow-run", script], {
      stdio: ["ignore", "pipe", "inherit"],
    });
    const { stdout, code } = await allOutput(host);
    expect(code).toBe(0);
    const report = JSON.parse(stdout.trim().split("\n").pop() ?? "") as Record<string, Record<string, string>>;
    expect(report.inherited).toEqual({ value: process.env.HOME ?? null });
    expect(report.narrowed).toEqual({ value: process.env.HOME ?? null });
    expect(report.wider?.error).toBe("WorkerStartError"); // start() rejects: the adapter refused
    expect(report.wider?.message).toContain('option "permissions": "--allow-net"');
  });
});
