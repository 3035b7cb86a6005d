/** A stopped (SIGSTOP) process worker is dead even though it holds a task: the beat finds it. */
import { afterEach, describe, expect, it } from "vitest";
import { WorkerCrashedError } from "../../mod.ts";
import { fixture, processAdapters, usePools, waitFor } from "../helpers.ts";
import { isAlive, killLeftovers } from "./pids.ts";

const tasks = fixture("supervision.ts");

describe.each(processAdapters)("a frozen worker on the %s adapter", (adapter) => {
  const make = usePools();
  const stopped: number[] = [];
  afterEach(() => killLeftovers(stopped.splice(0)));

  it("is killed past heartbeat.timeout, its running task fails, a replacement serves", async () => {
    const heartbeat = { interval: 50, timeout: 400 };
    const pool = make<number, unknown>({ module: tasks, adapter, workers: 1, heartbeat });
    await pool.start();
    const running = pool.submit(60_000, { name: "sleep" }).catch((e: unknown) => e);
    await waitFor(() => pool.stats().workers[0]?.started === 1, 5_000, "the task to start");
    const pid = pool.stats().workers[0]?.pid as number;
    stopped.push(pid);
    process.kill(pid, "SIGSTOP");
    const t0 = performance.now();
    const err = await running;
    const took = performance.now() - t0;
    expect(err).toBeInstanceOf(WorkerCrashedError);
    expect(err).toMatchObject({ reason: "unresponsive", signal: "SIGKILL" });
    // silent past the timeout, seen stopped at the next check: timeout + interval, plus slack
    expect(took).toBeGreaterThanOrEqual(heartbeat.timeout - 60);
    expect(took).toBeLessThan(heartbeat.timeout + heartbeat.interval + 2_000);
    expect(pool.stats().retirements.heartbeat).toBe(1);
    expect(isAlive(pid)).toBe(false);
    expect(await pool.submit(5)).toBe(5);
    await pool.close();
  });

  it("a busy worker that runs (a long synchronous task) is left alone", async () => {
    const pool = make<number, unknown>({
      module: tasks,
      adapter,
      workers: 1,
      heartbeat: { interval: 50, timeout: 200 },
    });
    expect(await pool.submit(1_200, { name: "block" })).toBe(1_200);
    expect(pool.stats().retirements).toEqual({});
    await pool.close();
  });
});
