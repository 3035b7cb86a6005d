/**
 * The emergency layer with real processes and real signals: the synchronous last-resort hooks run
 * once, in order, guarded, within their budget, right before the exit, on every way out (a clean
 * end, the deadline, a second signal, an uncaught exception, an unhandled rejection). Each hook
 * writes a marker file; the test checks the files, their order, the log and the exit code.
 */
import { existsSync, mkdtempSync, readFileSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterEach, describe, expect, it } from "vitest";
import { sleep } from "../helpers.ts";
import { type Fixture, fixtureRuntimes, useFixtures } from "./spawn.ts";

const dirs: string[] = [];
afterEach(() => {
  for (const dir of dirs.splice(0)) rmSync(dir, { recursive: true, force: true });
});

function tempDir(): string {
  const dir = mkdtempSync(join(tmpdir(), "mpms-emergency-"));
  dirs.push(dir);
  return dir;
}

/** Names the hooks appended to the order file, in order. */
function order(dir: string): string[] {
  const file = join(dir, "order");
  return existsSync(file)
    ? readFileSync(file, "utf8")
        .split("\n")
        .filter((l) => l !== "")
    : [];
}

/** The emergency log line, which says which hooks ran, threw or were skipped. */
async function emergencyLine(f: Fixture): Promise<string> {
  return (await f.line(/^mpms shutdown: emergency hooks: /)).input as string;
}

describe.each(fixtureRuntimes())("emergency hooks on %s", (rt) => {
  const start = useFixtures();

  it("clean end: they run once, in order, after the phases; a throwing one does not stop the next", async () => {
    const dir = tempDir();
    const f = start(rt, "emergency.ts", { FIX_DIR: dir, FIX_WAY: "clean" });
    await f.line(/^ready$/);
    f.signal("SIGTERM");
    const exit = await f.exited;
    expect(exit.code, f.output()).toBe(14); // the throwing emergency hook is a failure
    expect(order(dir)).toEqual(["first", "second"]);
    expect(readFileSync(join(dir, "first"), "utf8")).toBe(String(f.pid));
    expect(existsSync(join(dir, "final"))).toBe(true);
    const line = await emergencyLine(f);
    expect(line).toMatch(/first ok \d+ ms, thrower error \d+ ms \(Error: emergency boom\), second ok \d+ ms$/);
    // after the last phase, before the summary
    const finalPhase = f.lines.findIndex((l) => l.startsWith("mpms shutdown: phase final"));
    const summary = f.lines.findIndex((l) => l.startsWith("mpms shutdown: done with failures"));
    expect(finalPhase).toBeLessThan(f.lines.indexOf(line));
    expect(f.lines.indexOf(line)).toBeLessThan(summary);
    expect(f.lines[summary]).toContain("failed: emergency/thrower");
    expect(f.lines.filter((l) => l.includes("emergency hooks:"))).toHaveLength(1);
  });

  it("clean end with every hook ok exits 0", async () => {
    const dir = tempDir();
    const f = start(rt, "emergency.ts", { FIX_DIR: dir, FIX_WAY: "clean", FIX_THROWER: "0" });
    await f.line(/^ready$/);
    f.signal("SIGTERM");
    const exit = await f.exited;
    expect(exit.code, f.output()).toBe(0);
    expect(order(dir)).toEqual(["first", "second"]);
  });

  it("deadline: later phases are skipped, the emergency hooks still run", async () => {
    const dir = tempDir();
    const f = start(rt, "emergency.ts", { FIX_DIR: dir, FIX_WAY: "deadline", MPMS_SHUTDOWN_TIMEOUT: "400" });
    await f.line(/^ready$/);
    f.signal("SIGTERM");
    const exit = await f.exited;
    expect(exit.code, f.output()).toBe(12);
    expect(existsSync(join(dir, "final"))).toBe(false);
    expect(order(dir)).toEqual(["first", "second"]);
    expect(await emergencyLine(f)).toContain("thrower error");
    expect((await f.line(/^mpms shutdown: forced: deadline reached/)).input).toContain("skipped: final/final-hook");
  });

  it("second signal: the run is cut, the emergency hooks run, the exit is prompt", async () => {
    const dir = tempDir();
    const f = start(rt, "emergency.ts", { FIX_DIR: dir, FIX_WAY: "second-signal" });
    await f.line(/^ready$/);
    const first = f.signal("SIGTERM");
    await f.line(/^drain start$/);
    await sleep(150 - (performance.now() - first)); // past the debounce
    const second = f.signal("SIGTERM");
    const exit = await f.exited;
    expect(exit.code, f.output()).toBe(11);
    expect(exit.at - second).toBeLessThan(1_000); // the deadline is 5 s away
    expect(existsSync(join(dir, "final"))).toBe(false);
    expect(order(dir)).toEqual(["first", "second"]);
    expect(await emergencyLine(f)).toContain("thrower error");
    await f.line(/^mpms shutdown: forced by a second signal/);
  });

  it.each([
    ["exception", "uncaught exception", "Error: boom in a timer"],
    ["rejection", "unhandled rejection", "Error: nobody handles this"],
  ])("an %s during the run forces the end through the emergency hooks", async (way, what, message) => {
    const dir = tempDir();
    const f = start(rt, "emergency.ts", { FIX_DIR: dir, FIX_WAY: way });
    await f.line(/^ready$/);
    f.signal("SIGTERM");
    const exit = await f.exited;
    expect(exit.code, f.output()).toBe(13);
    expect(f.output()).toContain(`mpms shutdown: ${what} during shutdown: ${message}`);
    expect(existsSync(join(dir, "final"))).toBe(false);
    expect(order(dir)).toEqual(["first", "second"]);
    expect(await emergencyLine(f)).toContain("thrower error");
    const summary = (await f.line(new RegExp(`^mpms shutdown: forced by an ${what}`))).input;
    expect(summary).toContain("skipped: final/final-hook");
  });

  it("the budget is checked between hooks: after an overrun the rest are skipped and reported", async () => {
    const dir = tempDir();
    const f = start(rt, "emergency.ts", { FIX_DIR: dir, FIX_WAY: "clean", FIX_BUDGET: "1" });
    await f.line(/^ready$/);
    f.signal("SIGTERM");
    const exit = await f.exited;
    expect(exit.code, f.output()).toBe(14);
    expect(order(dir)).toEqual(["first", "second", "slow"]);
    expect(existsSync(join(dir, "late"))).toBe(false);
    expect(await emergencyLine(f)).toMatch(/slow ok \d+ ms, late skipped \(budget of 100 ms spent\)$/);
    expect((await f.line(/^mpms shutdown: done with failures/)).input).toContain("skipped: emergency/late");
  });
});
