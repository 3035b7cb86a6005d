/**
 * The shutdown coordinator in-process, with a fake host (no real signals or exits): phases,
 * budgets, the global deadline, force, debounce, idempotency, reports (behaviours 22-24). Real
 * processes and signals are in signals.test.ts; add(), options and environment in
 * registration.test.ts.
 */
import { describe, expect, it } from "vitest";
import { type HookContext, Shutdown } from "../../mod.ts";
import { waitFor } from "../helpers.ts";
import { fakeHost, lines, sleep } from "./fake_host.ts";

const quiet = { logger: false as const, exit: false };

describe("phases", () => {
  it("runs phases in order (custom ones between), hooks of one phase concurrently", async () => {
    const order: string[] = [];
    const s = new Shutdown(
      { ...quiet, phases: ["drain", "workers", "queues", "clients", "storage", "final"] },
      fakeHost(),
    );
    const hook = (name: string, ms: number) => async () => {
      order.push(`start ${name}`);
      await sleep(ms);
      order.push(`end ${name}`);
    };
    s.add("db", hook("db", 10), { phase: "storage" });
    s.add("a", hook("a", 120), { phase: "drain" });
    s.add("b", hook("b", 120), { phase: "drain" });
    s.add("q", hook("q", 10), { phase: "queues" });
    s.add("log", hook("log", 10), { phase: "final" });
    const report = await s.run();
    // b starts before a ends: the hooks of one phase overlap
    expect(order).toEqual([
      "start a",
      "start b",
      "end a",
      "end b",
      "start q",
      "end q",
      "start db",
      "end db",
      "start log",
      "end log",
    ]);
    expect(report.ok).toBe(true);
    expect(report.forced).toBe(false);
    expect(report.exitCode).toBe(0);
    expect(report.phases.map((p) => [p.name, p.status])).toEqual([
      ["drain", "ok"],
      ["workers", "ok"],
      ["queues", "ok"],
      ["clients", "ok"],
      ["storage", "ok"],
      ["final", "ok"],
    ]);
    const drain = report.phases[0];
    expect(drain?.hooks.map((h) => h.name)).toEqual(["a", "b"]);
    expect(drain?.hooks[0]?.ms).toBeGreaterThanOrEqual(100);
  });

  it("a hook that throws or hangs is reported and does not stop later phases", async () => {
    const host = fakeHost();
    const { logger, out } = lines();
    const s = new Shutdown({ logger, timeout: 5_000, forcedExitCode: 3 }, host);
    const seen: string[] = [];
    let hangSignal: AbortSignal | undefined;
    s.add(
      "sync-throw",
      () => {
        throw new Error("boom");
      },
      { phase: "drain" },
    );
    s.add("async-reject", async () => Promise.reject(new TypeError("bad")), { phase: "drain" });
    s.add("ok", () => seen.push("drain ok"), { phase: "drain" });
    s.add(
      "hang",
      (signal) => {
        hangSignal = signal;
        return new Promise(() => {});
      },
      { phase: "workers", timeout: 150 },
    );
    s.add("after", () => seen.push("clients ran"), { phase: "clients" });
    s.add("last", () => seen.push("final ran"), { phase: "final" });
    const t0 = performance.now();
    const report = await s.run("test");
    const ms = performance.now() - t0;
    expect(seen).toEqual(["drain ok", "clients ran", "final ran"]);
    expect(ms).toBeGreaterThanOrEqual(140);
    expect(ms).toBeLessThan(1_000);
    const [drain, workers] = report.phases;
    expect(drain?.status).toBe("error");
    expect(drain?.hooks.map((h) => h.status)).toEqual(["error", "error", "ok"]);
    expect(drain?.hooks[0]?.error).toBeInstanceOf(Error);
    expect((drain?.hooks[0]?.error as Error | undefined)?.message).toBe("boom");
    expect((drain?.hooks[1]?.error as Error | undefined)?.name).toBe("TypeError");
    expect(workers?.status).toBe("timeout");
    expect(workers?.hooks[0]?.ms).toBeGreaterThanOrEqual(140);
    expect(hangSignal?.aborted).toBe(true);
    expect((hangSignal?.reason as DOMException | undefined)?.name).toBe("TimeoutError");
    expect(report.ok).toBe(false);
    expect(report.forced).toBe(false);
    expect(report.running).toEqual(["workers/hang"]);
    expect(report.exitCode).toBe(3);
    expect(host.exits).toEqual([3]);
    const summary = out.at(-1) as string;
    expect(summary).toContain("timed out: workers/hang");
    expect(summary).toContain("failed: drain/sync-throw, drain/async-reject");
    expect(summary).toContain("exit code 3");
    // one line to start, one per phase, one summary
    expect(out.filter((l) => l.includes("phase ")).length).toBe(5);
  });

  it("a hook failing with a TimeoutError of its own counts as timed out", async () => {
    const s = new Shutdown(quiet, fakeHost());
    s.add("inner", () => Promise.reject(new DOMException("gave up", "TimeoutError")));
    const report = await s.run();
    expect(report.phases[1]?.hooks[0]).toMatchObject({ name: "inner", status: "timeout" });
    expect(report.running).toEqual([]);
    expect(report.ok).toBe(false);
  });

  it("each hook gets min(its timeout, the phase timeout, time left of the deadline)", async () => {
    const s = new Shutdown(
      { ...quiet, timeout: 1_000, phases: ["drain", { name: "workers", timeout: 300 }, "clients", "storage", "final"] },
      fakeHost(),
    );
    const budgets: Record<string, number> = {};
    const startedAt: Record<string, number> = {};
    const record = (signal: AbortSignal, ctx: HookContext): Promise<void> => {
      startedAt[ctx.name] = performance.now();
      budgets[ctx.name] = ctx.timeLeft();
      return new Promise((resolve) => signal.addEventListener("abort", () => resolve()));
    };
    s.add("own", record, { phase: "drain", timeout: 100 });
    s.add("phase", record, { phase: "workers", timeout: 5_000 });
    s.add("global", record, { phase: "clients" });
    const t0 = performance.now();
    const report = await s.run();
    const ms = performance.now() - t0;
    expect(budgets.own).toBeGreaterThan(90);
    expect(budgets.own).toBeLessThanOrEqual(100);
    expect(budgets.phase).toBeGreaterThan(290);
    expect(budgets.phase).toBeLessThanOrEqual(300);
    // the last one gets what is left of the deadline (1000 - 100 - 300, less whatever the timers
    // of the first two overran): its budget ends at t0 + 1000
    expect((startedAt.global as number) + (budgets.global as number) - t0).toBeGreaterThanOrEqual(999);
    expect((startedAt.global as number) + (budgets.global as number) - t0).toBeLessThanOrEqual(1_010);
    expect(budgets.global).toBeLessThanOrEqual(610);
    expect(ms).toBeGreaterThanOrEqual(990);
    expect(ms).toBeLessThan(2_000);
    expect(report.forced).toBe(true);
    expect(report.forcedBy).toBe("deadline");
    expect(report.phases.map((p) => p.status)).toEqual(["timeout", "timeout", "timeout", "skipped", "skipped"]);
  });

  it("the global deadline skips later phases and their hooks", async () => {
    const s = new Shutdown({ ...quiet, timeout: 200 }, fakeHost());
    let storageRan = false;
    s.add("slow", () => new Promise(() => {}), { phase: "drain" });
    s.add(
      "db",
      () => {
        storageRan = true;
      },
      { phase: "storage" },
    );
    const report = await s.run();
    expect(storageRan).toBe(false);
    expect(report.forcedBy).toBe("deadline");
    expect(report.ms).toBeLessThan(1_200);
    expect(report.phases.find((p) => p.name === "storage")?.hooks).toEqual([
      { name: "db", phase: "storage", status: "skipped", ms: 0 },
    ]);
  });
});

describe("runs and signals", () => {
  it("24: concurrent run() callers share one run; hooks run once", async () => {
    const s = new Shutdown(quiet, fakeHost());
    let calls = 0;
    s.add("once", async () => {
      calls++;
      await sleep(50);
    });
    const [a, b] = await Promise.all([s.run("one"), s.run("two")]);
    const c = await s.run("three");
    expect(calls).toBe(1);
    expect(a).toBe(b);
    expect(c).toBe(a);
    expect(a.reason).toBe("one");
  });

  it("22: a signal fails readiness at once; the shutdown signal fires when the phases begin (after delay)", async () => {
    const host = fakeHost();
    const s = new Shutdown({ ...quiet, delay: 150 }, host);
    let hookAt = 0;
    s.add(
      "h",
      () => {
        hookAt = performance.now();
      },
      { phase: "drain" },
    );
    s.listen();
    expect(host.installed().sort()).toEqual(["SIGINT", "SIGTERM"]);
    expect(s.ready).toBe(true);
    const t0 = performance.now();
    host.send("SIGTERM");
    expect(s.ready).toBe(false);
    expect(s.state).toBe("delaying");
    expect(s.signal.aborted).toBe(false);
    expect(s.timeLeft()).toBeGreaterThan(29_000);
    await new Promise<void>((r) => s.signal.addEventListener("abort", () => r()));
    expect(performance.now() - t0).toBeGreaterThanOrEqual(140);
    const report = await s.run();
    expect(report.reason).toBe("SIGTERM");
    expect(hookAt - t0).toBeGreaterThanOrEqual(140);
    expect(host.installed()).toEqual([]); // exit: false uninstalls once done
  });

  it("23: a second signal forces: running hooks are cut, later phases skipped, exit code forced", async () => {
    const host = fakeHost();
    const { logger, out } = lines();
    const s = new Shutdown({ logger, forcedExitCode: 7 }, host);
    let cut: unknown;
    s.add(
      "slow",
      (signal) =>
        new Promise<void>((resolve) =>
          signal.addEventListener("abort", () => {
            cut = signal.reason;
            resolve();
          }),
        ),
      { phase: "drain" },
    );
    let later = false;
    s.add(
      "later",
      () => {
        later = true;
      },
      { phase: "final" },
    );
    s.listen();
    host.send("SIGINT");
    host.send("SIGINT"); // within the debounce: the same Ctrl+C reaching us twice
    expect(out.some((l) => l.includes("SIGINT ignored (within 100 ms"))).toBe(true);
    await sleep(150);
    expect(s.state).toBe("running");
    const t0 = performance.now();
    host.send("SIGINT");
    const report = await s.run();
    expect(performance.now() - t0).toBeLessThan(1_000); // the hook would wait for the 30 s deadline
    expect(report.forced).toBe(true);
    expect(report.forcedBy).toBe("signal");
    expect(report.exitCode).toBe(7);
    expect(host.exits).toEqual([7]);
    expect((cut as DOMException).name).toBe("AbortError");
    expect(later).toBe(false);
    expect(report.phases[0]?.hooks[0]?.status).toBe("timeout");
    expect(report.phases.at(-1)?.hooks[0]?.status).toBe("skipped");
    expect(out.some((l) => l.includes("SIGINT ignored (within 100 ms"))).toBe(true);
    expect(out.at(-1)).toContain("forced by a second signal");
    expect(out.at(-1)).toContain("skipped: final/later");
    await sleep(200); // the force backstop must not exit a second time
    expect(host.exits).toEqual([7]);
  });

  it("a second signal during the delay forces too; forceOnSecondSignal: false ignores it", async () => {
    const host = fakeHost();
    const s = new Shutdown({ ...quiet, delay: 5_000 }, host);
    s.listen();
    host.send("SIGTERM");
    await sleep(120); // past the debounce
    expect(s.state).toBe("delaying");
    host.send("SIGTERM");
    const report = await s.run();
    expect(report.forcedBy).toBe("signal");
    expect(report.ms).toBeLessThan(2_000); // the delay alone is 5 s

    const host2 = fakeHost();
    const s2 = new Shutdown({ ...quiet, forceOnSecondSignal: false }, host2);
    let secondSent!: () => void;
    const second = new Promise<void>((resolve) => (secondSent = resolve));
    s2.add("until-second", () => second, { phase: "drain" }); // still running when the signal comes
    s2.listen();
    host2.send("SIGTERM");
    await sleep(120); // past the debounce
    expect(s2.state).toBe("running");
    host2.send("SIGTERM");
    secondSent();
    const r2 = await s2.run();
    expect(r2.forced).toBe(false);
    expect(r2.ok).toBe(true);
  });

  it("a signal during a manual run is the first signal, not a force", async () => {
    const host = fakeHost();
    const s = new Shutdown(quiet, host);
    let signalSent!: () => void;
    const sent = new Promise<void>((resolve) => (signalSent = resolve));
    s.add("h", () => sent); // still running when the signal comes
    s.listen();
    const run = s.run("admin");
    await sleep(120); // past the debounce, had the run counted as a first signal
    expect(s.state).toBe("running");
    host.send("SIGTERM");
    signalSent();
    const report = await run;
    expect(report.forced).toBe(false);
    expect(report.reason).toBe("admin");
  });

  it("exit codes: functions of the report; exit: false never exits", async () => {
    const host = fakeHost();
    const s = new Shutdown({ logger: false, exitCode: (r) => (r.phases.length === 5 ? 42 : 1) }, host);
    expect((await s.run()).exitCode).toBe(42);
    expect(host.exits).toEqual([42]);
    const host2 = fakeHost();
    const s2 = new Shutdown({ logger: false, exit: false }, host2);
    await s2.run();
    expect(host2.exits).toEqual([]);
  });

  it("the force backstop exits with the code a forcedExitCode function chose, even while output is stuck", async () => {
    // stdout never drains and the emergency hooks take most of their budget: the backstop (150 ms
    // after the second signal) comes before the flush wait (100 ms after the summary) ends
    const host = fakeHost();
    host.flush = () => new Promise(() => {});
    const { logger, out } = lines();
    const s = new Shutdown({ logger, forcedExitCode: (r) => (r.forcedBy === "signal" ? 9 : 2) }, host);
    s.add("slow", (signal) => new Promise((resolve) => signal.addEventListener("abort", resolve)), { phase: "drain" });
    s.emergency(
      () => {
        const until = performance.now() + 90;
        while (performance.now() < until) {
          // synchronous last-resort work within the 100 ms budget
        }
      },
      { name: "busy" },
    );
    s.listen();
    host.send("SIGINT");
    await sleep(150); // past the debounce
    host.send("SIGINT");
    await waitFor(() => host.exits.length > 0, 2_000, "the exit");
    await sleep(200); // the later of the two paths must not exit a second time
    expect(host.exits).toEqual([9]);
    expect(out.some((l) => l.includes("emergency hooks: busy ok"))).toBe(true);
    expect(out.some((l) => l.includes("forced end not finished after 150 ms (flushing output)"))).toBe(true);
  });

  it("a hook forcing the run while its phase starts cuts that phase at once", async () => {
    const host = fakeHost();
    const s = new Shutdown({ logger: false, forcedExitCode: 4 }, host);
    let cut: unknown;
    s.add(
      "waits",
      (signal) =>
        new Promise<void>((resolve) =>
          signal.addEventListener("abort", () => {
            cut = signal.reason;
            resolve();
          }),
        ),
      { phase: "drain" },
    );
    s.add(
      "forces",
      () => {
        void s.force("database gone");
      },
      { phase: "drain" },
    );
    const t0 = performance.now();
    const report = await s.run();
    expect(performance.now() - t0).toBeLessThan(1_000); // not the 30 s deadline
    expect(report.forcedBy).toBe("manual");
    expect((cut as DOMException | undefined)?.name).toBe("AbortError");
    expect(host.exits).toEqual([4]);
  });

  it("force() before any run ends at once with everything skipped", async () => {
    const s = new Shutdown(quiet, fakeHost());
    s.add("h", () => {});
    const report = await s.force("admin");
    expect(report.forcedBy).toBe("manual");
    expect(report.phases.every((p) => p.status === "skipped")).toBe(true);
  });
});
