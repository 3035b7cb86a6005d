/**
 * Behaviour 25 and principle 3 (no orphans), for the cases the channel alone cannot catch: the host
 * is SIGKILLed while its workers spin in `for(;;){}` (their event loop never sees the channel end)
 * or wait on a subprocess of their own (`sleep 60`). The watchdog thread of each worker ends it and
 * its process group within WATCHDOG_BOUND_MS (docs/adapters.md: 1 s).
 */
import { describe, expect, it } from "vitest";
import { childPids, fixture, processAdapters, waitFor } from "../helpers.ts";
import { isAlive, killLeftovers } from "./pids.ts";
import { firstLine, runScript } from "./run_script.ts";

/** The documented bound, plus room for a loaded 2-core machine to schedule the watchdog thread. */
const WATCHDOG_BOUND_MS = 1_000;
const LOAD_MARGIN_MS = 1_000;

const cases = processAdapters.flatMap((adapter) => ["spinWithChild", "awaitChild"].map((task) => ({ adapter, task })));

describe.each(cases)("a SIGKILLed host, $adapter workers running $task", ({ adapter, task }) => {
  it("leaves no worker and no subprocess of a task behind", async () => {
    const host = runScript(fixture("process/orphan_busy_host.ts"), [adapter, task]);
    const ours: number[] = [];
    try {
      const workers = JSON.parse(await firstLine(host, 20_000)) as number[];
      expect(workers).toHaveLength(2);
      ours.push(...workers);
      // each task has started its `sleep 60` (a descendant of its worker)
      await waitFor(() => workers.every((pid) => childPids(pid).length > 0), 10_000, "the tasks' subprocesses");
      ours.push(...workers.flatMap((pid) => childPids(pid)));
      expect(ours.every(isAlive)).toBe(true);
      process.kill(host.pid as number, "SIGKILL");
      const killedAt = performance.now();
      await waitFor(() => ours.every((pid) => !isAlive(pid)), WATCHDOG_BOUND_MS + LOAD_MARGIN_MS, "no process of ours");
      expect(performance.now() - killedAt).toBeLessThan(WATCHDOG_BOUND_MS + LOAD_MARGIN_MS);
    } finally {
      killLeftovers([...ours, host.pid as number]);
    }
  });
});
