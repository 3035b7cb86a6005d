/**
 * Typed pool events: every type in PoolEventMap reaches its listener as a PoolEvent with the
 * detail the map promises. The type-level half is checked by `tsc -p tsconfig.check.json`.
 */
import { describe, expect, expectTypeOf, it } from "vitest";
import {
  type BackoffDetail,
  type CallbackErrorDetail,
  type ChannelDetail,
  type DrainDetail,
  type FailedDetail,
  PoolEvent,
  type PoolEventMap,
  type ProgressDetail,
  type WorkerExitDetail,
  type WorkerRetireDetail,
  type WorkerStartDetail,
  type WorkerZombieDetail,
} from "../../mod.ts";
import { fixture, usePools, waitFor } from "../helpers.ts";

const module = fixture("tasks.ts");

describe("typed pool events", () => {
  const make = usePools();

  it("listeners get the detail type of their event, with no cast", () => {
    const pool = make<number, number>({ module, workers: 1 });
    pool.addEventListener("workerexit", (e) => {
      expectTypeOf(e).toEqualTypeOf<PoolEvent<WorkerExitDetail>>();
      expectTypeOf(e.detail.reason).toEqualTypeOf<WorkerExitDetail["reason"]>();
      // @ts-expect-error a workerexit detail has no `delay`
      void e.detail.delay;
    });
    pool.addEventListener("workerstart", (e) => expectTypeOf(e.detail).toEqualTypeOf<WorkerStartDetail>());
    pool.addEventListener("workerretire", (e) => expectTypeOf(e.detail).toEqualTypeOf<WorkerRetireDetail>());
    pool.addEventListener("workerzombie", (e) => expectTypeOf(e.detail).toEqualTypeOf<WorkerZombieDetail>());
    pool.addEventListener("backoff", (e) => expectTypeOf(e.detail).toEqualTypeOf<BackoffDetail>());
    pool.addEventListener("channel", (e) => expectTypeOf(e.detail).toEqualTypeOf<ChannelDetail>());
    pool.addEventListener("drain", (e) => expectTypeOf(e.detail).toEqualTypeOf<DrainDetail>());
    pool.addEventListener("failed", (e) => expectTypeOf(e.detail).toEqualTypeOf<FailedDetail>());
    pool.addEventListener("error", (e) => expectTypeOf(e.detail).toEqualTypeOf<CallbackErrorDetail>());
    pool.addEventListener("progress", (e) => expectTypeOf(e.detail).toEqualTypeOf<ProgressDetail>());
    // An object listener and removal are typed the same way.
    const handler = { handleEvent: (e: PoolEventMap["drain"]) => expectTypeOf(e.detail.submitted).toBeNumber() };
    pool.addEventListener("drain", handler);
    pool.removeEventListener("drain", handler);
    // Other types stay open, as on any EventTarget.
    pool.addEventListener("custom", (e) => expectTypeOf(e).toEqualTypeOf<Event>());
    expectTypeOf<keyof PoolEventMap>().toEqualTypeOf<
      | "workerstart"
      | "workerexit"
      | "workerretire"
      | "workerzombie"
      | "backoff"
      | "scaleup"
      | "scaledown"
      | "channel"
      | "drain"
      | "failed"
      | "progress"
      | "error"
    >();
  });

  it("dispatches PoolEvent instances carrying their detail", async () => {
    const seen: { type: string; event: PoolEvent }[] = [];
    const pool = make<number, number>({
      module,
      workers: 1,
      collector: () => {
        throw new Error("collector failed");
      },
    });
    for (const type of ["workerstart", "workerexit", "workerretire", "drain", "error"] as const) {
      pool.addEventListener(type, (event) => seen.push({ type, event }));
    }
    await pool.start();
    await pool.put(2, { name: "double" });
    await waitFor(() => seen.some((s) => s.type === "drain"), 10_000, "drain");
    const first = pool.stats().workers[0]?.id ?? -1;
    expect(pool.recycle(first)).toBe(true);
    await waitFor(() => seen.some((s) => s.type === "workerexit"), 10_000, "the recycled worker to exit");
    await pool.close();

    for (const { event } of seen) expect(event).toBeInstanceOf(PoolEvent);
    const detail = (type: string): unknown[] => seen.filter((s) => s.type === type).map((s) => s.event.detail);
    expect(detail("workerstart")[0]).toMatchObject({ workerId: first });
    expect(detail("error")).toEqual([{ error: expect.objectContaining({ message: "collector failed" }), taskId: 1 }]);
    expect(detail("drain")[0]).toEqual({ submitted: 1 });
    expect(detail("workerretire")[0]).toEqual({ workerId: first, reason: "recycle" });
    expect(detail("workerexit")[0]).toMatchObject({ workerId: first, reason: "recycle", planned: true });
    // The detail is an own enumerable property, as before: spreading an event keeps it.
    expect({ ...seen[0]?.event }).toHaveProperty("detail");
  });

  it("a throwing listener never ends the program: its error becomes an 'error' event; add/remove keep their identity", async () => {
    const pool = make<number, number>({ module, workers: 1 });
    const errors: CallbackErrorDetail[] = [];
    let calls = 0;
    const throwing = (): void => {
      calls++;
      throw new Error("listener failed");
    };
    pool.addEventListener("error", (e) => {
      errors.push(e.detail);
      throw new Error("an error listener's own throw is ignored");
    });
    pool.addEventListener("drain", throwing);
    pool.addEventListener("drain", throwing); // the same listener twice is added once
    pool.addEventListener("drain", { handleEvent: throwing });
    expect(await pool.submit(3, { name: "double" })).toBe(6);
    await waitFor(() => errors.length >= 2, 10_000, "the listeners' errors");
    expect(calls).toBe(2);
    expect(errors.every((d) => d.taskId === null && d.event === "drain")).toBe(true);
    expect(errors.map((d) => (d.error as Error).message)).toEqual(["listener failed", "listener failed"]);
    pool.removeEventListener("drain", throwing);
    expect(await pool.submit(4, { name: "double" })).toBe(8);
    await waitFor(() => errors.length >= 3, 10_000, "the object listener's error");
    expect(calls).toBe(3); // only the object listener is left
    await pool.close();
  });
});
