/** `execPath` runs the children on another runtime than the host's (JSON channels work across). */
import { existsSync, realpathSync } from "node:fs";
import { delimiter, join } from "node:path";
import { fileURLToPath } from "node:url";
import { describe, expect, it } from "vitest";
import { Pool } from "../../mod.ts";
import { fixture, processAdapters, runtime, usePools } from "../helpers.ts";

const bin = (name: string): string =>
  realpathSync(fileURLToPath(new URL(`../../node_modules/.bin/${name}`, import.meta.url)));

function nodeBinary(): string | undefined {
  if (runtime === "node") return process.execPath;
  for (const dir of (process.env.PATH ?? "").split(delimiter)) {
    if (dir !== "" && existsSync(join(dir, "node"))) return join(dir, "node");
  }
  return undefined;
}

const binaries: Record<string, string | undefined> = { node: nodeBinary(), bun: bin("bun"), deno: bin("deno") };
const others = Object.keys(binaries).filter((name) => name !== runtime && binaries[name] !== undefined);
const crossAdapters = processAdapters.filter((name) => name !== "deno");

describe.each(crossAdapters)("execPath on the %s adapter", (adapter) => {
  const make = usePools();

  it.each(others)(`runs the children on %s`, async (child) => {
    const pool = make<unknown, unknown>({
      module: fixture("process/tasks.ts"),
      adapter,
      workers: 1,
      execPath: binaries[child],
    });
    expect(await pool.submit(null, { name: "runtimeName" })).toBe(child);
    expect(await pool.submit({ a: [1, "x", null] })).toEqual({ a: [1, "x", null] });
    await pool.close();
  });
});

describe.runIf(processAdapters.includes("deno"))("execPath on the deno adapter", () => {
  it("accepts a Deno binary and refuses another runtime's", async () => {
    const ok = new Pool({ module: fixture("process/tasks.ts"), adapter: "deno", workers: 1, execPath: bin("deno") });
    expect(await ok.submit(null, { name: "runtimeName" })).toBe("deno");
    await ok.close();
    const wrong = new Pool({ module: fixture("process/tasks.ts"), adapter: "deno", workers: 1, execPath: bin("bun") });
    const err = await wrong.start().catch((e: unknown) => e);
    expect(String((err as Error).message)).toMatch(/adapter "deno" runs Deno children/);
    await wrong.close();
  });
});
