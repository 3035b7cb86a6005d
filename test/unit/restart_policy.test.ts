/** RestartPolicy on its own: the intensity window, and the back-off that grows with a streak. */
import { describe, expect, it } from "vitest";
import { type RestartOptions, RestartPolicy } from "../../src/pool/restart_policy.ts";

const OPTIONS: RestartOptions = { intensity: 3, period: 1_000, initial: 100, max: 1_000, factor: 2 };

describe("RestartPolicy", () => {
  it("no delay for the first failure; back-off from the second in a row, growing by factor up to max", () => {
    const p = new RestartPolicy(OPTIONS);
    expect(p.delay()).toBe(0);
    const delays: number[] = [];
    for (let i = 0; i < 8; i++) {
      p.failed(i * 10_000); // far apart: never past the intensity
      delays.push(p.delay());
    }
    expect(delays).toEqual([0, 100, 200, 400, 800, 1_000, 1_000, 1_000]);
    expect(p.consecutive).toBe(8);
  });

  it("a completed task ends the streak: the next failure restarts at once again", () => {
    const p = new RestartPolicy(OPTIONS);
    p.failed(0);
    p.failed(10_000);
    p.failed(20_000);
    expect(p.delay()).toBe(200);
    p.succeeded();
    expect(p.consecutive).toBe(0);
    expect(p.delay()).toBe(0);
    p.failed(30_000);
    expect(p.delay()).toBe(0);
    p.failed(40_000);
    expect(p.delay()).toBe(100);
  });

  it("a factor of 1 keeps the delay at initial", () => {
    const p = new RestartPolicy({ ...OPTIONS, factor: 1 });
    for (let i = 0; i < 6; i++) p.failed(i * 10_000);
    expect(p.delay()).toBe(100);
  });

  it("more than `intensity` failures within `period` ms report the count; fewer report 0", () => {
    const p = new RestartPolicy(OPTIONS);
    expect(p.failed(0)).toBe(0);
    expect(p.failed(100)).toBe(0);
    expect(p.failed(200)).toBe(0); // 3 = intensity: still allowed
    expect(p.failed(300)).toBe(4); // the fourth within 1000 ms
  });

  it("failures older than the period drop out of the window (the period's edge still counts)", () => {
    const p = new RestartPolicy(OPTIONS);
    p.failed(0);
    p.failed(500);
    p.failed(900);
    // at 1000 the failure at 0 is exactly `period` old: still in the window, 4 > 3
    expect(p.failed(1_000)).toBe(4);
    const q = new RestartPolicy(OPTIONS);
    q.failed(0);
    q.failed(500);
    q.failed(900);
    // at 1001 the failure at 0 has left: 500, 900, 1001 are 3
    expect(q.failed(1_001)).toBe(0);
    // at 1499 the failure at 500 is 999 ms old and counts: 500, 900, 1001, 1499 are 4
    expect(q.failed(1_499)).toBe(4);
    // much later, the window holds the new failure only
    expect(q.failed(10_000)).toBe(0);
    expect(q.failed(10_001)).toBe(0);
  });

  it("succeeded() resets the streak, not the intensity window", () => {
    const p = new RestartPolicy(OPTIONS);
    p.failed(0);
    p.failed(100);
    p.failed(200);
    p.succeeded();
    expect(p.failed(300)).toBe(4);
    expect(p.delay()).toBe(0);
  });
});
