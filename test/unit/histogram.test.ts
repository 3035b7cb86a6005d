/** Histogram on its own: which bucket a sample lands in, the cumulative snapshot, and percentiles read from it. */
import { describe, expect, it } from "vitest";
import { quantileBetween } from "../../src/admin/history.ts";
import { Histogram, LATENCY_BUCKETS } from "../../src/util/histogram.ts";

describe("Histogram", () => {
  it("an empty histogram: zero counts on the default latency bounds", () => {
    const snapshot = new Histogram().snapshot();
    expect(snapshot.buckets).toEqual([...LATENCY_BUCKETS]);
    expect(snapshot.counts).toEqual(LATENCY_BUCKETS.map(() => 0));
    expect(snapshot.sum).toBe(0);
    expect(snapshot.count).toBe(0);
  });

  it("records milliseconds into second buckets; a sample on a bound belongs to that bound's bucket", () => {
    const h = new Histogram([0.001, 0.01, 0.1]);
    h.recordMs(0); // ≤ 1 ms
    h.recordMs(1); // exactly 1 ms: the first bucket (le="0.001")
    h.recordMs(1.5); // ≤ 10 ms
    h.recordMs(10); // exactly 10 ms
    h.recordMs(50); // ≤ 100 ms
    h.recordMs(2_000); // above the last bound: only in count (+Inf)
    const snapshot = h.snapshot();
    expect(snapshot.buckets).toEqual([0.001, 0.01, 0.1]);
    expect(snapshot.counts).toEqual([2, 4, 5]); // cumulative
    expect(snapshot.count).toBe(6);
    expect(snapshot.sum).toBeCloseTo((0 + 1 + 1.5 + 10 + 50 + 2_000) / 1000, 12);
  });

  it("a snapshot is a copy: later samples and edits of it do not change each other", () => {
    const bounds = [0.01, 0.1];
    const h = new Histogram(bounds);
    h.recordMs(5);
    const first = h.snapshot();
    h.recordMs(50);
    expect(first.counts).toEqual([1, 1]);
    expect(first.count).toBe(1);
    first.buckets.push(99);
    first.counts[0] = 42;
    const second = h.snapshot();
    expect(second.buckets).toEqual([0.01, 0.1]);
    expect(second.counts).toEqual([1, 2]);
    expect(bounds).toEqual([0.01, 0.1]);
  });

  it("percentiles from its snapshots: interpolated within the bucket, over all samples or those in between two", () => {
    const h = new Histogram([0.01, 0.1, 1]);
    for (let i = 0; i < 90; i++) h.recordMs(5); // 90 in (0, 10 ms]
    for (let i = 0; i < 10; i++) h.recordMs(500); // 10 in (100 ms, 1 s]
    const before = h.snapshot();
    expect(quantileBetween(null, before, 0.5)).toBeCloseTo(0.01 * (50 / 90), 12);
    expect(quantileBetween(null, before, 0.9)).toBeCloseTo(0.01, 12);
    expect(quantileBetween(null, before, 0.95)).toBeCloseTo(0.1 + 0.9 * (5 / 10), 12);
    for (let i = 0; i < 4; i++) h.recordMs(50); // in (10, 100 ms]
    const after = h.snapshot();
    // only the 4 samples since `before`: all in the second bucket
    expect(quantileBetween(before, after, 0.5)).toBeCloseTo(0.01 + 0.09 * (2 / 4), 12);
    expect(quantileBetween(after, after, 0.5)).toBe(null);
  });

  it("samples above the last bound report the last bound as their percentile", () => {
    const h = new Histogram([0.01]);
    h.recordMs(5_000);
    h.recordMs(6_000);
    expect(h.snapshot().counts).toEqual([0]);
    expect(quantileBetween(null, h.snapshot(), 0.99)).toBe(0.01);
  });
});
