/** Supervision: behaviours 8–19 of shared/reference/behaviours.md, for every adapter on this runtime. */
import { existsSync, mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, describe, expect, it } from "vitest";
import {
  type Outcome,
  type Pool,
  type PoolEventType,
  PoolUnavailableError,
  TaskError,
  TaskTimeoutError,
  WorkerCrashedError,
  WorkerGracefulDie,
  WorkerRetiredError,
  WorkerStartError,
} from "../../mod.ts";
import { adapters, caught, childPermissions, fixture, sleep, usePools, waitFor } from "../helpers.ts";

const scratch = mkdtempSync(join(tmpdir(), "mpms-sup-"));
afterAll(() => rmSync(scratch, { recursive: true, force: true }));

const supervision = fixture("supervision.ts");
/** Options that load the supervision fixture with the given flags in its environment. */
function supervised(
  adapter: string,
  env: Record<string, string> = {},
): { module: URL; env: Record<string, string>; permissions?: string[] } {
  return {
    module: supervision,
    env: { ...(process.env as Record<string, string>), ...env },
    ...childPermissions(adapter),
  };
}

function record(pool: Pool, type: PoolEventType): Record<string, unknown>[] {
  const out: Record<string, unknown>[] = [];
  pool.addEventListener(type, (e) => out.push({ ...e.detail, at: performance.now() }));
  return out;
}

describe.each(adapters)("supervision on the %s adapter", (adapter) => {
  const make = usePools();

  it("8: the soft timeout aborts ctx.signal; a task that honours it fails with TaskTimeoutError, no kill", async () => {
    const pool = make<number, number>({
      ...supervised(adapter),
      adapter,
      workers: 1,
      taskTimeout: 100,
      killGrace: 2_000,
    });
    await pool.start();
    const t0 = performance.now();
    const err: any = await pool.submit(5_000, { name: "sleepAbortable" }).catch(caught);
    const took = performance.now() - t0;
    expect(err).toBeInstanceOf(TaskTimeoutError);
    expect(err.timeout).toBe(100);
    expect(took).toBeGreaterThanOrEqual(95);
    expect(took).toBeLessThan(1_500);
    const s = pool.stats();
    expect([s.timedOut, s.workersStarted, s.retirements.timeout ?? 0]).toEqual([1, 1, 0]);
    await pool.close();
  });

  it("8/9: past the kill grace the worker is killed, the task fails with TaskTimeoutError, a replacement starts", async () => {
    const pool = make<number, unknown>({
      ...supervised(adapter),
      adapter,
      workers: 1,
      taskTimeout: 100,
      killGrace: 100,
    });
    await pool.start();
    for (const name of ["ignoreAbort", "hang"]) {
      // time from a ready worker: the replacement's cold start is not what this bounds
      await waitFor(() => pool.stats().workers.some((w) => w.state === "ready"), 10_000, "a ready worker");
      const t0 = performance.now();
      const err: any = await pool.submit(60_000, { name }).catch(caught);
      expect(err).toBeInstanceOf(TaskTimeoutError);
      expect(performance.now() - t0).toBeLessThan(1_500);
    }
    expect(await pool.submit(7)).toBe(7);
    const s = pool.stats();
    expect(s.retirements.timeout).toBe(2);
    expect(s.timedOut).toBe(2);
    expect(s.workersStarted).toBe(3);
    await pool.close();
  });

  it("8: a per-task timeout overrides taskTimeout", async () => {
    const pool = make<number, number>({ ...supervised(adapter), adapter, workers: 1 });
    const err: any = await pool.submit(5_000, { name: "sleepAbortable", timeout: 50 }).catch(caught);
    expect(err).toBeInstanceOf(TaskTimeoutError);
    expect(err.timeout).toBe(50);
    await pool.close();
  });

  it("10: tasks that finish right at their hard deadline settle exactly once", async () => {
    const outcomes: Outcome[] = [];
    const pool = make<number, number>({
      ...supervised(adapter),
      adapter,
      workers: 2,
      concurrency: 8,
      taskTimeout: 40,
      killGrace: 40,
      collector: (o) => void outcomes.push(o as Outcome),
    });
    await pool.start();
    const durations = Array.from({ length: 32 }, (_, i) => 64 + i); // around the 80 ms hard deadline
    const settled = await Promise.allSettled(durations.map((ms) => pool.submit(ms, { name: "ignoreAbort" })));
    expect(settled.length).toBe(32);
    await waitFor(() => outcomes.length >= 32);
    await sleep(100); // late results from killed workers must not produce second outcomes
    expect(outcomes.length).toBe(32);
    expect(new Set(outcomes.map((o) => o.taskId)).size).toBe(32);
    for (const [i, s] of settled.entries()) {
      const o = outcomes.find((x) => x.input === durations[i]);
      expect(o?.status).toBe(s.status === "fulfilled" ? "ok" : "error");
    }
    const st = pool.stats();
    expect(st.completed + st.failed).toBe(32);
    await pool.close();
  });

  it("11: a task that ignores abort past the kill grace gets its worker killed and rejects with the reason", async () => {
    const pool = make<number, number>({ ...supervised(adapter), adapter, workers: 1, killGrace: 100 });
    await pool.start();
    const ac = new AbortController();
    const reason = new Error("user gave up");
    const task = pool.submit(60_000, { name: "ignoreAbort", signal: ac.signal }).catch(caught);
    await waitFor(() => pool.stats().running === 1);
    const t0 = performance.now();
    ac.abort(reason);
    expect(await task).toBe(reason);
    expect(performance.now() - t0).toBeLessThan(1_000);
    expect(await pool.submit(3)).toBe(3);
    const s = pool.stats();
    expect(s.cancelled).toBe(1);
    expect(s.retirements.abort).toBe(1);
    await pool.close();
  });

  it("12: a busy worker whose event loop is blocked past the heartbeat timeout is left to finish its task", async () => {
    const pool = make<number, number>({
      ...supervised(adapter),
      adapter,
      workers: 1,
      heartbeat: { interval: 20, timeout: 250 },
    });
    await pool.start();
    // A long synchronous task is what a worker is for: missing beats while holding a task is busy, not dead.
    expect(await pool.submit(1_000, { name: "block" })).toBe(1_000);
    const s = pool.stats();
    expect(s.retirements.heartbeat ?? 0).toBe(0);
    expect(s.workersStarted).toBe(1);
    await pool.close();
  });

  it("12: heartbeat.maxBlocked kills a busy worker blocked longer, as unresponsive", async () => {
    const pool = make<number, number>({
      ...supervised(adapter),
      adapter,
      workers: 1,
      heartbeat: { interval: 20, timeout: 250, maxBlocked: 400 },
    });
    await pool.start();
    expect(await pool.submit(400, { name: "sleep" })).toBe(400); // async waiting keeps beating
    const t0 = performance.now();
    const err: any = await pool.submit(3_000, { name: "block" }).catch(caught);
    expect(err).toBeInstanceOf(WorkerCrashedError);
    expect(err.reason).toBe("unresponsive");
    expect(performance.now() - t0).toBeLessThan(2_500);
    expect(pool.stats().retirements.heartbeat).toBe(1);
    expect(await pool.submit(1)).toBe(1);
    await pool.close();
  });

  it("12: an idle worker that stops beating is killed after heartbeat.timeout and replaced", async () => {
    const pool = make<number, number>({
      ...supervised(adapter),
      adapter,
      workers: 1,
      heartbeat: { interval: 20, timeout: 250 },
    });
    await pool.start();
    expect(await pool.submit(5, { name: "spinAfterReturn" })).toBe(5);
    await waitFor(() => (pool.stats().retirements.heartbeat ?? 0) === 1, 5_000);
    expect(await pool.submit(6)).toBe(6);
    expect(pool.stats().workersStarted).toBe(2);
    await pool.close();
  });

  it("12: a host whose own event loop was blocked past the heartbeat timeout kills no healthy worker", async () => {
    const pool = make<number, number>({
      ...supervised(adapter),
      adapter,
      workers: 1,
      heartbeat: { interval: 20, timeout: 250 },
    });
    await pool.start();
    const task = pool.submit(300, { name: "sleep" });
    await waitFor(() => pool.stats().running === 1);
    // The worker keeps beating, but the host cannot read the beats while it is blocked; when it
    // wakes, the overdue heartbeat check runs before the beats are read.
    const end = performance.now() + 800;
    while (performance.now() < end) {
      // block the host
    }
    expect(await task).toBe(300);
    await sleep(100); // a few more heartbeat checks, on time now
    const s = pool.stats();
    expect(s.retirements.heartbeat ?? 0).toBe(0);
    expect(s.workersStarted).toBe(1);
    await pool.close();
  });

  it("8: a task blocking past a timeout shorter than the heartbeat window, its start report stuck, still times out", async () => {
    const pool = make<number, number>({
      ...supervised(adapter),
      adapter,
      workers: 1,
      killGrace: 50,
      heartbeat: { interval: 50, timeout: 20_000 },
    });
    // Quick tasks first: the worker then reports a start with the task's result, not before it.
    for (let i = 0; i < 30; i++) await pool.submit(i);
    // At its first deadline the worker answered lately (the block had just begun), so the pool
    // waited for the start report; the report never comes while the task blocks.
    const err: any = await pool.submit(3_000, { name: "block", timeout: 30 }).catch(caught);
    expect(err).toBeInstanceOf(TaskTimeoutError);
    expect(pool.stats().timedOut).toBe(1);
    await pool.close();
  });

  // The task sleeps 200 ms, not 2: whether its abort comes in the same read as its run or a
  // later one (the deno adapter's socket can split them on a loaded machine), it reads the abort
  // before it ends.
  it("8: a timeout's abort that reaches a task as it starts, after its deadline let it wait, is its timeout", async () => {
    const pool = make<number, number>({
      ...supervised(adapter),
      adapter,
      workers: 1,
      concurrency: 2,
      killGrace: 50,
    });
    await pool.start();
    const blocking = pool.submit(600, { name: "block" });
    // It has a free lane but starts only once the block ends, and reads its abort just after.
    const behind = pool.submit(200, { name: "sleepAbortable", timeout: 30 }).catch(caught);
    expect(await blocking).toBe(600);
    const err = await behind;
    expect(err).toBeInstanceOf(TaskTimeoutError);
    expect(pool.stats().retirements.timeout ?? 0).toBe(0);
    await pool.close();
  });

  it("11: a deadline the host notices late is judged after what the worker said meanwhile", async () => {
    const pool = make<number, number>({ ...supervised(adapter), adapter, workers: 1, killGrace: 50 });
    await pool.start();
    // The first task ignores its abort and ends at 100 ms; the second then starts.
    const abort = new AbortController();
    const first = pool.submit(100, { name: "ignoreAbort", signal: abort.signal }).catch(caught);
    const second = pool.submit(400, { name: "sleep" }).catch(caught);
    await waitFor(() => pool.stats().workers[0]?.started === 1, 5_000, "the first task to start");
    abort.abort(); // its hard deadline: 50 ms from now
    // The host is blocked past that deadline and past the task's end: it wakes with the first
    // result and the second start unread, and its overdue deadline timer runs first (blocked
    // from the check phase, Node's event loop runs timers next, before it reads any message).
    await new Promise((resolve) => (globalThis.setImmediate ?? setTimeout)(resolve));
    const end = performance.now() + 300;
    while (performance.now() < end) {
      // block the host
    }
    expect(await first).toBe(100);
    expect(await second).toBe(400);
    expect(pool.stats().retirements.abort ?? 0).toBe(0);
    await pool.close();
  });

  it("14: maxAge (soft) lets the running task finish, then retires the worker", async () => {
    const pool = make<number, number>({ ...supervised(adapter), adapter, workers: 1, maxAge: 150 });
    await pool.start();
    const retires = record(pool, "workerretire");
    expect(await pool.submit(400, { name: "sleep" })).toBe(400);
    await waitFor(() => (pool.stats().retirements.maxAge ?? 0) >= 1, 5_000, "maxAge retirement");
    expect(retires[0]).toMatchObject({ reason: "maxAge" });
    expect(await pool.submit(2)).toBe(2);
    expect(pool.stats().failed).toBe(0);
    await pool.close();
  });

  it("14: maxAgeHard kills: the running task fails with WorkerRetiredError, prefetched ones are re-queued", async () => {
    const pool = make<number, unknown>({
      ...supervised(adapter),
      adapter,
      workers: 1,
      prefetch: 2,
      maxAgeHard: 400,
    });
    await pool.start();
    const running = pool.submit(0, { name: "hang" }).catch(caught);
    const later = [pool.submit(1), pool.submit(2)];
    await waitFor(() => pool.stats().workers[0]?.running === 3, 2_000, "prefetch");
    const err: any = await running;
    expect(err).toBeInstanceOf(WorkerRetiredError);
    expect(err.reason).toBe("maxAgeHard");
    expect(await Promise.all(later)).toEqual([1, 2]);
    expect(pool.stats().retirements.maxAgeHard).toBeGreaterThanOrEqual(1);
    await pool.close();
  });

  it("15: memory over the limit retires the worker after its task, never before minAge", async () => {
    const pool = make<number, number>({
      ...supervised(adapter),
      adapter,
      workers: 1,
      maxMemoryMb: 160,
      minAge: 400,
      heartbeat: { interval: 20, timeout: 5_000 },
    });
    await pool.start();
    const retires = record(pool, "workerretire");
    const spawnedAt = performance.now() - (pool.stats().workers[0]?.age ?? 0);
    expect(await pool.submit(250, { name: "allocate" })).toBe(250);
    await waitFor(() => retires.length > 0, 5_000, "memory retirement");
    expect(retires[0]).toMatchObject({ reason: "memory" });
    expect((retires[0]?.at as number) - spawnedAt).toBeGreaterThanOrEqual(390);
    await waitFor(() => (pool.stats().retirements.memory ?? 0) === 1, 5_000, "memory exit");
    expect(await pool.submit(4)).toBe(4);
    expect(pool.stats().failed).toBe(0);
    await pool.close();
  });

  it("16: graceful die: the task reports its error, siblings finish, prefetched tasks re-queue, finalize runs", async () => {
    const marks = mkdtempSync(join(scratch, "fin-"));
    const pool = make<unknown, unknown>({
      ...supervised(adapter, { FINALIZE_MARK: marks }),
      adapter,
      workers: 1,
      concurrency: 2,
      prefetch: 3,
    });
    await pool.start();
    const retires = record(pool, "workerretire");
    const starts = record(pool, "workerstart");
    const sibling = pool.submit(200, { name: "sleep" });
    const dying = pool.submit("tired", { name: "die" }).catch(caught);
    const queued = [pool.submit("a"), pool.submit("b"), pool.submit("c")];
    const err: any = await dying;
    expect(err).toBeInstanceOf(TaskError);
    expect(err.name).toBe("WorkerGracefulDie");
    expect(err.message).toBe("tired");
    expect(await sibling).toBe(200);
    expect(await Promise.all(queued)).toEqual(["a", "b", "c"]);
    expect(retires[0]).toMatchObject({ reason: "gracefulDie" });
    await waitFor(() => pool.stats().retirements.gracefulDie === 1, 5_000, "graceful exit");
    expect(existsSync(join(marks, "1"))).toBe(true);
    expect(starts.length).toBeGreaterThanOrEqual(1);
    expect(pool.stats().failed).toBe(1);
    await pool.close();
  });

  it("16: a gracefully dying worker's last result, sent just before it exits, is not lost", async () => {
    // No finalize to delay the exit: the result and the exit race to the host, round after round.
    const pool = make<unknown, unknown>({ ...supervised(adapter), adapter, workers: 1, concurrency: 2 });
    await pool.start();
    // The retirement is recorded as it happens: a worker's `retiring` state can come and go
    // within one blocked turn of the host (a Deno host spawning the replacement), unseen by a poll.
    const retires = record(pool, "workerretire");
    for (let round = 0; round < 15; round++) {
      const sibling = pool.submit(15, { name: "sleep" });
      const dying = pool.submit("tired", { name: "die" }).catch(caught);
      await waitFor(() => retires.length === round + 1, 5_000, "the graceful die");
      expect(retires[round]).toMatchObject({ reason: "gracefulDie" });
      // Busy host: the result and the exit are both waiting when it looks again.
      const until = performance.now() + 60;
      while (performance.now() < until) {}
      expect(await dying).toBeInstanceOf(TaskError);
      expect(await sibling).toBe(15);
    }
    const s = pool.stats();
    expect([s.completed, s.failed, s.crashed]).toEqual([15, 15, 0]);
    await pool.close();
  });

  it("16: configured graceful-die errors (by name or class), and the graceful-die timeout", async () => {
    const pool = make<unknown, unknown>({
      ...supervised(adapter),
      adapter,
      workers: 1,
      concurrency: 2,
      gracefulDie: { timeout: 200, errors: ["MemoryError", WorkerGracefulDie] },
    });
    await pool.start();
    const stuck = pool.submit(0, { name: "hang" }).catch(caught);
    await waitFor(() => pool.stats().running === 1);
    const t0 = performance.now();
    expect(((await pool.submit(0, { name: "memoryError" }).catch(caught)) as Error).name).toBe("MemoryError");
    const err: any = await stuck;
    expect(err).toBeInstanceOf(WorkerRetiredError);
    expect(err.reason).toBe("gracefulDie");
    expect(performance.now() - t0).toBeLessThan(1_200);
    expect(await pool.submit("next")).toBe("next");
    expect(pool.stats().retirements.gracefulDie).toBe(1);
    await pool.close();
  });

  it("17: an init that hangs makes start() reject after startTimeout", async () => {
    const pool = make({ ...supervised(adapter, { INIT_HANG: "1" }), adapter, workers: 2, startTimeout: 300 });
    const t0 = performance.now();
    const err: any = await pool.start().catch(caught);
    expect(err).toBeInstanceOf(WorkerStartError);
    expect(err.message).toMatch(/did not start within 300 ms/);
    // far below the 10 s default; a loaded machine can take seconds to create the threads
    expect(performance.now() - t0).toBeLessThan(5_000);
    await pool.close();
  });

  it("18: a crash loop backs off exponentially, then the pool fails once and stops restarting", async () => {
    const flag = join(scratch, `crash-${adapter}`);
    const pool = make<number, unknown>({
      ...supervised(adapter, { CRASH_FLAG: flag }),
      adapter,
      workers: 1,
      restart: { intensity: 4, period: 30_000, backoff: { initial: 30, max: 1_000, factor: 2 } },
    });
    await pool.start();
    const backoffs = record(pool, "backoff");
    const failed = record(pool, "failed");
    writeFileSync(flag, "1");
    const crash = pool.submit(1, { name: "exitNow" }).catch(caught);
    const queued = pool.submit(2).catch(caught);
    expect(await crash).toBeInstanceOf(WorkerCrashedError);
    expect(await queued).toBeInstanceOf(PoolUnavailableError);
    expect(failed.length).toBe(1);
    expect(pool.state).toBe("failed");
    expect(backoffs.map((b) => b.delay)).toEqual([30, 60, 120]);
    await expect(pool.submit(3)).rejects.toBeInstanceOf(PoolUnavailableError);
    const started = pool.stats().workersStarted;
    await sleep(300);
    expect(pool.stats().workersStarted).toBe(started);
    expect(failed.length).toBe(1);
    rmSync(flag, { force: true });
    await pool.close();
  });

  it("18: tasks that end their worker fail as crashed, but are no crash loop: the pool keeps serving", async () => {
    const pool = make<number, unknown>({
      ...supervised(adapter),
      adapter,
      workers: 2,
      restart: { intensity: 3, period: 60_000 },
    });
    await pool.start();
    const failed = record(pool, "failed");
    // Twice the intensity, one after another so each ends a worker.
    for (let i = 0; i < 6; i++) {
      expect(await pool.submit(1, { name: "exitNow" }).catch(caught)).toBeInstanceOf(WorkerCrashedError);
    }
    expect(failed.length).toBe(0);
    expect(pool.state).toBe("running");
    expect(await Promise.all([1, 2, 3].map((v) => pool.submit(v)))).toEqual([1, 2, 3]);
    expect(pool.stats().failed).toBe(6);
    await pool.close();
  });

  it("19: a finalizer that hangs during retirement is killed at stopTimeout; no task is affected", async () => {
    const pool = make<number, number>({
      ...supervised(adapter, { FINALIZE_HANG: "1" }),
      adapter,
      workers: 1,
      maxTasks: 2,
      stopTimeout: 200,
    });
    const values = await Promise.all([1, 2, 3, 4, 5, 6].map((n) => pool.submit(n)));
    expect(values).toEqual([1, 2, 3, 4, 5, 6]);
    const t0 = performance.now();
    await pool.close();
    expect(performance.now() - t0).toBeLessThan(1_500);
    const s = pool.stats();
    expect(s.failed).toBe(0);
    expect(s.retirements.maxTasks).toBe(3);
  });

  it("resize() grows at once and shrinks by planned retirement; recycle() replaces one worker", async () => {
    const pool = make<number, number>({ ...supervised(adapter), adapter, workers: 1 });
    await pool.start();
    pool.resize(3);
    await waitFor(() => pool.stats().workers.filter((w) => w.state === "ready").length === 3, 5_000, "grow");
    const first = pool.stats().workers[0]?.id as number;
    expect(pool.recycle(first)).toBe(true);
    expect(pool.recycle(9_999)).toBe(false);
    await waitFor(() => pool.stats().retirements.recycle === 1, 5_000, "recycle");
    pool.resize(1);
    await waitFor(() => pool.stats().workers.length === 1, 5_000, "shrink");
    expect(pool.stats().retirements.resize).toBe(2);
    expect(await pool.submit(5)).toBe(5);
    await pool.close();
  });
});
