/** Behaviour 25: a host SIGKILLed with busy process workers leaves no worker behind. */
import { describe, expect, it } from "vitest";
import { fixture, processAdapters, waitFor } from "../helpers.ts";
import { isAlive, killLeftovers, parentOf } from "./pids.ts";
import { firstLine, runScript } from "./run_script.ts";

describe.each(processAdapters)("orphans on the %s adapter", (adapter) => {
  it("SIGKILL to the host with 4 busy workers: every worker exits within 5 s", async () => {
    const host = runScript(fixture("process/orphan_host.ts"), [adapter]);
    let pids: number[] = [];
    try {
      pids = JSON.parse(await firstLine(host)) as number[];
      expect(pids).toHaveLength(4);
      for (const pid of pids) {
        expect(isAlive(pid)).toBe(true);
        expect(parentOf(pid)).toBe(host.pid);
      }
      process.kill(host.pid as number, "SIGKILL");
      await waitFor(() => pids.every((pid) => !isAlive(pid)), 5_000, "the orphaned workers to exit");
    } finally {
      killLeftovers([...pids, host.pid as number]);
    }
  });
});
