/**
 * Property: any options object either builds a pool or throws a TypeError/RangeError that names
 * an option that is wrong (or one of a contradicting pair). Valid objects must build; invalid ones
 * must throw the class their fault calls for. Pools are built without starting; a bounded sample
 * of sane valid options is started (workers: 1) and runs one task.
 */
import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { adapterNames, Pool, type PoolOptions } from "../../mod.ts";
import { adapters, fixture, usePools } from "../helpers.ts";
import { type Bad, contradictions, type Fault, OPTIONS, type OptionArb } from "./option_arbitraries.ts";

const echo = fixture("echo.js");
const fakeAdapter = { name: "fake", canKillBusy: true, isolated: false, spawn: () => ({}) as never };

const MODULE: OptionArb = {
  good: fc.constantFrom<unknown>(echo, echo.href, "/tmp/task.js"),
  bad: fc.oneof(
    fc.constantFrom<unknown>(undefined, 42, null, {}).map((value): Bad => ({ value, fault: "type" })),
    fc.constantFrom<unknown>("relative/task.js", "", "::").map((value): Bad => ({ value, fault: "range" })),
  ),
};
const ADAPTER: OptionArb = {
  // null and undefined mean the default ("thread")
  good: fc.constantFrom<unknown>(undefined, null, ...adapterNames(), fakeAdapter),
  bad: fc.oneof(
    fc.constantFrom<unknown>(7, {}, { spawn: 1 }, true).map((value): Bad => ({ value, fault: "type" })),
    fc.constantFrom<unknown>("nope", "threads", "").map((value): Bad => ({ value, fault: "range" })),
  ),
};
const ALL: Record<string, OptionArb> = { module: MODULE, adapter: ADAPTER, ...OPTIONS };
const NAMES = Object.keys(ALL);

/** Valid values that contradict each other (soft >= hard and the like). */
const ms = fc.integer({ min: 1, max: 100_000 });
const CLASHES: fc.Arbitrary<Record<string, unknown>> = fc.oneof(
  fc.tuple(ms, ms).map(([a, b]) => ({ maxAge: Math.max(a, b), maxAgeHard: Math.min(a, b) })),
  fc.tuple(ms, ms).map(([a, b]) => ({ minAge: Math.max(a, b), maxAge: Math.min(a, b) })),
  fc.tuple(ms, ms).map(([a, b]) => ({ minAge: Math.max(a, b), maxAgeHard: Math.min(a, b) })),
  fc.tuple(ms, ms).map(([a, b]) => ({ heartbeat: { interval: Math.max(a, b), timeout: Math.min(a, b) } })),
  fc.tuple(ms, ms).map(([a, b]) => ({ restart: { backoff: { initial: Math.max(a, b) + 1, max: Math.min(a, b) } } })),
);

/**
 * An options object and what is wrong with it (option → expected error class): a few valid
 * options, plus none (40%), one (45%) or two wrong ones, sometimes an unknown key.
 */
const optionsArb = fc
  .record({
    valid: fc.subarray(NAMES, { maxLength: 8 }),
    wrong: fc.oneof(
      { arbitrary: fc.constant<string[]>([]), weight: 8 },
      { arbitrary: fc.subarray(NAMES, { minLength: 1, maxLength: 1 }), weight: 9 },
      { arbitrary: fc.subarray(NAMES, { minLength: 2, maxLength: 2 }), weight: 3 },
    ),
    unknown: fc.oneof(
      { arbitrary: fc.constant(null), weight: 12 },
      { arbitrary: fc.constantFrom("workrs", "timeout", "size", "onError"), weight: 1 },
    ),
    clash: fc.oneof({ arbitrary: fc.constant({}), weight: 4 }, { arbitrary: CLASHES, weight: 1 }),
  })
  .chain(({ valid, wrong, unknown, clash }) => {
    const goods = Object.fromEntries(
      valid.filter((n) => !wrong.includes(n)).map((n) => [n, (ALL[n] as OptionArb).good]),
    );
    const bads = Object.fromEntries(wrong.map((n) => [n, (ALL[n] as OptionArb).bad]));
    return fc.record({ goods: fc.record(goods), bads: fc.record(bads) }).map(({ goods, bads }) => {
      const options: Record<string, unknown> = { module: echo, ...clash, ...goods };
      const bad = new Map<string, Fault>();
      for (const [name, b] of Object.entries(bads) as [string, Bad][]) {
        options[name] = b.value;
        bad.set(name, b.fault);
      }
      // module is required: leaving it out is a wrong type
      if (options.module === undefined) bad.set("module", "type");
      if (unknown !== null) {
        options[unknown] = 1;
        bad.set(unknown, "type");
      }
      return { options, bad };
    });
  });

/** The option names quoted in an error message, e.g. `"heartbeat.interval"` → "heartbeat". */
function named(message: string): string[] {
  return [...message.matchAll(/"([^"]+)"/g)].map((m) => (m[1] as string).split(".")[0] as string);
}

describe("options (property)", () => {
  const make = usePools();

  it("build a pool, or throw TypeError/RangeError naming a wrong option", () => {
    fc.assert(
      fc.property(optionsArb, ({ options, bad }) => {
        const contradicting = bad.size === 0 ? contradictions(options) : [];
        let error: unknown;
        try {
          new Pool(options as unknown as PoolOptions);
        } catch (e) {
          error = e;
        }
        if (bad.size === 0 && contradicting.length === 0) {
          expect(error).toBeUndefined();
          return;
        }
        expect(error, `options ${String(Object.keys(options))} should be refused`).toBeDefined();
        const err = error as Error;
        expect(err instanceof TypeError || err instanceof RangeError, String(err)).toBe(true);
        const names = named(err.message);
        if (contradicting.length > 0) {
          expect(err).toBeInstanceOf(RangeError);
          expect(contradicting.map((n) => n.split(".")[0])).toContain(names[0]);
          return;
        }
        const culprit = names.find((n) => bad.has(n));
        expect(culprit, `"${err.message}" names none of ${[...bad.keys()].join(", ")}`).toBeDefined();
        if (bad.size === 1) expect(err).toBeInstanceOf(bad.get(culprit as string) === "type" ? TypeError : RangeError);
      }),
      { numRuns: 2_000 },
    );
  });

  it("a non-object options argument is a TypeError naming it", () => {
    fc.assert(
      fc.property(fc.constantFrom<unknown>(undefined, null, 1, "x", true), (value) => {
        expect(() => new Pool(value as never)).toThrow(TypeError);
        expect(() => new Pool(value as never)).toThrow(/"options"/);
      }),
    );
  });

  it("a bounded sample of valid options starts (workers: 1) and runs a task", async () => {
    const sane = fc.record(
      {
        adapter: fc.constantFrom(...adapters),
        concurrency: fc.integer({ min: 1, max: 8 }),
        prefetch: fc.integer({ min: 0, max: 8 }),
        queueSize: fc.oneof(fc.integer({ min: 1, max: 100 }), fc.constant(Number.POSITIVE_INFINITY)),
        maxTasks: fc.oneof(fc.integer({ min: 1, max: 5 }), fc.constant(Number.POSITIVE_INFINITY)),
        maxTasksJitter: fc.integer({ min: 0, max: 3 }),
        maxAge: fc.integer({ min: 2_000, max: 5_000 }),
        taskTimeout: fc.oneof(fc.integer({ min: 2_000, max: 10_000 }), fc.constant(Number.POSITIVE_INFINITY)),
        killGrace: fc.integer({ min: 0, max: 500 }),
        heartbeat: fc.oneof(
          fc.constant(false as const),
          fc.record({ interval: fc.integer({ min: 50, max: 500 }), timeout: fc.integer({ min: 2_000, max: 5_000 }) }),
        ),
        gracefulDie: fc.record(
          {
            timeout: fc.integer({ min: 0, max: 1_000 }),
            errors: fc.constant<string[]>(["WorkerGracefulDie", "MemoryError"]),
          },
          { requiredKeys: [] },
        ),
        maxRecycling: fc.integer({ min: 1, max: 3 }),
      },
      { requiredKeys: ["adapter"] },
    );
    await fc.assert(
      fc.asyncProperty(sane, fc.jsonValue({ maxDepth: 2 }), async (options, input) => {
        const pool = make<unknown, unknown>({ ...options, module: echo, workers: 1 });
        await pool.start();
        expect(await pool.submit(input)).toEqual({ echoed: JSON.parse(JSON.stringify(input)) });
        await pool.close();
        expect(pool.stats().workers).toEqual([]);
      }),
      { numRuns: 6 },
    );
  }, 60_000);
});
