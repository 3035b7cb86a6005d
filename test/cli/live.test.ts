/** The latest-progress book of `mpms run`'s view, and its printer (no processes). */
import { describe, expect, it } from "vitest";
import { brief, LiveProgress } from "../../src/cli/live.ts";
import { barLine, type ProgressSnapshot, plainLiveLine } from "../../src/cli/progress.ts";

describe("brief()", () => {
  it("prints values short and terminal-safe", () => {
    expect(brief(0.5)).toBe("0.5");
    expect(brief({ step: 2 })).toBe('{"step":2}');
    expect(brief("a".repeat(100), 10)).toBe('"aaaaaaaa…');
    expect(brief("\u2028x")).toBe('"?x"');
    const cycle: Record<string, unknown> = {};
    cycle.self = cycle;
    expect(brief(cycle)).toBe("[object Object]");
    expect(brief(Object.create(null))).toBe("{}");
    expect(brief(`${"a".repeat(8)}\u{1F600}`, 10)).toBe('"aaaaaaaa…'); // not half an emoji
  });
});

describe("LiveProgress", () => {
  it("keeps the latest value per running line, shows the first 3 reporters, forgets settled ones", () => {
    const live = new LiveProgress();
    expect(live.text()).toBe("");
    for (let i = 0; i < 1_000_000; i++) live.report(7, i);
    live.report(2, "b");
    live.report(9, { p: 1 });
    live.report(4, true);
    expect(live.size).toBe(4);
    expect(live.text()).toBe('line 7 999999; line 2 "b"; line 9 {"p":1}; +1 more');
    live.end(7);
    expect(live.text()).toBe('line 2 "b"; line 9 {"p":1}; line 4 true');
    expect(live.text(12)).toBe('line 2 "b";…');
    for (const line of [2, 9, 4]) live.end(line);
    expect(live.size).toBe(0);
  });

  it("fills the bar's spare columns and adds a plain line only while tasks report", () => {
    const live = new LiveProgress();
    const s: ProgressSnapshot = {
      done: 5,
      total: 10,
      thisRun: 5,
      failed: 0,
      workers: 2,
      live: (max) => live.text(max),
    };
    const bare = barLine(s, 1, 150);
    expect(plainLiveLine(s)).toBeUndefined();
    live.report(3, 0.25);
    expect(barLine(s, 1, 150)).toBe(`${bare}  line 3 0.25`);
    expect(barLine(s, 1, bare.length + 10)).toBe(bare.slice(0, bare.length + 9)); // no room: the bar alone
    expect(plainLiveLine(s)).toBe("mpms: progress: line 3 0.25");
  });
});
