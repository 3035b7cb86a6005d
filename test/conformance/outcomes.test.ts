/** Behaviours 1–7 and 11 of shared/reference/behaviours.md, for every adapter on this runtime. */
import { describe, expect, it } from "vitest";
import {
  PoolClosedError,
  PoolUnavailableError,
  QueueFullError,
  SerializationError,
  TaskError,
  WorkerCrashedError,
  WorkerStartError,
} from "../../mod.ts";
import { adapters, caught, fixture, usePools, waitFor } from "../helpers.ts";

const tasks = fixture("tasks.ts");

describe.each(adapters)("outcomes on the %s adapter", (adapter) => {
  const make = usePools();

  it("1: a returned value resolves, and counts as completed", async () => {
    const pool = make<number, number>({ module: tasks, adapter, workers: 2 });
    await pool.start();
    expect(await pool.submit(21, { name: "double" })).toBe(42);
    expect(await pool.submit({ a: [1, "x"] } as never)).toEqual({ a: [1, "x"] });
    const s = pool.stats();
    expect([s.submitted, s.completed, s.failed]).toEqual([2, 2, 0]);
    await pool.close();
  });

  it("2: a thrown error keeps name, message, stack, cause and code; only that task fails", async () => {
    const pool = make<string, unknown>({ module: tasks, adapter, workers: 1 });
    const [sync, asyncErr, ok] = await Promise.allSettled([
      pool.submit("bad input", { name: "fail" }),
      pool.submit("async bad", { name: "failAsync" }),
      pool.submit("fine"),
    ]);
    expect(sync.status).toBe("rejected");
    const e1 = (sync as PromiseRejectedResult).reason as TaskError;
    expect(e1).toBeInstanceOf(TaskError);
    expect(e1.name).toBe("RangeError");
    expect(e1.message).toBe("bad input");
    expect(e1.cause).toEqual({ why: "because" });
    expect(e1.stack).toContain("fail");
    const e2 = (asyncErr as PromiseRejectedResult).reason as TaskError;
    expect(e2.name).toBe("CustomError");
    expect(e2.taskCode).toBe("E_CUSTOM");
    expect(e2.cause).toBeInstanceOf(Error);
    expect((e2.cause as Error).name).toBe("TypeError");
    expect((e2.cause as Error).message).toBe("inner");
    expect(ok).toEqual({ status: "fulfilled", value: "fine" });
    expect(pool.stats().failed).toBe(2);
    await pool.close();
  });

  it("3: a worker exiting mid-task fails only its task with WorkerCrashedError, and is replaced", async () => {
    const pool = make<number, unknown>({ module: tasks, adapter, workers: 1 });
    await pool.start();
    const crash = pool.submit(3, { name: "exit" });
    const next = pool.submit(5);
    const err: any = await crash.catch(caught);
    expect(err).toBeInstanceOf(WorkerCrashedError);
    expect(err.exitCode).toBe(3);
    expect(err.reason).toBe("exit");
    expect(await next).toBe(5);
    const s = pool.stats();
    expect(s.crashed).toBe(1);
    expect(s.workersStarted).toBe(2);
    expect(s.retirements.crash).toBe(1);
    await pool.close();
  });

  it("3: an uncaught error in a timer crashes the worker, not the host", async () => {
    const pool = make<void, unknown>({ module: tasks, adapter, workers: 1 });
    const err: any = await pool.submit(undefined, { name: "throwInTimer" }).catch(caught);
    expect(err).toBeInstanceOf(WorkerCrashedError);
    expect(err.reason).toBe("error");
    expect(await pool.submit(1 as never)).toBe(1);
    await pool.close();
  });

  it("4: a result posted right before the worker exits wins", async () => {
    const pool = make<number, unknown>({ module: tasks, adapter, workers: 1 });
    expect(await pool.submit(9, { name: "replyThenExit" })).toBe("replied");
    await waitFor(() => pool.stats().workersStarted === 2, 5_000, "replacement");
    expect(pool.stats().crashed).toBe(0);
    await pool.close();
  });

  it("5: a result that cannot be sent fails only that task; the worker stays usable", async () => {
    const pool = make<unknown, unknown>({ module: tasks, adapter, workers: 1 });
    await pool.start();
    const err: any = await pool.submit(null, { name: "unclonableResult" }).catch(caught);
    expect(err).toBeInstanceOf(SerializationError);
    expect(err.message).toMatch(/cannot be sent/);
    const bad: any = await pool.submit({ f: () => 1 }).catch(caught);
    expect(bad).toBeInstanceOf(SerializationError);
    expect(await pool.submit("still here")).toBe("still here");
    expect(pool.stats().workersStarted).toBe(1);
    await pool.close();
  });

  it("6: submit after close rejects at once with PoolClosedError", async () => {
    const pool = make<number, number>({ module: tasks, adapter, workers: 1 });
    await pool.start();
    const closing = pool.close();
    await expect(pool.submit(1)).rejects.toBeInstanceOf(PoolClosedError);
    await expect(pool.put(1)).rejects.toBeInstanceOf(PoolClosedError);
    await closing;
    await expect(pool.submit(1)).rejects.toBeInstanceOf(PoolClosedError);
    expect(pool.stats().submitted).toBe(0);
  });

  it("7: a full queue applies backpressure, or rejects with QueueFullError when told not to wait", async () => {
    const pool = make<number, number>({ module: tasks, adapter, workers: 1, queueSize: 2, prefetch: 0 });
    await pool.start();
    const results = Array.from({ length: 20 }, (_, i) => pool.submit(5, { name: "sleep" }).then(() => i));
    await expect(pool.submit(1, { wait: false })).rejects.toBeInstanceOf(QueueFullError);
    expect(pool.stats().queued).toBeLessThanOrEqual(2);
    expect((await Promise.all(results)).length).toBe(20);
    await pool.close();
  });

  it("7/17: when workers cannot start, start() and submits reject instead of waiting forever", async () => {
    const pool = make<number, number>({ module: fixture("bad_init.ts"), adapter, workers: 2 });
    const err: any = await pool.start().catch(caught);
    expect(err).toBeInstanceOf(WorkerStartError);
    expect(String(err.message)).toMatch(/init failed on purpose/);
    await expect(pool.submit(1)).rejects.toBeInstanceOf(PoolUnavailableError);
    expect(pool.state).toBe("failed");
    await pool.close();
  });

  it("11: abort before dispatch removes the task; abort while running reaches the task", async () => {
    const pool = make<unknown, unknown>({ module: tasks, adapter, workers: 1, prefetch: 0 });
    await pool.start();
    const blocker = pool.submit(100, { name: "sleep" });
    const early = new AbortController();
    const queued = pool.submit(1, { signal: early.signal });
    const reason = new Error("changed my mind");
    early.abort(reason);
    await expect(queued).rejects.toBe(reason);
    const late = new AbortController();
    const running = pool.submit(null, { name: "untilAborted", signal: late.signal });
    await blocker;
    await waitFor(() => pool.stats().running === 1 && pool.stats().queued === 0); // on the worker now
    late.abort(new Error("stop now"));
    const lateErr: any = await running.catch(caught);
    expect(lateErr.message).toBe("stop now");
    expect(pool.stats().retirements.abort ?? 0).toBe(0); // the task honoured it: no kill
    const already = AbortSignal.abort(new Error("already"));
    await expect(pool.submit(1, { signal: already })).rejects.toThrow("already");
    const s = pool.stats();
    expect(s.cancelled).toBe(2);
    expect(s.submitted).toBe(s.completed + s.failed + s.cancelled);
    await pool.close();
  });
});
