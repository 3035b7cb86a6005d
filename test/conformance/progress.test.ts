/**
 * Progress from a running task: `ctx.progress(value)` reaches `onProgress` and the pool's
 * `progress` event, coalesced per event-loop turn of the worker, never after the task settled.
 */
import { describe, expect, it } from "vitest";
import type { ProgressDetail } from "../../mod.ts";
import { adapters, caught, childPermissions, fixture, usePools } from "../helpers.ts";

const progressTasks = fixture("progress.ts");

describe.each(adapters)("progress on the %s adapter", (adapter) => {
  const make = usePools();
  const base = { module: progressTasks, adapter, workers: 1, ...childPermissions(adapter) };

  it("each step reaches onProgress and the progress event, in order, before the result", async () => {
    const pool = make<number, number>(base);
    const events: ProgressDetail[] = [];
    pool.addEventListener("progress", (e) => events.push(e.detail));
    const seen: unknown[] = [];
    let settled = false;
    const value = await pool
      .submit(5, {
        name: "steps",
        onProgress: (v) => {
          expect(settled).toBe(false);
          seen.push(v);
        },
      })
      .finally(() => {
        settled = true;
      });
    expect(value).toBe(5);
    expect(seen).toEqual([1, 2, 3, 4, 5].map((step) => ({ step, of: 5 })));
    expect(events.map((e) => e.value)).toEqual(seen);
    expect(new Set(events.map((e) => e.workerId)).size).toBe(1);
    expect(events.every((e) => e.taskId === events[0]?.taskId)).toBe(true);
  });

  it("a million reports in one turn are coalesced to the latest", async () => {
    const pool = make<number, number>(base);
    const seen: unknown[] = [];
    expect(await pool.submit(1_000_000, { name: "burst", onProgress: (v) => seen.push(v) })).toBe(1_000_000);
    expect(seen).toEqual([1_000_000]);
  });

  it("a report made after the task settled is never delivered", async () => {
    const pool = make<unknown, string>(base);
    const seen: unknown[] = [];
    expect(await pool.submit(null, { name: "afterSettle", onProgress: (v) => seen.push(v) })).toBe("done");
    // the worker's timer has run by the time a following task comes back
    expect(await pool.submit(3, { name: "steps" })).toBe(3);
    expect(seen).toEqual([]);
  });

  it("a value the channel cannot carry is dropped; the task and the pool go on", async () => {
    const pool = make<unknown, string>(base);
    const seen: unknown[] = [];
    expect(await pool.submit(null, { name: "unsendable", onProgress: (v) => seen.push(v) })).toBe("done");
    expect(seen).toEqual(["fine"]);
    expect(pool.stats().workers.length).toBe(1);
    expect(pool.stats().retirements).toEqual({});
  });

  it("binary progress keeps its type", async () => {
    const pool = make<unknown, string>(base);
    const seen: unknown[] = [];
    expect(await pool.submit(null, { name: "bytes", onProgress: (v) => seen.push(v) })).toBe("done");
    expect(seen.length).toBe(1);
    expect(seen[0]).toBeInstanceOf(Uint8Array);
    expect([...(seen[0] as Uint8Array)]).toEqual([1, 2, 3]);
  });

  it("a throwing onProgress is reported as an error event; the task still completes", async () => {
    const pool = make<number, number>(base);
    const errors: unknown[] = [];
    pool.addEventListener("error", (e) => errors.push(e.detail.error));
    const boom = new Error("callback bug");
    const value = await pool.submit(2, {
      name: "steps",
      onProgress: () => {
        throw boom;
      },
    });
    expect(value).toBe(2);
    expect(errors).toEqual([boom, boom]);
  });

  it("onProgress must be a function", async () => {
    const pool = make<number, number>(base);
    const err = await pool.submit(1, { name: "steps", onProgress: 5 as unknown as () => void }).catch(caught);
    expect(err).toBeInstanceOf(TypeError);
    expect(String(err)).toContain("onProgress");
    expect(await pool.submit(1, { name: "steps" })).toBe(1);
  });
});
