/**
 * The page of the browser test, bundled by esbuild from mpms/web (web.ts): a pool of two Web
 * Workers runs the scenario and leaves its findings in `window.mpmsResult`.
 */
import { Pool, TaskError, TaskTimeoutError, WorkerCrashedError } from "../../web.ts";

type Findings = Record<string, unknown>;

async function scenario(): Promise<Findings> {
  const out: Findings = {};
  const pool = new Pool<unknown, unknown>({
    module: new URL("./browser_tasks.js", location.href),
    workers: 2,
    killGrace: 100,
  });
  await pool.start();
  out.adapter = pool.stats().adapter;
  out.ready = pool.stats().workers.filter((w) => w.state === "ready").length;
  out.submit = await pool.submit(21, { name: "double" });
  const mapped: unknown[] = [];
  for await (const v of pool.map([1, 2, 3, 4, 5], { ordered: true, name: "double" })) mapped.push(v);
  out.map = mapped;

  const ac = new AbortController();
  const aborted = pool.submit(null, { name: "untilAborted", signal: ac.signal }).catch((e: Error) => e);
  while (pool.stats().running < 1) await new Promise((r) => setTimeout(r, 5));
  ac.abort(new Error("stop now"));
  out.abort = ((await aborted) as Error).message;

  const thrown = (await pool.submit("bad", { name: "fail" }).catch((e: unknown) => e)) as TaskError;
  out.throws = { isTaskError: thrown instanceof TaskError, name: thrown.name, message: thrown.message };

  const closed = (await pool.submit(null, { name: "closeSelf" }).catch((e: unknown) => e)) as WorkerCrashedError;
  out.closeSelf = { crashed: closed instanceof WorkerCrashedError, reason: closed.reason, exitCode: closed.exitCode };

  const hung = (await pool.submit(null, { name: "hang", timeout: 150 }).catch((e: unknown) => e)) as Error;
  out.hang = { timedOut: hung instanceof TaskTimeoutError };
  // Chromium's terminate() stops a worker in a CPU loop (Deno's does not).
  const spun = (await pool.submit(null, { name: "spin", timeout: 150 }).catch((e: unknown) => e)) as Error;
  out.spin = { timedOut: spun instanceof TaskTimeoutError };

  const uncaught = (await pool.submit(null, { name: "throwInTimer" }).catch((e: unknown) => e)) as WorkerCrashedError;
  out.uncaught = { crashed: uncaught instanceof WorkerCrashedError, reason: uncaught.reason };

  out.after = await Promise.all([pool.submit(1, { name: "double" }), pool.submit(2, { name: "double" })]);
  await pool.close();
  const s = pool.stats();
  out.closed = { state: pool.state, workers: s.workers.length, zombies: s.zombies };
  out.counts = {
    completed: s.completed,
    failed: s.failed,
    cancelled: s.cancelled,
    crashed: s.crashed,
    timedOut: s.timedOut,
  };
  out.submitAfterClose = await pool.submit(1).then(
    () => "accepted",
    (e: Error) => e.name,
  );

  // close() from a timer while a neighbour runs: the worker finishes it first, then ends.
  const solo = new Pool<unknown, unknown>({
    module: new URL("./browser_tasks.js", location.href),
    workers: 1,
    concurrency: 2,
  });
  let exits = 0;
  solo.addEventListener("workerexit", () => exits++);
  const sibling = solo.submit(200, { name: "sleep" });
  while (solo.stats().running < 1) await new Promise((r) => setTimeout(r, 5));
  const armed = await solo.submit(null, { name: "closeFromTimer" });
  const slept = await sibling;
  while (exits < 1) await new Promise((r) => setTimeout(r, 5));
  const next = await solo.submit(3, { name: "double" });
  const t = solo.stats();
  out.deferredClose = { armed, slept, next, crashed: t.crashed, failed: t.failed, workersStarted: t.workersStarted };
  await solo.close();
  return out;
}

const w = window as unknown as { mpmsResult?: Findings };
scenario().then(
  (findings) => {
    w.mpmsResult = findings;
  },
  (err: Error) => {
    w.mpmsResult = { failed: `${err.name}: ${err.message}\n${err.stack}` };
  },
);
