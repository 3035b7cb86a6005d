/**
 * Deadlines on its own: the heap fires in time order, a removed entry never fires, and nothing
 * fires before its time. The clock is injected; the timer is a real setTimeout, so the tests wait
 * on a promise that the fire callback resolves, bounded by a timeout of their own.
 */
import { afterEach, describe, expect, it } from "vitest";
import { type Deadline, Deadlines } from "../../src/pool/deadlines.ts";

/** A promise that `done()` resolves, rejected after `ms` (so a test never hangs on a timer). */
function waitFor(ms: number, what: string): { done: () => void; promise: Promise<void> } {
  let done!: () => void;
  const promise = new Promise<void>((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error(`timed out waiting for ${what}`)), ms);
    done = () => {
      clearTimeout(timer);
      resolve();
    };
  });
  return { done, promise };
}

const sleep = (ms: number): Promise<void> => new Promise((resolve) => setTimeout(resolve, ms));

/** A deterministic shuffle (a 32-bit LCG), so a failure replays. */
function shuffled(values: number[], seed: number): number[] {
  let s = seed >>> 0;
  const out = [...values];
  for (let i = out.length - 1; i > 0; i--) {
    s = (Math.imul(s, 1664525) + 1013904223) >>> 0;
    const j = s % (i + 1);
    [out[i], out[j]] = [out[j] as number, out[i] as number];
  }
  return out;
}

describe("Deadlines", () => {
  let open: { clear(): void } | undefined;
  afterEach(() => open?.clear()); // no timer left behind by a failing test

  it("fires every due entry in time order, whatever the order they were added in", async () => {
    const clock = 1_000;
    const fired: number[] = [];
    const all = waitFor(2_000, "200 deadlines");
    const d = new Deadlines<number>(
      () => clock,
      (entry) => {
        fired.push(entry.at);
        if (fired.length === 200) all.done();
      },
    );
    open = d;
    const times = shuffled(
      Array.from({ length: 200 }, (_, i) => i * 3 + (i % 7)), // all before the clock: due now
      7,
    );
    for (const at of times) d.add(at, at, 0, 0);
    expect(d.size).toBe(200);
    await all.promise;
    expect(fired).toEqual([...times].sort((a, b) => a - b));
    expect(d.size).toBe(0);
  });

  it("a removed entry never fires and leaves the heap at once (the head, the middle, the last)", async () => {
    const clock = 1_000;
    const fired: number[] = [];
    const rest = waitFor(2_000, "the deadlines left");
    const d = new Deadlines<number>(
      () => clock,
      (entry) => {
        fired.push(entry.item);
        if (fired.length === 7) rest.done();
      },
    );
    open = d;
    const entries: Deadline<number>[] = [];
    for (const at of shuffled([10, 20, 30, 40, 50, 60, 70, 80, 90, 100], 3)) entries.push(d.add(at, at, 0, 0));
    const byAt = (at: number): Deadline<number> => entries.find((e) => e.at === at) as Deadline<number>;
    for (const at of [10, 50, 100]) d.remove(byAt(at)); // earliest, one inside, latest
    expect(d.size).toBe(7);
    expect(byAt(50).index).toBe(-1);
    d.remove(byAt(50)); // twice: a no-op
    d.remove(undefined);
    expect(d.size).toBe(7);
    await rest.promise;
    expect(fired).toEqual([20, 30, 40, 60, 70, 80, 90]);
    for (const e of entries) expect(e.index).toBe(-1);
  });

  it("a removal that must move the heap's last entry up, not down, keeps the order", async () => {
    const fired: number[] = [];
    const all = waitFor(2_000, "the deadlines left");
    const d = new Deadlines<number>(
      () => 1_000,
      (entry) => {
        fired.push(entry.at);
        if (fired.length === 6) all.done();
      },
    );
    open = d;
    // heap: 6 / 70 27 / 90 97 96 44; removing 90 puts 44 under 70, where it must go up
    const entries = [90, 27, 96, 70, 97, 6, 44].map((at) => d.add(at, at, 0, 0));
    d.remove(entries[0]);
    await all.promise;
    expect(fired).toEqual([6, 27, 44, 70, 96, 97]);
  });

  it("after removing many entries anywhere in the heap, the rest still fire in time order", async () => {
    const clock = 1_000;
    const fired: number[] = [];
    const rest = waitFor(2_000, "the deadlines left");
    const d = new Deadlines<number>(
      () => clock,
      (entry) => {
        fired.push(entry.at);
        if (fired.length === 100) rest.done();
      },
    );
    open = d;
    // removing an entry moves the heap's last one into its place, which may then go up or down;
    // removals and additions alternate so the heap is reshaped between them
    const entries: Deadline<number>[] = [];
    const removed = new Set<number>();
    const times = shuffled(
      Array.from({ length: 200 }, (_, i) => i * 4),
      11,
    );
    const picks = shuffled([...times.keys()], 5);
    for (const [n, at] of times.entries()) {
      entries.push(d.add(at, at, 0, 0));
      if (n % 2 === 1) {
        const pick = picks.find((i) => i <= n && !removed.has(i)) as number;
        removed.add(pick);
        d.remove(entries[pick]);
      }
    }
    expect(d.size).toBe(100);
    await rest.promise;
    const kept = entries.filter((_, i) => !removed.has(i)).map((e) => e.at);
    expect(fired).toEqual(kept.sort((a, b) => a - b));
  });

  it("when the timer runs, only the entries due by then fire; the later ones wait", async () => {
    let clock = 100;
    const fired: number[] = [];
    const first = waitFor(2_000, "the due deadline");
    const d = new Deadlines<number>(
      () => clock,
      (entry) => {
        fired.push(entry.at);
        first.done();
      },
    );
    open = d;
    d.add(100, 100, 0, 0); // due now
    d.add(101, 101, 0, 0); // due 1 ms of the injected clock later
    d.add(5_000, 5_000, 0, 0);
    await first.promise;
    await sleep(20); // the timer re-armed for 101 has run (the clock stood still): nothing more is due
    expect(fired).toEqual([100]);
    expect(d.size).toBe(2);
    clock = 101;
    await sleep(20); // the re-armed timer runs again and finds 101 due now
    expect(fired).toEqual([100, 101]);
    expect(d.size).toBe(1);
  });

  it("nothing fires before its time; it fires once the clock reaches it", async () => {
    const fired: Deadline<string>[] = [];
    const fire = waitFor(2_000, "the deadline");
    const d = new Deadlines<string>(
      () => performance.now(),
      (entry) => {
        fired.push(entry);
        fire.done();
      },
    );
    open = d;
    const at = performance.now() + 40;
    d.add(at, "task", 2, 5);
    await sleep(10);
    expect(fired).toEqual([]);
    await fire.promise;
    expect(performance.now()).toBeGreaterThanOrEqual(at);
    expect(fired.map((e) => [e.item, e.kind, e.gen])).toEqual([["task", 2, 5]]);
  });

  it("an earlier deadline added later re-arms the timer for itself", async () => {
    const fired: string[] = [];
    const early = waitFor(2_000, "the early deadline");
    const d = new Deadlines<string>(
      () => performance.now(),
      (entry) => {
        fired.push(entry.item);
        early.done();
      },
    );
    open = d;
    const start = performance.now();
    d.add(start + 60_000, "late", 0, 0);
    d.add(start + 20, "early", 0, 0);
    await early.promise;
    expect(fired).toEqual(["early"]);
    expect(d.size).toBe(1);
  });

  it("clear() drops every entry: none fires", async () => {
    const fired: number[] = [];
    const d = new Deadlines<number>(
      () => 1_000,
      (entry) => fired.push(entry.item),
    );
    const entries = [d.add(1, 1, 0, 0), d.add(2, 2, 0, 0)];
    d.clear();
    expect(d.size).toBe(0);
    expect(entries.map((e) => e.index)).toEqual([-1, -1]);
    await sleep(20);
    expect(fired).toEqual([]);
  });
});
