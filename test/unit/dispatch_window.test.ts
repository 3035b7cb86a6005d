/** DispatchWindow on its own: a fixed prefetch, and the auto window that follows the run times. */
import { describe, expect, it } from "vitest";
import { DispatchWindow } from "../../src/pool/dispatch_window.ts";

describe("DispatchWindow", () => {
  it("a fixed prefetch adds to concurrency whatever the run times", () => {
    const w = new DispatchWindow(3, 5);
    expect(w.limit()).toBe(8);
    w.observe(0.01);
    expect(w.limit()).toBe(8);
    w.observe(10_000);
    expect(w.limit()).toBe(8);
    expect(new DispatchWindow(2, 0).limit()).toBe(2);
  });

  it("auto: only concurrency before the first run time is known", () => {
    const w = new DispatchWindow(4, "auto");
    expect(w.runMs).toBe(-1);
    expect(w.limit()).toBe(4);
  });

  it("auto: the window shrinks as tasks get longer (sub-ms, < 10 ms, < 100 ms, longer)", () => {
    const window = (concurrency: number, ms: number): number => {
      const w = new DispatchWindow(concurrency, "auto");
      w.observe(ms);
      return w.limit();
    };
    // sub-millisecond: a deep window, 16 per concurrency slot, between 64 and 256
    expect(window(1, 0.2)).toBe(1 + 64);
    expect(window(8, 0.2)).toBe(8 + 128);
    expect(window(32, 0.2)).toBe(32 + 256);
    // 1 to 10 ms: twice concurrency more; 10 to 100 ms: concurrency more; from 100 ms: none
    expect(window(2, 1)).toBe(2 + 4);
    expect(window(2, 9.9)).toBe(2 + 4);
    expect(window(2, 10)).toBe(2 + 2);
    expect(window(2, 99)).toBe(2 + 2);
    expect(window(2, 100)).toBe(2);
    expect(window(2, 60_000)).toBe(2);
  });

  it("auto: run times are a moving average (the first sets it, each next weighs a tenth)", () => {
    const w = new DispatchWindow(1, "auto");
    w.observe(200);
    expect(w.runMs).toBe(200);
    w.observe(100);
    expect(w.runMs).toBeCloseTo(190, 10);
    expect(w.limit()).toBe(1);
    // a run of short tasks brings the average, and the window, down step by step
    let steps = 0;
    while (w.runMs >= 100) {
      w.observe(0);
      steps++;
    }
    expect(steps).toBe(7); // 190 · 0.9^7 ≈ 90.9
    expect(w.limit()).toBe(2);
    while (w.runMs >= 1) w.observe(0);
    expect(w.limit()).toBe(1 + 64);
  });
});
