/**
 * Priorities: the queue runs the lowest priority number first, FIFO within a priority; tasks
 * already on a worker are not overtaken; bad values are refused naming the option.
 */
import { describe, expect, it } from "vitest";
import { adapters, caught, childPermissions, fixture, usePools, waitFor } from "../helpers.ts";

const supervision = fixture("supervision.ts");

describe.each(adapters)("priorities on the %s adapter", (adapter) => {
  const make = usePools();
  const base = { module: supervision, adapter, workers: 1, concurrency: 1, prefetch: 0, ...childPermissions(adapter) };

  it("queued tasks run by priority, FIFO within one; the running task is not overtaken", async () => {
    const pool = make<unknown, unknown>(base);
    await pool.start();
    const order: string[] = [];
    const blocking = pool.submit(300, { name: "block" }).then(() => order.push("blocking"));
    await waitFor(() => pool.stats().workers[0]?.started === 1, 10_000, "the blocking task to start");
    const plan: [string, number | undefined][] = [
      ["low-1", 10],
      ["default-1", undefined],
      ["high-1", -10],
      ["low-2", 10],
      ["top", -20],
      ["default-2", 0],
      ["high-2", -10],
      ["last", 19],
    ];
    const all = plan.map(([label, priority]) =>
      pool.submit(label, priority === undefined ? {} : { priority }).then((v) => order.push(v as string)),
    );
    await Promise.all([blocking, ...all]);
    expect(order).toEqual(["blocking", "top", "high-1", "high-2", "default-1", "default-2", "low-1", "low-2", "last"]);
  });

  it("a task aborted in the queue leaves its level; the others keep their order", async () => {
    const pool = make<unknown, unknown>(base);
    await pool.start();
    const order: string[] = [];
    const blocking = pool.submit(300, { name: "block" });
    await waitFor(() => pool.stats().workers[0]?.started === 1, 10_000, "the blocking task to start");
    const ac = new AbortController();
    const aborted = pool.submit("gone", { priority: -5, signal: ac.signal }).catch(caught);
    const rest = ["a", "b"].map((v) => pool.submit(v, { priority: 5 }).then((x) => order.push(x as string)));
    const first = pool.submit("first", { priority: -5 }).then((x) => order.push(x as string));
    ac.abort(new Error("not needed"));
    expect(String(await aborted)).toContain("not needed");
    await Promise.all([blocking, first, ...rest]);
    expect(order).toEqual(["first", "a", "b"]);
    expect(pool.stats()).toMatchObject({ completed: 4, cancelled: 1, queued: 0 });
  });

  it.each([
    [1.5, RangeError],
    [-21, RangeError],
    [20, RangeError],
    [Number.NaN, TypeError],
    ["1", TypeError],
  ])("priority %s is refused with a %o naming the option", async (priority, type) => {
    const pool = make<unknown, unknown>(base);
    const err = await pool.submit("x", { priority: priority as number }).catch(caught);
    expect(err).toBeInstanceOf(type);
    expect(String(err)).toContain('"priority"');
    expect(await pool.submit("ok", { priority: 3 })).toBe("ok");
  });
});
