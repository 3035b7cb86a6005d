/**
 * One environment semantics for every process adapter: a worker sees the host's `process.env` as
 * it is when the worker starts, plus `env` (which adds); the admin token never reaches it.
 */
import { afterEach, describe, expect, it } from "vitest";
import { fixture, processAdapters, usePools, waitFor } from "../helpers.ts";

const module = fixture("process/env_tasks.ts");
const SET = ["MPMS_SET_AT_RUN_TIME", "MPMS_ADMIN_TOKEN", "MPMS_OVERRIDDEN"];

describe.each(processAdapters)("environment of %s workers", (adapter) => {
  const make = usePools();
  afterEach(() => {
    for (const name of SET) delete process.env[name];
  });

  it("a variable set at run time reaches a worker started after it", async () => {
    const pool = make<string, string | null>({ module, adapter, workers: 1 });
    await pool.start();
    expect(await pool.submit("MPMS_SET_AT_RUN_TIME")).toBeNull();
    process.env.MPMS_SET_AT_RUN_TIME = "late";
    const first = pool.stats().workers[0]?.id as number;
    expect(pool.recycle(first)).toBe(true);
    await waitFor(
      () => pool.stats().workers.some((w) => w.id !== first && w.state === "ready"),
      10_000,
      "the replacement worker",
    );
    await waitFor(() => pool.stats().workers.length === 1, 10_000, "the old worker to stop");
    expect(await pool.submit("MPMS_SET_AT_RUN_TIME")).toBe("late");
    await pool.close();
  });

  it("`env` adds to the host's environment (and wins over a same-named variable)", async () => {
    process.env.MPMS_OVERRIDDEN = "host";
    const pool = make<string, string | null>({
      module,
      adapter,
      workers: 1,
      env: { MPMS_OVERRIDDEN: "pool", MPMS_ADDED: "added" },
    });
    expect(await pool.submit("MPMS_ADDED")).toBe("added");
    expect(await pool.submit("MPMS_OVERRIDDEN")).toBe("pool");
    expect(await pool.submit("PATH")).toBe(process.env.PATH ?? null);
    await pool.close();
  });

  it("the admin token variable of the host never reaches a worker", async () => {
    process.env.MPMS_ADMIN_TOKEN = "0123456789abcdef-secret";
    const pool = make<string, string | null>({ module, adapter, workers: 1, env: { MPMS_ADDED: "x" } });
    expect(await pool.submit("MPMS_ADMIN_TOKEN")).toBeNull();
    expect(await pool.submit("MPMS_ADDED")).toBe("x");
    await pool.close();
  });
});
