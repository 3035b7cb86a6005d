/**
 * Fault injection at the adapter seam: the pool's own logic under a channel that drops,
 * duplicates, delays or reorders messages, a worker that dies on a given send, a send that
 * throws, a spawn that fails, and exits reported early or never. Each case runs over the
 * in-memory fake adapter (no runtime involved) and over the real thread adapter.
 */
import { describe, expect, it } from "vitest";
import type { Adapter } from "../../adapter.ts";
import { type Outcome, type PoolOptions, TaskError, TaskTimeoutError, WorkerCrashedError } from "../../mod.ts";
import threadAdapter from "../../runtimes/thread.ts";
import { caught, sleep, usePools, waitFor } from "../helpers.ts";
import { type Faults, faultAdapter } from "./fault_adapter.ts";
import { memoryAdapter } from "./memory_adapter.ts";

const module = new URL("../chaos/chaos_tasks.js", import.meta.url);
type In = Record<string, unknown>;
type Value = { id: number; v: unknown };

const inners: Record<string, () => Adapter> = {
  memory: () => memoryAdapter(),
  thread: () => threadAdapter({ module }),
};

/** Input of task `id`: mostly returns, some throw, some sleep a little. */
function mixed(id: number): In {
  if (id % 7 === 3) return { b: "throw", id };
  if (id % 5 === 1) return { b: "sleep", id, ms: 1 + (id % 4) };
  return { b: "return", id, v: `v${id}` };
}

/** Check one settled mixed task: its own value, or its own error. */
function expectOwn(id: number, settled: PromiseSettledResult<unknown>): void {
  const input = mixed(id);
  if (input.b === "throw") {
    expect(settled.status).toBe("rejected");
    const err = (settled as PromiseRejectedResult).reason as TaskError;
    expect(err).toBeInstanceOf(TaskError);
    expect(err.message).toBe(`chaos throw ${id}`);
  } else {
    expect(settled).toEqual({ status: "fulfilled", value: { id, v: input.b === "sleep" ? input.ms : `v${id}` } });
  }
}

describe.each(Object.keys(inners))("faults at the seam, over the %s adapter", (innerName) => {
  const make = usePools();
  const outcomes: Outcome[] = [];
  const faulty = (faults: Faults, options: Partial<PoolOptions<In, unknown>> = {}) => {
    outcomes.length = 0;
    const adapter = faultAdapter((inners[innerName] as () => Adapter)(), faults);
    const pool = make<In, unknown>({
      module,
      adapter,
      collector: (o) => void outcomes.push(o as Outcome),
      heartbeat: false,
      ...options,
    });
    return { pool, adapter };
  };
  /** Every task settled exactly once (one collector call each); the counters add up. */
  const expectSettledOnce = (
    pool: { stats(): { submitted: number; completed: number; failed: number; cancelled: number } },
    n: number,
  ): void => {
    expect(outcomes.length).toBe(n);
    expect(new Set(outcomes.map((o) => o.taskId)).size).toBe(n);
    const s = pool.stats();
    expect(s.submitted).toBe(n);
    expect(s.completed + s.failed + s.cancelled).toBe(n);
  };

  it("duplicated worker messages: every task settles once, with its own value or error", async () => {
    const { pool, adapter } = faulty(
      { fromWorker: () => "duplicate" },
      { workers: 2, concurrency: 2, maxTasks: 25, queueSize: 1_000 },
    );
    const ids = Array.from({ length: 300 }, (_, i) => i + 1);
    const settled = await Promise.allSettled(ids.map((id) => pool.submit(mixed(id))));
    for (const [i, id] of ids.entries()) expectOwn(id, settled[i] as PromiseSettledResult<unknown>);
    await sleep(20); // late duplicates must not produce second outcomes
    expectSettledOnce(pool, 300);
    expect(adapter.counts.duplicated).toBeGreaterThan(300);
    expect(pool.stats().retirements.maxTasks ?? 0).toBeGreaterThan(0); // duplicated ready/returned/stopped too
    await pool.close();
  });

  it("duplicated pool messages (each batch after init sent twice): every task settles once", async () => {
    const { pool, adapter } = faulty(
      { toWorker: (batch) => (batch.some((m) => m.t === "init") ? "deliver" : "duplicate") },
      { workers: 2, concurrency: 2 },
    );
    const ids = Array.from({ length: 200 }, (_, i) => i + 1);
    const settled = await Promise.allSettled(ids.map((id) => pool.submit(mixed(id))));
    for (const [i, id] of ids.entries()) expectOwn(id, settled[i] as PromiseSettledResult<unknown>);
    await sleep(20);
    expectSettledOnce(pool, 200);
    expect(adapter.counts.sendsDuplicated).toBeGreaterThan(0);
    await pool.close();
  });

  it("a dropped result is caught by the next beat: WorkerCrashedError {reason: channel}, the worker is replaced", async () => {
    const lost = new Set([3, 13, 23]);
    const { pool, adapter } = faulty(
      {
        fromWorker: (msg) => (msg.t === "ok" && lost.has((msg.value as Value | null)?.id ?? -1) ? "drop" : "deliver"),
      },
      // no task timeout to cover it: the beat's list of held tasks is what tells
      { workers: 2, prefetch: 0, heartbeat: { interval: 20, timeout: 300 } },
    );
    await pool.start();
    const t0 = performance.now();
    const ids = Array.from({ length: 30 }, (_, i) => i + 1);
    const settled = await Promise.allSettled(ids.map((id) => pool.submit({ b: "return", id, v: id })));
    for (const [i, s] of settled.entries()) {
      const id = ids[i] as number;
      if (lost.has(id)) {
        expect(s.status).toBe("rejected");
        const err = (s as PromiseRejectedResult).reason as WorkerCrashedError;
        expect(err).toBeInstanceOf(WorkerCrashedError);
        expect(err.reason).toBe("channel");
      } else expect(s).toEqual({ status: "fulfilled", value: { id, v: id } });
    }
    expect(performance.now() - t0).toBeLessThan(3_000);
    expect(adapter.counts.dropped).toBe(3); // each lost task ran once: none was run again
    // Each of the 3 workers is killed; their exits may still be on their way.
    await waitFor(() => pool.stats().retirements.channel === 3, 2_000, "3 channel kills");
    const s = pool.stats();
    expect([s.timedOut, s.retirements]).toEqual([0, { channel: 3 }]);
    expectSettledOnce(pool, 30);
    await pool.close();
  });

  it("a silent busy worker (all its messages dropped) is killed past maxBlocked; its unacknowledged tasks run elsewhere", async () => {
    let silenced: number | undefined;
    const { pool, adapter } = faulty(
      { fromWorker: (msg, { workerId }) => (workerId === silenced && msg.t !== "ready" ? "drop" : "deliver") },
      { workers: 2, concurrency: 2, prefetch: 1, heartbeat: { interval: 20, timeout: 300, maxBlocked: 300 } },
    );
    await pool.start();
    silenced = pool.stats().workers[0]?.id;
    const ids = Array.from({ length: 40 }, (_, i) => i + 1);
    const settled = await Promise.allSettled(ids.map((id) => pool.submit({ b: "sleep", id, ms: 2 })));
    // It never said it started anything (its start reports were dropped too): every task it held
    // goes back to the queue and completes on the other worker.
    for (const [i, s] of settled.entries()) expect(s).toEqual({ status: "fulfilled", value: { id: ids[i], v: 2 } });
    const s = pool.stats();
    expect([s.completed, s.failed]).toEqual([40, 0]);
    expect(s.retirements.heartbeat).toBe(1);
    expect(adapter.counts.dropped).toBeGreaterThan(0);
    expectSettledOnce(pool, 40);
    await pool.close();
  });

  it("reordered messages: each task settles once, with its own value or error", async () => {
    const { pool, adapter } = faulty(
      { reorderFromWorker: { seed: 7, hold: 3 } },
      { workers: 2, concurrency: 3, queueSize: 1_000 },
    );
    const ids = Array.from({ length: 300 }, (_, i) => i + 1);
    const settled = await Promise.allSettled(ids.map((id) => pool.submit(mixed(id))));
    for (const [i, id] of ids.entries()) expectOwn(id, settled[i] as PromiseSettledResult<unknown>);
    expectSettledOnce(pool, 300);
    expect(adapter.counts.reordered).toBeGreaterThan(300);
    await pool.close();
  });

  it("death on the Nth send fails only tasks on that worker, with WorkerCrashedError; the pool recovers", async () => {
    let doomed: number | undefined;
    const { pool, adapter } = faulty(
      { toWorker: (_batch, { workerId, sendIndex }) => (workerId === doomed && sendIndex === 6 ? "die" : "deliver") },
      { workers: 2, concurrency: 2, prefetch: 2, restart: { intensity: 10 } },
    );
    await pool.start();
    doomed = pool.stats().workers[0]?.id;
    const ids = Array.from({ length: 200 }, (_, i) => i + 1);
    const settled = await Promise.allSettled(ids.map((id) => pool.submit({ b: "sleep", id, ms: 1 })));
    let failed = 0;
    for (const [i, s] of settled.entries()) {
      const id = ids[i] as number;
      const o = outcomes.find((x) => (x.input as In).id === id);
      if (s.status === "fulfilled") {
        expect(s.value).toEqual({ id, v: 1 });
        continue;
      }
      failed++;
      expect(s.reason).toBeInstanceOf(WorkerCrashedError);
      expect([(s.reason as WorkerCrashedError).workerId, o?.workerId]).toEqual([doomed, doomed]);
    }
    expect(adapter.counts.died).toBe(1);
    // At most `concurrency` tasks were running on it; none if its start reports had not reached
    // the pool before it died (then everything it held runs elsewhere).
    expect(failed).toBeLessThanOrEqual(2);
    const s = pool.stats();
    expect([s.crashed, s.retirements.crash]).toEqual([failed, 1]);
    expectSettledOnce(pool, 200);
    expect(await Promise.all([1, 2, 3].map((id) => pool.submit({ b: "return", id, v: id })))).toHaveLength(3);
    const ready = (): number => pool.stats().workers.filter((w) => w.state === "ready").length;
    await waitFor(() => ready() === 2, 5_000, "the pool back to 2 workers");
    await pool.close();
  });

  it("a send that throws once is retried message by message; no task is lost", async () => {
    const { pool, adapter } = faulty(
      { toWorker: (_batch, { totalSends }) => (totalSends === 4 ? "throw" : "deliver") },
      {
        workers: 1,
        concurrency: 2,
        prefetch: 4,
      },
    );
    const ids = Array.from({ length: 50 }, (_, i) => i + 1);
    const settled = await Promise.allSettled(ids.map((id) => pool.submit(mixed(id))));
    for (const [i, id] of ids.entries()) expectOwn(id, settled[i] as PromiseSettledResult<unknown>);
    expect(adapter.counts.refused).toBe(1);
    expectSettledOnce(pool, 50);
    await pool.close();
  });

  it("a spawn that throws counts as a failed start; the pool starts another and keeps its size", async () => {
    const { pool, adapter } = faulty({ spawnThrows: (n) => n === 3 }, { workers: 2 });
    await pool.start();
    const first = pool.stats().workers[0]?.id as number;
    expect(pool.recycle(first)).toBe(true); // its replacement is spawn 3, which throws
    const values = await Promise.all(Array.from({ length: 20 }, (_, i) => pool.submit({ b: "return", id: i, v: i })));
    expect(values).toHaveLength(20);
    await waitFor(() => pool.stats().workers.filter((w) => w.state === "ready").length === 2, 3_000, "2 workers");
    expect(adapter.counts.spawnsRefused).toBe(1);
    expect(pool.stats().retirements.start).toBe(1);
    await pool.close();
  });

  // Runtime-independent (and 4 s long): over the in-memory adapter only.
  it.runIf(innerName === "memory")(
    "an exit never reported after kill: the task settles on time, the pool gives up on the worker",
    async () => {
      const { pool } = faulty({ neverReportExit: true }, { workers: 1, taskTimeout: 50, killGrace: 50 });
      await pool.start();
      const t0 = performance.now();
      expect(await pool.submit({ b: "hang", id: 1 }).catch(caught)).toBeInstanceOf(TaskTimeoutError);
      expect(performance.now() - t0).toBeLessThan(1_000);
      // The kill is never confirmed: after its bound the worker counts as a zombie and is replaced.
      expect(await pool.submit({ b: "return", id: 2, v: 2 })).toEqual({ id: 2, v: 2 });
      expect(performance.now() - t0).toBeLessThan(4_000);
      expect(pool.stats().zombies).toBe(1);
      const t1 = performance.now();
      await pool.destroy();
      expect(performance.now() - t1).toBeLessThan(3_000);
    },
  );

  it("16: a slow channel and a graceful die: a task sent meanwhile goes back to the queue", async () => {
    // The worker's messages take 50 ms: the pool sends it another task after it already began
    // to retire (it threw WorkerGracefulDie), before the pool knows.
    const { pool } = faulty({ delayFromWorker: 50 }, { workers: 1, concurrency: 1, prefetch: 1 });
    await pool.start();
    const dying = pool.submit({ b: "die", id: 1 }).catch(caught);
    await sleep(15);
    const next = pool.submit({ b: "return", id: 2, v: "next" }).catch(caught);
    expect(((await dying) as Error).name).toBe("WorkerGracefulDie");
    expect(await next).toEqual({ id: 2, v: "next" });
    await pool.close();
  });

  it("a timed-out task whose start report arrives after its kill deadline still ends as its own timeout", async () => {
    // The start report is lost (as when it rides in the same batch as the error) and every
    // message from the worker takes 100 ms; the task (which honours its abort) times out after
    // 100 ms, killGrace 50. At the hard deadline the pool has not heard of the start and the
    // worker still beats, so it keeps waiting; then the aborted task's error arrives: it is the
    // pool's own timeout abort, so the outcome is TaskTimeoutError, not a TaskError.
    const { pool } = faulty(
      { delayFromWorker: 100, fromWorker: (msg) => (msg.t === "started" ? "drop" : "deliver") },
      { workers: 1, concurrency: 1, killGrace: 50, heartbeat: { interval: 100, timeout: 5_000 } },
    );
    await pool.start();
    const err = await pool.submit({ b: "sleep", id: 1, ms: 5_000 }, { timeout: 100 }).catch(caught);
    expect(err).toBeInstanceOf(TaskTimeoutError);
    expect(await pool.submit({ b: "return", id: 2, v: "next" })).toEqual({ id: 2, v: "next" });
    await pool.close();
  });

  it("a start the worker reports after the pool killed it is not a start: that task runs again elsewhere", async () => {
    // Every batch from the worker takes 100 ms. The first task ignores its abort: its timeout
    // comes at 50 ms (its clock starts when it is sent to a free lane), its start report at
    // ~100 ms and its kill at ~250 ms (killGrace 200), but it ends at ~200 ms and the worker
    // starts the second task, in a batch that reaches the pool only after the kill (~300 ms).
    // When the pool killed, that task had not started as far as it knew, so it is not the kill's
    // victim: it goes back to the queue.
    const { pool } = faulty({ delayFromWorker: 100 }, { workers: 1, concurrency: 1, prefetch: 1, killGrace: 200 });
    await pool.start();
    const first = pool.submit({ b: "ignoreAbort", id: 1, ms: 200 }, { timeout: 50 }).catch(caught);
    const second = pool.submit({ b: "sleep", id: 2, ms: 50 }).catch(caught);
    expect(await first).toBeInstanceOf(TaskTimeoutError);
    expect(await second).toEqual({ id: 2, v: 50 });
    const s = pool.stats();
    expect([s.completed, s.timedOut, s.failed, s.retirements.timeout]).toEqual([1, 1, 1, 1]);
    await pool.close();
  });

  it.each([1, 2])(
    "16: a task that reaches a gracefully dying worker only after it exited goes back to the queue (concurrency %i)",
    async (concurrency) => {
      // The batch carrying the second task is 100 ms late: the worker has thrown WorkerGracefulDie
      // and exited (code 0) before it arrives, so the task never started there. With concurrency
      // 2 the pool counts it as running from the moment it was sent.
      const { pool, adapter } = faulty(
        {
          delayFromWorker: 30, // the pool learns of the die only after it sent the second task
          delayToWorker: (batch) => (batch.some((m) => m.t === "run" && (m.input as In).id === 2) ? 100 : 0),
        },
        { workers: 1, concurrency, prefetch: 1 },
      );
      await pool.start();
      const dying = pool.submit({ b: "die", id: 1 }).catch(caught);
      await sleep(0); // the die task goes out in its own batch
      const late = pool.submit({ b: "return", id: 2, v: "late" }).catch(caught);
      expect(((await dying) as Error).name).toBe("WorkerGracefulDie");
      expect(await late).toEqual({ id: 2, v: "late" });
      expect(adapter.counts.sendsDelayed).toBeGreaterThanOrEqual(1);
      await pool.close();
    },
  );

  it("an exit reported from inside kill() (as Deno threads do) leaves no pool timer running after close()", async () => {
    const timers = trackTimers();
    try {
      const { pool } = faulty({ syncExitOnKill: true }, { workers: 1, taskTimeout: 50, killGrace: 50 });
      expect(await pool.submit({ b: "hang", id: 1 }).catch(caught)).toBeInstanceOf(TaskTimeoutError);
      expect(await pool.submit({ b: "return", id: 2, v: 2 })).toEqual({ id: 2, v: 2 });
      await pool.close();
      expect(timers.live()).toEqual([]);
    } finally {
      timers.uninstall();
    }
  });
});

/**
 * Tracks the timers the pool's own code (src/) creates: `live()` lists those neither fired nor
 * cleared, by where they were created.
 */
function trackTimers(): { live(): string[]; uninstall(): void } {
  const g = globalThis as unknown as Record<string, unknown>;
  const realSet = g.setTimeout as typeof setTimeout;
  const realClear = g.clearTimeout as typeof clearTimeout;
  const live = new Map<unknown, string>();
  g.setTimeout = ((fn: (...a: unknown[]) => void, ms?: number, ...args: unknown[]) => {
    const stack = new Error().stack ?? "";
    const ours = stack.split("\n").find((line) => line.includes("/src/"));
    const handle = realSet(
      (...a: unknown[]) => {
        live.delete(handle);
        fn(...a);
      },
      ms,
      ...args,
    );
    if (ours) live.set(handle, `${ms} ms timer from ${ours.trim()}`);
    return handle;
  }) as typeof setTimeout;
  g.clearTimeout = ((handle: unknown) => {
    live.delete(handle);
    realClear(handle as Parameters<typeof clearTimeout>[0]);
  }) as typeof clearTimeout;
  return {
    live: () => [...live.values()],
    uninstall() {
      g.setTimeout = realSet;
      g.clearTimeout = realClear;
    },
  };
}
