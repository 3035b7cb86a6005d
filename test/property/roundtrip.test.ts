/**
 * Property: task inputs of any JSON shape round-trip through every adapter of this runtime
 * (echoed back equal, -0 included), and any other value either arrives (of the same type, on
 * every adapter since wire format 1) or
 * fails its own task with a SerializationError that says what could not be sent. Neither ever
 * crashes the worker or the pool.
 */
import fc from "fast-check";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { Pool, SerializationError } from "../../mod.ts";
import { adapters, fixture } from "../helpers.ts";

/** Values that a channel may refuse: functions, symbols, BigInt, cycles, and odd objects. */
const awkward: fc.Arbitrary<unknown> = fc.oneof(
  fc.anything({
    maxDepth: 3,
    withBigInt: true,
    withBoxedValues: true,
    withDate: true,
    withMap: true,
    withSet: true,
    withNullPrototype: true,
    withSparseArray: true,
    withTypedArray: true,
    stringUnit: "binary",
  }),
  fc.constantFrom<unknown>(
    () => 1,
    Symbol("s"),
    10n ** 30n,
    { nested: [1, { f: () => 2 }] },
    (() => {
      const cycle: Record<string, unknown> = { a: 1 };
      cycle.self = cycle;
      return cycle;
    })(),
    new Error("an error as input"),
    undefined,
    Number.NaN,
  ),
);

describe.each(adapters)("task input round trip on the %s adapter (property)", (adapter) => {
  let pool: Pool<unknown, { echoed: unknown }>;

  beforeAll(async () => {
    pool = new Pool({ module: fixture("echo.js"), adapter, workers: 1, restart: { intensity: 0 } });
    await pool.start();
  });
  afterAll(async () => {
    await pool.close();
    expect(pool.stats().workersStarted).toBe(1); // no input ever cost a worker
  });

  it("any JSON value comes back equal", async () => {
    await fc.assert(
      fc.asyncProperty(fc.jsonValue({ maxDepth: 4, stringUnit: "binary" }), async (value) => {
        const { echoed } = await pool.submit(value);
        expect(echoed).toEqual(value); // -0 too: the process channels tag it (wire format 1)
      }),
      { numRuns: 150 },
    );
  });

  it("any other value arrives, or fails only its task with a clear SerializationError", async () => {
    let refused = 0;
    await fc.assert(
      fc.asyncProperty(awkward, async (value) => {
        try {
          const { echoed } = await pool.submit(value);
          expect(echoed).toEqual(value); // what arrives keeps its type and content
        } catch (error) {
          refused++;
          expect(error).toBeInstanceOf(SerializationError);
          expect((error as Error).message).toMatch(/cannot be sent to the (worker|pool): .+/);
        }
        expect(await pool.submit("still usable")).toEqual({ echoed: "still usable" });
      }),
      { numRuns: 120 },
    );
    expect(refused).toBeGreaterThan(0);
  });
});
