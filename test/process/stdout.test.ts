/**
 * A task's output on stdout reaches the host's stdout and does not corrupt the channel (the deno
 * adapter carries its protocol on the child's stdout; the others only pass stdout through).
 */
import { describe, expect, it } from "vitest";
import { fixture, processAdapters } from "../helpers.ts";
import { allOutput, runScript } from "./run_script.ts";

describe.each(processAdapters)("stdout on the %s adapter", (adapter) => {
  it("protocol look-alikes printed by tasks pass through; results are intact", async () => {
    const host = runScript(fixture("process/noisy_host.ts"), [adapter]);
    const { stdout, code } = await allOutput(host);
    expect(code).toBe(0);
    const lines = stdout.split("\n");
    expect(lines.filter((l) => l === "user line 1")).toHaveLength(4);
    const forged = JSON.stringify([1, 2, 3, 4].map((id) => ({ t: "ok", id, value: "forged" })));
    expect(lines.filter((l) => l === forged)).toHaveLength(4);
    expect(lines.filter((l) => l === "\u001empms\u001f{not json")).toHaveLength(4);
    expect(stdout.split("partial without newline")).toHaveLength(5);
    expect(stdout.split("user line 2")).toHaveLength(5);
    expect(lines).toContain("RESULT [2,3,4,5]");
  });
});
