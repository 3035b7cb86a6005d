/** The README's examples really run, on the runtime running this test. */
import { execFileSync } from "node:child_process";
import { describe, expect, it } from "vitest";
import { runtime } from "./helpers.ts";

const root = new URL("../", import.meta.url).pathname;

function run(file: string): string {
  const bin = (name: string): string => `${root}node_modules/.bin/${name}`;
  const [cmd, args] =
    runtime === "deno"
      ? [bin("deno"), ["run", "-A", file]]
      : runtime === "bun"
        ? [bin("bun"), [file]]
        : ["node", file.endsWith(".ts") ? ["--import", "tsx", file] : [file]];
  return execFileSync(cmd, args, { cwd: root, encoding: "utf8", timeout: 60_000 });
}

describe("README examples", () => {
  it("quick start (TypeScript)", () => {
    const out = run("examples/quickstart/main.ts");
    expect(out).toContain("hello-deno-bun-and-node");
    expect(out).toMatch(/^3$/m);
    expect(out).toContain("a-b\nc-d\ne-f");
    expect(out).toContain("true TypeError");
    expect(out).toMatch(/"completed":5,"failed":1/);
  });

  it.runIf(runtime === "node")("quick start (JavaScript, built package)", () => {
    const out = run("examples/quickstart/main.mjs");
    expect(out).toContain("400");
    expect(out).toContain("[ 1, 4, 9 ]");
  });

  it("supervision tour", () => {
    const out = run("examples/supervision.ts");
    expect(out).toContain("timeout: true");
    expect(out).toContain("graceful die: WorkerGracefulDie");
    expect(out).toContain("crash: true 3");
    const retired = JSON.parse(out.split("retirements:")[1] as string) as Record<string, number>;
    expect(retired.maxTasks).toBeGreaterThanOrEqual(3);
    expect(retired.timeout).toBe(1);
    expect(retired.gracefulDie).toBe(1);
    expect(retired.crash).toBe(1);
  });
});
