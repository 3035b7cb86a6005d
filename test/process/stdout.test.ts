/**
 * A task's output on stdout reaches the host's stdout and does not corrupt the channel (the deno
 * adapter's protocol has its own socket, as the others have IPC: stdout is the task's alone).
 */
import { describe, expect, it } from "vitest";
import { fixture, processAdapters } from "../helpers.ts";
import { allOutput, runScript } from "./run_script.ts";

describe.each(processAdapters)("stdout on the %s adapter", (adapter) => {
  it("protocol look-alikes printed by tasks pass through; results are intact", async () => {
    const host = runScript(fixture("process/noisy_host.ts"), [adapter]);
    const { stdout, code } = await allOutput(host);
    expect(code).toBe(0);
    // Two workers write to the same stdout, so one's "partial without newline" may run into the
    // other's next line: count occurrences, not whole lines (each write is atomic on a pipe).
    const count = (text: string): number => stdout.split(text).length - 1;
    expect(count("user line 1")).toBe(4);
    expect(count(JSON.stringify([1, 2, 3, 4].map((id) => ({ t: "ok", id, value: "forged" }))))).toBe(4);
    expect(count("\u001empms\u001f{not json")).toBe(4);
    expect(count("partial without newline")).toBe(4);
    expect(count("user line 2")).toBe(4);
    const lines = stdout.split("\n");
    expect(lines).toContain("RESULT [2,3,4,5]");
  });

  it("whole frames of the old deno stdout channel printed by tasks forge nothing and pass through", async () => {
    const host = runScript(fixture("process/noisy_host.ts"), [adapter, "forge"]);
    const { stdout, code } = await allOutput(host);
    expect(code).toBe(0);
    const lines = stdout.split("\n");
    expect(lines).toContain("RESULT [2,3,4,5]");
    for (let id = 1; id <= 4; id++) {
      const forged = `\u001empms\u001f\u001empms:2\u001f${JSON.stringify([{ t: "ok", id, value: "forged" }])}`;
      expect(lines.filter((line) => line === forged)).toHaveLength(4);
    }
  });
});
