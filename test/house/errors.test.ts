/** Every mpms error has a string `ERR_MPMS_*` code; a crash's exit code is `exitCode`. */
import { describe, expect, expectTypeOf, it } from "vitest";
import {
  MpmsError,
  PoolClosedError,
  PoolUnavailableError,
  QueueFullError,
  SerializationError,
  TaskError,
  TaskTimeoutError,
  WorkerCrashedError,
  WorkerRetiredError,
  WorkerStartError,
} from "../../mod.ts";
import { caught, fixture, usePools } from "../helpers.ts";

describe("error codes", () => {
  const make = usePools();

  it("WorkerCrashedError: code ERR_MPMS_WORKER_CRASHED, exitCode and signal of the exit", () => {
    const exited = new WorkerCrashedError({ workerId: 2, exitCode: 3, signal: null, reason: "exit" });
    expect(exited).toBeInstanceOf(MpmsError);
    expect(exited).toMatchObject({
      name: "WorkerCrashedError",
      code: "ERR_MPMS_WORKER_CRASHED",
      exitCode: 3,
      signal: null,
      reason: "exit",
      workerId: 2,
      message: "worker 2 crashed (exit code 3)",
    });
    const killed = new WorkerCrashedError({ workerId: 1, exitCode: null, signal: "SIGKILL", reason: "killed" });
    expect(killed).toMatchObject({ code: "ERR_MPMS_WORKER_CRASHED", exitCode: null, signal: "SIGKILL" });
    expect(killed.message).toBe("worker 1 crashed (signal SIGKILL)");
    const silent = new WorkerCrashedError({ workerId: 1, exitCode: null, signal: null, reason: "unresponsive" });
    expect(silent.message).toBe("worker 1 crashed (unresponsive)");
    expectTypeOf(exited.code).toEqualTypeOf<string>();
    expectTypeOf(exited.exitCode).toEqualTypeOf<number | null>();
  });

  it("every error class has a string ERR_MPMS_* code", () => {
    const errors: MpmsError[] = [
      new PoolClosedError(),
      new QueueFullError(),
      new PoolUnavailableError(),
      new WorkerCrashedError({ workerId: 1, exitCode: 1, signal: null, reason: "exit" }),
      new WorkerRetiredError("maxAgeHard"),
      new TaskTimeoutError(10),
      new WorkerStartError("no start"),
      new SerializationError("no clone"),
      new TaskError({ name: "TypeError", message: "bad" }),
    ];
    for (const error of errors) expect(error.code).toMatch(/^ERR_MPMS_[A-Z_]+$/);
    expect(new Set(errors.map((e) => e.code)).size).toBe(errors.length);
  });

  it("a task that exits its worker rejects with exitCode set", async () => {
    const pool = make<number, never>({ module: fixture("tasks.ts"), workers: 1 });
    const err = await pool.submit(3, { name: "exit" }).catch(caught);
    expect(err).toBeInstanceOf(WorkerCrashedError);
    expect(err).toMatchObject({ code: "ERR_MPMS_WORKER_CRASHED", exitCode: 3, signal: null, reason: "exit" });
    await pool.close();
  });
});
