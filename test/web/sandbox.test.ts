/**
 * Deno's per-worker sandbox on `adapter: "web"`: `permissions` (Deno CLI flags) becomes the
 * worker's `deno.permissions`. A task may read the folder it was given and is refused a file the
 * host reads. Without --unstable-worker-options on the host the pool refuses the option clearly
 * (Deno itself would end the host process).
 */

import { spawn } from "node:child_process";
import { mkdtempSync, realpathSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { fileURLToPath, pathToFileURL } from "node:url";
import { afterAll, describe, expect, it } from "vitest";
import { denoWorkerPermissions } from "../../runtimes/web_permissions.ts";
import { runtime } from "../helpers.ts";
import { allOutput } from "../process/run_script.ts";

const deno = realpathSync(fileURLToPath(new URL("../../node_modules/.bin/deno", import.meta.url)));
const host = fileURLToPath(new URL("./sandbox_host.ts", import.meta.url));

describe("Deno permission flags as a worker's deno.permissions", () => {
  it("translates kinds and lists; names not given are denied; -A inherits", () => {
    expect(denoWorkerPermissions(["--allow-read=/a,/b", "--allow-net", "--allow-env=HOME", "--no-prompt"])).toEqual({
      read: ["/a", "/b"],
      net: true,
      env: ["HOME"],
    });
    expect(denoWorkerPermissions(["--allow-read=/a", "--allow-read=/b"])).toEqual({ read: ["/a", "/b"] });
    expect(denoWorkerPermissions(["--allow-read", "--allow-read=/b"])).toEqual({ read: true });
    expect(denoWorkerPermissions([])).toEqual({});
    expect(denoWorkerPermissions(["--allow-write", "-A"])).toBe("inherit");
  });

  it("refuses what a worker cannot express, naming the flag", () => {
    expect(() => denoWorkerPermissions(["--deny-net"])).toThrow(/"--deny-net" has no Deno worker form/);
    expect(() => denoWorkerPermissions(["--allow-magic"])).toThrow(/"--allow-magic"/);
    expect(() => denoWorkerPermissions(["--allow-read="])).toThrow(/lists nothing/);
  });
});

// One Deno host process per case; the host runtime of the test does not matter, so run it once.
describe.skipIf(runtime !== "deno")("Deno's worker sandbox on the web adapter", () => {
  const project = mkdtempSync(join(tmpdir(), "mpms-web-sandbox-"));
  const outsideDir = mkdtempSync(join(tmpdir(), "mpms-web-outside-"));
  afterAll(() => {
    rmSync(project, { recursive: true, force: true });
    rmSync(outsideDir, { recursive: true, force: true });
  });
  const inside = join(project, "inside.txt");
  const outside = join(outsideDir, "secret.txt");
  writeFileSync(inside, "in");
  writeFileSync(outside, "s3cret");
  const task = join(project, "task.ts");
  writeFileSync(
    task,
    "export function read(path: string): Promise<string> {\n" +
      "  return (globalThis as unknown as { Deno: { readTextFile(p: string): Promise<string> } }).Deno.readTextFile(path);\n" +
      "}\n",
  );
  const run = async (flags: string[]): Promise<{ out: Record<string, unknown>; code: number | null }> => {
    const child = spawn(deno, ["run", "-A", ...flags, host, pathToFileURL(task).href, inside, outside, project], {
      stdio: ["ignore", "pipe", "inherit"],
    });
    const { stdout, code } = await allOutput(child);
    return { out: JSON.parse(stdout.trim().split("\n").pop() ?? "{}"), code };
  };

  it("a sandboxed task reads its folder and is refused a file the host reads", async () => {
    const { out, code } = await run(["--unstable-worker-options"]);
    expect(out).toEqual({ host: true, inside: "in", outside: "NotCapable" });
    expect(code).toBe(0);
  });

  it("without --unstable-worker-options the option is refused clearly and the host lives on", async () => {
    const { out, code } = await run([]);
    expect(out.host).toBe(true);
    expect(String(out.startError)).toMatch(/needs the Deno host to run with --unstable-worker-options/);
    expect(code).toBe(0);
  });
});
