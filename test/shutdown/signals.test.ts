/**
 * Behaviours 22 and 23 with real processes and real signals: phases in order, hooks cut at their
 * timeouts and at the global deadline, a second SIGINT forcing, duplicate SIGINTs debounced,
 * environment overrides. Fixtures run on the runtime running the tests (see spawn.ts).
 */
import { describe, expect, it } from "vitest";
import { sleep } from "../helpers.ts";
import { fixtureRuntimes, useFixtures } from "./spawn.ts";

function indexOf(lines: string[], pattern: RegExp): number {
  return lines.findIndex((l) => pattern.test(l));
}

describe.each(fixtureRuntimes())("signals on %s", (rt) => {
  const start = useFixtures();

  it("22: SIGTERM fails readiness at once, runs the phases in order, logs them, exits 0", async () => {
    const f = start(rt, "hooks.ts", { FIX_DRAIN_MS: "300" });
    await f.line(/^ready$/);
    const sent = f.signal("SIGTERM");
    const exit = await f.exited;
    expect(exit.code, f.output()).toBe(0);
    const elapsed = exit.at - sent;
    expect(elapsed).toBeGreaterThanOrEqual(290);
    expect(elapsed).toBeLessThan(2_000);
    const order = [
      /^mpms shutdown: SIGTERM; deadline 5000 ms$/,
      /^drain start ready=false$/,
      /^drain end$/,
      /^mpms shutdown: phase drain ok in \d+ ms: slow-drain ok \d+ ms$/,
      /^mpms shutdown: phase workers ok in \d+ ms \(no hooks\)$/,
      /^clients ran$/,
      /^final ran$/,
      /^mpms shutdown: phase final ok/,
      /^mpms shutdown: done in \d+ ms \(SIGTERM\); exit code 0$/,
    ].map((p) => indexOf(f.lines, p));
    expect(
      order.every((i) => i >= 0),
      f.output(),
    ).toBe(true);
    expect([...order].sort((a, b) => a - b)).toEqual(order);
  });

  it("a hook that hangs is cut at its timeout, later phases run, exit code is the forced one", async () => {
    const f = start(rt, "hooks.ts", { FIX_HANG_TIMEOUT: "500", FIX_TIMEOUT: "3000" });
    await f.line(/^ready$/);
    const sent = f.signal("SIGTERM");
    const exit = await f.exited;
    const elapsed = exit.at - sent;
    expect(exit.code, f.output()).toBe(3);
    expect(elapsed).toBeGreaterThanOrEqual(480);
    expect(elapsed).toBeLessThan(2_000); // well inside the 3 s deadline
    expect(f.lines).toContain("clients ran");
    expect(f.lines).toContain("final ran");
    const summary = await f.line(/^mpms shutdown: done with failures.*/);
    expect(summary[0]).toContain("timed out: workers/stuck");
    expect(summary[0]).toContain("still running: workers/stuck");
    expect(summary[0]).toContain("exit code 3");
  });

  it("a hook with no own timeout is cut at the global deadline (MPMS_SHUTDOWN_TIMEOUT wins over the option)", async () => {
    const f = start(rt, "hooks.ts", { FIX_HANG_TIMEOUT: "none", FIX_TIMEOUT: "30000", MPMS_SHUTDOWN_TIMEOUT: "700" });
    await f.line(/^ready$/);
    const sent = f.signal("SIGTERM");
    const exit = await f.exited;
    const elapsed = exit.at - sent;
    expect(exit.code, f.output()).toBe(3);
    expect(elapsed).toBeGreaterThanOrEqual(680);
    expect(elapsed).toBeLessThan(2_500);
    expect(f.lines).not.toContain("final ran");
    const summary = await f.line(/^mpms shutdown: forced: deadline reached/);
    expect(summary.input).toContain("skipped: clients/client, final/flush");
    expect(summary.input).toContain("still running: workers/stuck");
  });

  it("MPMS_SHUTDOWN_DRAIN_TIMEOUT bounds the drain phase", async () => {
    const f = start(rt, "hooks.ts", { FIX_DRAIN_MS: "10000", MPMS_SHUTDOWN_DRAIN_TIMEOUT: "0.3s" });
    await f.line(/^ready$/);
    const sent = f.signal("SIGTERM");
    const exit = await f.exited;
    expect(exit.code, f.output()).toBe(3);
    expect(exit.at - sent).toBeGreaterThanOrEqual(280);
    expect(exit.at - sent).toBeLessThan(1_500);
    expect(f.lines).toContain("drain cut");
    expect(f.lines).toContain("final ran");
  });

  it("23: SIGINT twice, 500 ms apart, during a slow drain exits promptly after the second", async () => {
    const f = start(rt, "hooks.ts", { FIX_DRAIN_MS: "10000" });
    await f.line(/^ready$/);
    const first = f.signal("SIGINT");
    await f.line(/^drain start/);
    await sleep(500 - (performance.now() - first));
    const second = f.signal("SIGINT");
    const exit = await f.exited;
    const ms = exit.at - second;
    console.log(`[${rt}] exit ${ms.toFixed(0)} ms after the second SIGINT`);
    expect(exit.code, f.output()).toBe(3);
    expect(ms).toBeLessThan(500); // the drain would take 10 s
    const summary = await f.line(/^mpms shutdown: forced by a second signal/);
    expect(summary.input).toContain("still running: drain/slow-drain");
    expect(summary.input).toContain("skipped: clients/client, final/flush");
  });

  it("23: two SIGINTs in quick succession (one Ctrl+C reaching us twice) do not force", async () => {
    // a debounce of 1 s, so the gap may stretch on a loaded machine; the default (100 ms) is
    // covered with a fake host in coordinator.test.ts
    const f = start(rt, "hooks.ts", { FIX_DRAIN_MS: "800", FIX_DEBOUNCE: "1000" });
    await f.line(/^ready$/);
    const first = f.signal("SIGINT");
    // the second only once the first was taken: two pending SIGINTs would merge into one
    await f.line(/^mpms shutdown: SIGINT; deadline/);
    f.signal("SIGINT");
    const exit = await f.exited;
    expect(exit.code, f.output()).toBe(0);
    expect(exit.at - first).toBeGreaterThanOrEqual(780);
    expect(f.lines).toContain("drain end");
    expect(f.lines.some((l) => l.includes("SIGINT ignored (within 1000 ms of the first signal)"))).toBe(true);
  });

  it("a bad MPMS_SHUTDOWN_TIMEOUT stops the program with an error naming the variable", async () => {
    const f = start(rt, "hooks.ts", { MPMS_SHUTDOWN_TIMEOUT: "soon" });
    const exit = await f.exited;
    expect(exit.code).not.toBe(0);
    expect(f.output()).toContain("environment variable MPMS_SHUTDOWN_TIMEOUT must be a duration > 0 in milliseconds");
    expect(f.output()).toContain('got "soon"');
  });
});
