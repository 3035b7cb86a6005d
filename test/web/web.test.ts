/**
 * What is particular to `adapter: "web"` (the conformance suites cover the rest): the dedicated
 * protocol port, exits the web way, the entry failing to load, options a Web Worker cannot honour,
 * and the clear refusal on Node 20, which has no global Worker.
 */
import { describe, expect, it } from "vitest";
import { TaskError, TaskTimeoutError, WorkerCrashedError, WorkerStartError } from "../../mod.ts";
import { createWebAdapter } from "../../runtimes/web.ts";
import { caught, fixture, runtime, usePools, waitFor } from "../helpers.ts";

const tasks = fixture("web_tasks.ts");

describe.skipIf(runtime !== "node")("the web adapter on Node", () => {
  const make = usePools();

  it("refuses clearly, naming the alternative", async () => {
    const pool = make({ module: tasks, adapter: "web", workers: 1 });
    const err: any = await pool.start().catch(caught);
    expect(err).toBeInstanceOf(WorkerStartError);
    expect(err.message).toMatch(/needs a global Worker/);
    expect(err.message).toMatch(/Node v20/);
    expect(err.message).toMatch(/adapter: "thread"/);
    await pool.close();
  });
});

describe.skipIf(runtime === "node")("the web adapter", () => {
  const make = usePools();

  it("task code posting on the worker itself is reported as foreign, and disturbs nothing", async () => {
    const pool = make<string, string>({ module: tasks, adapter: "web", workers: 1 });
    const seen: { kind: string; received: string }[] = [];
    pool.addEventListener("channel", (e) => seen.push(e.detail));
    expect(await pool.submit("hello", { name: "postOnSelf" })).toBe("posted hello");
    expect(await pool.submit("again", { name: "postOnSelf" })).toBe("posted again");
    // The worker's own channel is not ordered with the protocol port: its messages may come later.
    await waitFor(() => seen.length === 4, 5_000, "the foreign messages");
    await pool.close();
    expect(seen.map((s) => s.kind)).toEqual(["foreign", "foreign", "foreign", "foreign"]);
    expect(seen[0]?.received).toBe('"hello"');
    expect(seen[1]?.received).toContain("forged");
    const s = pool.stats();
    expect([s.completed, s.failed, s.crashed, s.workersStarted]).toEqual([2, 0, 0, 1]);
  });

  it("self.close() from a task crashes only that worker (exit code null); Bun's worker scope has no close()", async () => {
    const pool = make<null, unknown>({ module: tasks, adapter: "web", workers: 1 });
    if (await pool.submit(null, { name: "canClose" })) {
      const err: any = await pool.submit(null, { name: "closeSelf" }).catch(caught);
      expect(err).toBeInstanceOf(WorkerCrashedError);
      expect(err.exitCode).toBe(null);
      expect(err.reason).toBe("exit");
    } else {
      expect(runtime).toBe("bun");
    }
    expect(await pool.submit(null, { name: "canClose" })).toBe(runtime !== "bun");
    expect(pool.stats().workersStarted).toBe(runtime === "bun" ? 1 : 2);
    await pool.close();
  });

  // A stray exit from a timer a settled task left behind must not fail a neighbour that runs:
  // the worker finishes it first, then ends (core v2's deferred exit, through the exit notice).
  for (const name of ["exitFromTimer", "closeFromTimer"]) {
    it(`${name}: an exit from outside a task body waits for the running task; nothing fails`, async () => {
      const pool = make<unknown, unknown>({ module: tasks, adapter: "web", workers: 1, concurrency: 2 });
      if (name === "closeFromTimer" && !(await pool.submit(null, { name: "canClose" }))) {
        expect(runtime).toBe("bun"); // no self.close() to call
        await pool.close();
        return;
      }
      const exits: { reason: string }[] = [];
      pool.addEventListener("workerexit", (e) => exits.push(e.detail));
      const sibling = pool.submit(300, { name: "sleep" });
      await waitFor(() => pool.stats().running === 1, 5_000, "the sibling to start");
      expect(await pool.submit(7, { name })).toBe("armed");
      expect(await sibling).toBe(300);
      await waitFor(() => exits.length === 1, 5_000, "the worker's exit");
      expect(await pool.submit(1, { name: "sleep" })).toBe(1); // the replacement serves
      const s = pool.stats();
      expect([s.completed, s.failed, s.crashed, s.workersStarted]).toEqual([
        name === "closeFromTimer" ? 4 : 3,
        0,
        0,
        2,
      ]);
      await pool.close();
    });
  }

  it("an unhandled rejection ends the worker: its task fails with WorkerCrashedError carrying the reason", async () => {
    const pool = make<null, unknown>({ module: tasks, adapter: "web", workers: 1 });
    const err: any = await pool.submit(null, { name: "unhandledRejection" }).catch(caught);
    expect(err).toBeInstanceOf(WorkerCrashedError);
    expect(err.reason).toBe("error");
    expect(err.exitCode).toBe(null);
    expect(err.cause?.message).toBe("nobody handles me");
    expect(await pool.submit(null, { name: "canClose" })).toBe(runtime !== "bun");
    await pool.close();
  });

  it("an entry that cannot load makes start() reject (the host's error event), the host survives", async () => {
    const module = tasks;
    const adapter = createWebAdapter({ module, entry: new URL("./no_such_entry.ts", import.meta.url) });
    const pool = make({ module, adapter, workers: 1, restart: { intensity: 0 } });
    const err: any = await pool.start().catch(caught);
    expect(err).toBeInstanceOf(WorkerStartError);
    await pool.close();
  });

  it("options a Web Worker cannot honour are refused by name", async () => {
    for (const [option, value] of [
      ["execArgv", ["--expose-gc"]],
      ["execPath", "/bin/true"],
      ["cwd", "/tmp"],
    ] as const) {
      const pool = make({ module: tasks, adapter: "web", workers: 1, [option]: value });
      const err: any = await pool.start().catch(caught);
      expect(err).toBeInstanceOf(WorkerStartError);
      expect(err.message).toContain(`option "${option}" does not apply to adapter "web"`);
      await pool.close();
    }
    if (runtime === "bun") {
      const pool = make({ module: tasks, adapter: "web", workers: 1, permissions: ["--allow-read"] });
      expect(String((await pool.start().catch(caught)).message)).toMatch(/Deno's worker sandbox; Bun has none/);
      await pool.close();
    }
  });

  // Deno's terminate() does not stop a Web Worker in a CPU loop, and the loop then keeps the host
  // process alive (docs/adapters.md): only Bun can show the kill.
  it.skipIf(runtime === "deno")(
    "Bun: a task spinning past its timeout is killed, and a replacement serves",
    async () => {
      const pool = make<null, unknown>({ module: tasks, adapter: "web", workers: 1, taskTimeout: 100, killGrace: 100 });
      await pool.start();
      const err: any = await pool.submit(null, { name: "spin" }).catch(caught);
      expect(err).toBeInstanceOf(TaskTimeoutError);
      expect(await pool.submit(null, { name: "canClose" })).toBe(false);
      const s = pool.stats();
      expect([s.timedOut, s.workersStarted, s.zombies ?? 0]).toEqual([1, 2, 0]);
      await pool.close();
    },
  );

  it("a worker's process.env: the host's at spawn time plus `env`, without the admin token", async () => {
    process.env.MPMS_WEB_HOST_VAR = "host";
    process.env.MPMS_ADMIN_TOKEN = "0123456789abcdef-secret";
    try {
      const pool = make<string, string | null>({
        module: fixture("process/env_tasks.ts"),
        adapter: "web",
        workers: 1,
        env: { MPMS_WEB_ADDED: "added", MPMS_WEB_HOST_VAR: "pool" },
      });
      expect(await pool.submit("MPMS_WEB_ADDED")).toBe("added");
      expect(await pool.submit("MPMS_WEB_HOST_VAR")).toBe("pool"); // `env` wins over the host's
      expect(await pool.submit("PATH")).toBe(process.env.PATH ?? null);
      expect(await pool.submit("MPMS_ADMIN_TOKEN")).toBeNull();
      await pool.close();
    } finally {
      delete process.env.MPMS_WEB_HOST_VAR;
      delete process.env.MPMS_ADMIN_TOKEN;
    }
  });

  it("a task's own error is a TaskError, as on every adapter", async () => {
    const pool = make<string, unknown>({ module: fixture("tasks.ts"), adapter: "web", workers: 1 });
    const err: any = await pool.submit("bad", { name: "fail" }).catch(caught);
    expect(err).toBeInstanceOf(TaskError);
    expect(err.name).toBe("RangeError");
    await pool.close();
  });
});
