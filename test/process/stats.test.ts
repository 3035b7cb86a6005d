/** stats() of process workers: the child's pid, and its RSS as memory after a heartbeat. */
import { readFileSync } from "node:fs";
import { describe, expect, it } from "vitest";
import { fixture, processAdapters, usePools, waitFor } from "../helpers.ts";
import { groupOf, parentOf } from "./pids.ts";

/** VmRSS of `pid` in bytes, from /proc. */
function vmRss(pid: number): number {
  const line = readFileSync(`/proc/${pid}/status`, "utf8").match(/^VmRSS:\s+(\d+) kB$/m);
  return Number(line?.[1]) * 1024;
}

describe.each(processAdapters)("stats of the %s adapter", (adapter) => {
  const make = usePools();

  it("shows each worker's pid (a child of this process, in its own process group) and its RSS after a heartbeat", async () => {
    const pool = make<unknown, unknown>({
      module: fixture("process/tasks.ts"),
      adapter,
      workers: 2,
      heartbeat: { interval: 20, timeout: 5_000 },
    });
    await pool.start();
    const workers = pool.stats().workers;
    const pids = workers.map((w) => w.pid as number);
    expect(new Set(pids).size).toBe(2);
    for (const pid of pids) {
      expect(pid).not.toBe(process.pid);
      expect(parentOf(pid)).toBe(process.pid);
      // its own process group (detached): a terminal's Ctrl-C reaches the host only
      expect(groupOf(pid)).toBe(pid);
      expect(groupOf(pid)).not.toBe(groupOf(process.pid));
    }
    expect(workers.every((w) => w.threadId === null)).toBe(true);
    await waitFor(() => pool.stats().workers.every((w) => w.memory !== null), 2_000, "a heartbeat from each worker");
    for (const w of pool.stats().workers) {
      const reported = w.memory as number;
      const actual = vmRss(w.pid as number);
      // RSS, not heap: a runtime's resident set is tens of MB; allow for growth between samples
      expect(reported).toBeGreaterThan(10 * 1024 * 1024);
      expect(reported).toBeGreaterThan(actual * 0.5);
      expect(reported).toBeLessThan(actual * 1.5);
    }
    // the worker measures its own RSS the same way
    const own = (await pool.submit(null, { name: "rss" })) as number;
    expect(own).toBeGreaterThan(10 * 1024 * 1024);
    await pool.close();
  });
});
