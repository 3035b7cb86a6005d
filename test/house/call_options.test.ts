/**
 * The options of submit/put/map/close are checked like the pool's: an unknown key is a TypeError
 * naming it (a misspelt option is not silently ignored), and the pool keeps serving after.
 */
import { describe, expect, it } from "vitest";
import { MAX_MS, MAX_WORKERS } from "../../src/util/limits.ts";
import { fixture, usePools } from "../helpers.ts";

const module = fixture("tasks.ts");

describe("unknown option keys", () => {
  const make = usePools();

  it("submit, put, map and close reject an unknown key with a TypeError naming it; the pool keeps serving", async () => {
    const pool = make<number, number>({ module, workers: 1 });
    await pool.start();
    const transfer = { transfr: [] } as never;

    await expect(pool.submit(1, transfer)).rejects.toThrow(new TypeError('mpms: unknown submit option "transfr"'));
    await expect(pool.put(1, transfer)).rejects.toThrow(new TypeError('mpms: unknown put option "transfr"'));
    await expect(pool.map([1, 2], { orderd: true } as never).next()).rejects.toThrow(
      new TypeError('mpms: unknown map option "orderd"'),
    );
    await expect(pool.close({ timout: 10 } as never)).rejects.toThrow(
      new TypeError('mpms: unknown close option "timout"'),
    );
    expect(pool.stats().submitted).toBe(0);
    expect(pool.state).toBe("running");

    // Still serving: the rejected calls changed nothing.
    expect(await pool.submit(2, { name: "double", timeout: 5_000, wait: true })).toBe(4);
    await pool.put(3, { name: "double" });
    const doubled: number[] = [];
    for await (const n of pool.map([1, 2, 3], { ordered: true, name: "double", window: 2 })) doubled.push(n);
    expect(doubled).toEqual([2, 4, 6]);
    await pool.close({ timeout: 10_000 });
    expect(pool.state).toBe("closed");
  });

  it("non-object options and bad values are refused with the class their fault calls for", async () => {
    const pool = make<number, number>({ module, workers: 1 });
    await expect(pool.submit(1, 5 as never)).rejects.toThrow(
      new TypeError("mpms: submit options must be an object, got 5"),
    );
    await expect(pool.put(1, null as never)).rejects.toThrow(/put options must be an object, got null/);
    await expect(pool.submit(1, { timeout: MAX_MS + 1 })).rejects.toThrow(RangeError);
    await expect(pool.submit(1, { signal: "no" as never })).rejects.toThrow(/option "signal" must be an AbortSignal/);
    await expect(pool.map([1], { window: 0 }).next()).rejects.toThrow(/option "window" must be an integer >= 1/);
    await expect(pool.close({ timeout: -1 })).rejects.toThrow(RangeError);
    expect(() => pool.resize(MAX_WORKERS + 1)).toThrow(
      new RangeError(`mpms: option "workers" must be an integer >= 1 and <= ${MAX_WORKERS}, got ${MAX_WORKERS + 1}`),
    );
    // An inherited key is not an option of the call.
    const inherited = Object.create({ transfr: [] }) as { name?: string };
    inherited.name = "double";
    expect(await pool.submit(5, inherited)).toBe(10);
    expect(pool.stats().submitted).toBe(1);
    await pool.close();
  });
});
