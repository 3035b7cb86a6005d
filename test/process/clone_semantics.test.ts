/**
 * What survives each adapter's channel, both ways (task input and task result): one test per row
 * of the clone-semantics table in docs/adapters.md. "thread" uses structured clone; the process
 * adapters use JSON with typed tags (wire format 2), which keeps the same types; functions,
 * symbols and (on the process channels only) cycles fail only their own task.
 */
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { Pool, SerializationError } from "../../mod.ts";
import { build, type Kind, Point } from "../fixtures/process/clone_values.ts";
import { adapters, childPids, fixture, threadAdapters, waitFor } from "../helpers.ts";

type Channel = "clone" | "json";
/** What arrives on the other side, or "fails" (the task rejects with SerializationError). */
type Expect = "fails" | ((value: unknown) => void);

const date = new Date(Date.UTC(2026, 0, 2, 3, 4, 5));

const same = (kind: Kind, clone: Expect, json: Expect = clone) => ({ kind, clone, json });

const rows: { kind: Kind; clone: Expect; json: Expect }[] = [
  same("date", (v) => expect(v).toEqual(date)),
  same("map", (v) => expect(v).toEqual(new Map([["a", 1]]))),
  same("set", (v) => expect(v).toEqual(new Set([1, 2]))),
  same("uint8array", (v) => expect(v).toEqual(new Uint8Array([1, 2, 3]))),
  same(
    "error",
    (v) => {
      expect(v).toBeInstanceOf(Error);
      expect((v as Error).message).toBe("boom");
    },
    (v) => {
      expect(v).toBeInstanceOf(Error);
      expect((v as Error).name).toBe("RangeError"); // the name is kept too
      expect((v as Error).message).toBe("boom");
    },
  ),
  same("undefinedProperty", (v) => {
    expect(v).toEqual({ a: undefined, b: 1 });
    expect(Object.keys(v as object)).toEqual(["a", "b"]);
  }),
  same("undefinedInArray", (v) => expect(v).toEqual([undefined, 1])),
  same("nan", (v) => expect(v).toEqual({ nan: Number.NaN, inf: Number.POSITIVE_INFINITY })),
  same("bigint", (v) => expect(v).toEqual({ n: 10n })),
  same("function", "fails"),
  same("symbol", "fails"),
  same("cycle", (v) => expect((v as { self: unknown }).self).toBe(v), "fails"),
  same("regexp", (v) => expect(v).toEqual(/ab+c/gi)),
  same("classInstance", (v) => {
    expect(v).toEqual({ x: 1, y: 2 });
    expect(v).not.toBeInstanceOf(Point);
  }),
];

describe.each(adapters)("clone semantics of the %s adapter", (adapter) => {
  const channel: Channel = threadAdapters.includes(adapter) ? "clone" : "json";
  const baseline = new Set(childPids());
  let pool: Pool<unknown, unknown>;

  beforeAll(async () => {
    pool = new Pool({ module: fixture("process/clone_values.ts"), adapter, workers: 1 });
    await pool.start();
  });

  afterAll(async () => {
    await pool.close();
    await waitFor(() => childPids().every((pid) => baseline.has(pid)), 5_000, "workers to exit");
  });

  const check = async (outcome: Promise<unknown>, expected: Expect): Promise<void> => {
    if (expected === "fails") {
      const err = await outcome.then(
        () => new Error("expected a SerializationError"),
        (e: unknown) => e,
      );
      expect(err).toBeInstanceOf(SerializationError);
      return;
    }
    expected(await outcome);
  };

  it.each(rows)("$kind as input and as result", async (row) => {
    const expected = row[channel];
    await check(pool.submit(build(row.kind)), expected);
    await check(pool.submit(row.kind, { name: "make" }), expected);
    // a value that cannot be sent fails its task only: the same worker goes on
    expect(pool.stats().workersStarted).toBe(1);
  });
});
