/** Exits, outside kills and kill escalation of process workers, on every process adapter here. */
import { describe, expect, it } from "vitest";
import { TaskTimeoutError, WorkerCrashedError, type WorkerExitDetail, WorkerStartError } from "../../mod.ts";
import { fixture, processAdapters, usePools, waitFor } from "../helpers.ts";
import { isAlive } from "./pids.ts";

const tasks = fixture("tasks.ts");
const processTasks = fixture("process/tasks.ts");

describe.each(processAdapters)("crashes and kills on the %s adapter", (adapter) => {
  const make = usePools();

  it("a task calling exit(3) rejects with WorkerCrashedError {exitCode: 3, signal: null}", async () => {
    const pool = make<number, unknown>({ module: tasks, adapter, workers: 1 });
    const err = await pool.submit(3, { name: "exit" }).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(WorkerCrashedError);
    expect(err).toMatchObject({ code: "ERR_MPMS_WORKER_CRASHED", exitCode: 3, signal: null, reason: "exit" });
    expect(await pool.submit(4)).toBe(4);
    await pool.close();
  });

  it("a worker SIGKILLed from outside fails its task with {signal: SIGKILL} and is replaced", async () => {
    const pool = make<number, unknown>({ module: tasks, adapter, workers: 1 });
    await pool.start();
    const running = pool.submit(10_000, { name: "sleep" }).catch((e: unknown) => e);
    // started, as the worker said: a task it never started would go back to the queue instead
    await waitFor(() => pool.stats().workers[0]?.started === 1, 5_000, "the task to start");
    const pid = pool.stats().workers[0]?.pid as number;
    expect(pid).not.toBe(process.pid);
    process.kill(pid, "SIGKILL");
    const err = await running;
    expect(err).toBeInstanceOf(WorkerCrashedError);
    expect(err).toMatchObject({ exitCode: null, signal: "SIGKILL" });
    expect(await pool.submit(5)).toBe(5);
    expect(pool.stats().workers[0]?.pid).not.toBe(pid);
    await pool.close();
  });

  it.each(["throwInTimer", "rejectInTimer"])(
    "%s: the child's uncaught error becomes the crash's cause (reason: error, exit code 1)",
    async (name) => {
      const pool = make<unknown, unknown>({ module: processTasks, adapter, workers: 1 });
      const err = await pool.submit(null, { name }).catch((e: unknown) => e);
      expect(err).toBeInstanceOf(WorkerCrashedError);
      expect(err).toMatchObject({ exitCode: 1, signal: null, reason: "error" });
      const cause = (err as WorkerCrashedError).cause as Error;
      expect(cause).toBeInstanceOf(Error);
      expect(cause.name).toBe(name === "throwInTimer" ? "RangeError" : "TypeError");
      expect(cause.message).toMatch(/on purpose/);
      expect(await pool.submit(1)).toBe(1);
      await pool.close();
    },
  );

  it("a runtime binary that does not exist makes start() reject with WorkerStartError", async () => {
    const pool = make<unknown, unknown>({
      module: processTasks,
      adapter,
      workers: 1,
      execPath: "/nonexistent/deno-or-node",
      restart: { intensity: 0 },
    });
    const err = await pool.start().catch((e: unknown) => e);
    expect(err).toBeInstanceOf(WorkerStartError);
    expect(pool.stats().workers).toEqual([]);
  });

  /** Runs `name` with a 50 ms timeout and 200 ms kill grace; returns the worker's exit and when it came. */
  const timeOut = async (name: string): Promise<{ exit: WorkerExitDetail; ms: number; err: unknown }> => {
    const pool = make<unknown, unknown>({ module: processTasks, adapter, workers: 1, taskTimeout: 50, killGrace: 200 });
    await pool.start();
    const exits: WorkerExitDetail[] = [];
    pool.addEventListener("workerexit", (e) => exits.push(e.detail));
    const t0 = performance.now();
    const err = await pool.submit(null, { name }).catch((e: unknown) => e);
    await waitFor(() => exits.length === 1, 5_000, "the worker to exit");
    const ms = performance.now() - t0;
    await pool.close();
    return { exit: exits[0] as WorkerExitDetail, ms, err };
  };

  it("a timed-out CPU loop is stopped by SIGTERM after the kill grace", async () => {
    const { exit, ms, err } = await timeOut("spin");
    expect(err).toBeInstanceOf(TaskTimeoutError);
    expect(exit).toMatchObject({ code: null, signal: "SIGTERM", reason: "timeout" });
    expect(ms).toBeGreaterThanOrEqual(50 + 200 - 20);
    expect(ms).toBeLessThan(1_200); // the exit is reported when it happens, not at the 1 s drain limit
  });

  it("a timed-out CPU loop that ignores SIGTERM gets SIGKILL one grace later", async () => {
    const { exit, ms, err } = await timeOut("stubbornSpin");
    expect(err).toBeInstanceOf(TaskTimeoutError);
    expect(exit).toMatchObject({ code: null, signal: "SIGKILL", reason: "timeout" });
    // timeout (50) + kill grace (200) until SIGTERM, then the grace again until SIGKILL
    expect(ms).toBeGreaterThanOrEqual(50 + 2 * 200 - 20);
    expect(ms).toBeLessThan(1_400); // a drain-limit fallback would take >= 1450 ms
  });

  it("destroy() SIGKILLs busy workers at once and leaves no process", async () => {
    const pool = make<unknown, unknown>({ module: processTasks, adapter, workers: 2 });
    await pool.start();
    const busy = [0, 1].map(() => pool.submit(null, { name: "stubbornSpin" }).catch((e: unknown) => e));
    await waitFor(() => pool.stats().running === 2, 5_000, "both tasks to run");
    const pids = pool.stats().workers.map((w) => w.pid as number);
    expect(pids.every(isAlive)).toBe(true);
    const t0 = performance.now();
    await pool.destroy();
    expect(performance.now() - t0).toBeLessThan(1_000);
    for (const err of await Promise.all(busy)) expect(err).toMatchObject({ name: "PoolClosedError" });
    expect(pids.filter(isAlive)).toEqual([]);
  });
});
