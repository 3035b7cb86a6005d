/**
 * resourceLimits on the thread adapter: on Node a worker thread past its heap limit ends with
 * WorkerCrashedError {reason: "oom"} and is replaced; Bun and Deno accept the option without
 * enforcing it (documented). Other adapters refuse it, naming the option and the alternative.
 */
import { describe, expect, it } from "vitest";
import { WorkerCrashedError } from "../../mod.ts";
import { caught, fixture, runtime, usePools } from "../helpers.ts";

const supervision = fixture("supervision.ts");

describe("resourceLimits", () => {
  const make = usePools();

  it.runIf(runtime === "node")(
    "a thread past its heap limit crashes with reason oom; a replacement serves",
    async () => {
      const pool = make<unknown, unknown>({
        module: supervision,
        adapter: "thread",
        workers: 1,
        resourceLimits: { maxOldGenerationSizeMb: 32 },
      });
      await pool.start();
      const err = await pool.submit(512, { name: "allocate" }).catch(caught);
      expect(err).toBeInstanceOf(WorkerCrashedError);
      expect((err as WorkerCrashedError).reason).toBe("oom");
      expect(await pool.submit("still here")).toBe("still here");
      expect(pool.stats().crashed).toBe(1);
    },
  );

  it.runIf(runtime !== "node")(
    "Bun and Deno accept the option; the pool runs (the limit is not enforced there)",
    async () => {
      const pool = make<number, unknown>({
        module: supervision,
        adapter: "thread",
        workers: 1,
        resourceLimits: { maxOldGenerationSizeMb: 64, stackSizeMb: 4 },
      });
      expect(await pool.submit(8, { name: "allocate" })).toBe(8);
    },
  );

  it("is refused on other adapters and with unknown or bad keys, naming the option", () => {
    const base = { module: supervision, workers: 1 };
    expect(() => make({ ...base, adapter: "process", resourceLimits: { maxOldGenerationSizeMb: 64 } })).toThrow(
      /"resourceLimits" applies to the "thread" adapter only/,
    );
    expect(() => make({ ...base, resourceLimits: { maxOldGenMb: 64 } as never })).toThrow(
      /unknown option "resourceLimits.maxOldGenMb"/,
    );
    expect(() => make({ ...base, resourceLimits: { stackSizeMb: -1 } })).toThrow(/resourceLimits.stackSizeMb/);
    expect(() => make({ ...base, resourceLimits: 5 as never })).toThrow(TypeError);
  });
});
