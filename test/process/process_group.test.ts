/**
 * Kills reach a worker's whole process group: the subprocesses its tasks started (a `sleep 60`
 * standing in for ffmpeg) die with it on a timeout kill and on destroy(), instead of being
 * re-parented to init and living on.
 */
import { describe, expect, it } from "vitest";
import { TaskTimeoutError } from "../../mod.ts";
import { caught, childPids, fixture, processAdapters, usePools, waitFor } from "../helpers.ts";
import { isAlive, killLeftovers } from "./pids.ts";

const module = fixture("process/orphan_tasks.ts");

describe.each(processAdapters)("the process group of %s workers", (adapter) => {
  const make = usePools();

  /** The worker's pid and its task's subprocess, once that runs. */
  async function started(pool: { stats(): { workers: { pid: number | null }[] } }): Promise<number[]> {
    let pids: number[] = [];
    await waitFor(
      () => {
        const worker = pool.stats().workers[0]?.pid;
        pids = worker == null ? [] : [worker, ...childPids(worker)];
        return pids.length > 1;
      },
      10_000,
      "the task's subprocess",
    );
    return pids;
  }

  it("a timeout kill takes the task's subprocess along", async () => {
    const pool = make<null, unknown>({ module, adapter, workers: 1, killGrace: 100 });
    await pool.start();
    const task = pool.submit(null, { name: "spinWithChild", timeout: 500 }).catch(caught);
    const pids = await started(pool);
    try {
      expect(await task).toBeInstanceOf(TaskTimeoutError);
      await waitFor(() => pids.every((pid) => !isAlive(pid)), 5_000, "the worker and its subprocess");
    } finally {
      killLeftovers(pids);
    }
    await pool.close();
  });

  it("destroy() takes the tasks' subprocesses along", async () => {
    const pool = make<null, unknown>({ module, adapter, workers: 1 });
    await pool.start();
    const task = pool.submit(null, { name: "awaitChild" }).catch(caught);
    const pids = await started(pool);
    try {
      await pool.destroy();
      await task;
      await waitFor(() => pids.every((pid) => !isAlive(pid)), 5_000, "the worker and its subprocess");
    } finally {
      killLeftovers(pids);
    }
  });
});
