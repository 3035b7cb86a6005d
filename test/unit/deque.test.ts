/** Deque on its own: FIFO order, unshift to the front, growth while the ring wraps around, drain. */
import { describe, expect, it } from "vitest";
import { Deque } from "../../src/util/deque.ts";

/** A deterministic pseudo-random sequence (a 32-bit LCG), so a failure replays. */
function lcg(seed: number): () => number {
  let s = seed >>> 0;
  return () => {
    s = (Math.imul(s, 1664525) + 1013904223) >>> 0;
    return s / 2 ** 32;
  };
}

describe("Deque", () => {
  it("shifts in push order, and unshifted items come out first, last unshifted first", () => {
    const q = new Deque<number>();
    for (const n of [1, 2, 3]) q.push(n);
    q.unshift(0);
    q.unshift(-1);
    expect(q.length).toBe(5);
    expect(q.peek()).toBe(-1);
    expect(q.drain()).toEqual([-1, 0, 1, 2, 3]);
    expect(q.length).toBe(0);
  });

  it("answers undefined when empty, and peek does not remove", () => {
    const q = new Deque<string>();
    expect(q.shift()).toBeUndefined();
    expect(q.peek()).toBeUndefined();
    q.push("a");
    expect(q.peek()).toBe("a");
    expect(q.length).toBe(1);
    expect(q.shift()).toBe("a");
    expect(q.shift()).toBeUndefined();
    expect(q.length).toBe(0);
  });

  it("keeps the order when it grows while its items wrap around the end of the ring", () => {
    const q = new Deque<number>(16);
    // move the head to the middle of the 16 slots, then fill them so the items wrap around
    for (let i = 0; i < 10; i++) q.push(-1);
    for (let i = 0; i < 10; i++) q.shift();
    for (let i = 0; i < 16; i++) q.push(i);
    expect(q.length).toBe(16);
    // full: the next push and unshift grow the ring (twice: 16 → 32 → 64 slots)
    for (let i = 16; i < 40; i++) q.push(i);
    q.unshift(-1);
    q.unshift(-2);
    expect(q.length).toBe(42);
    expect(q.drain()).toEqual([-2, -1, ...Array.from({ length: 40 }, (_, i) => i)]);
  });

  it("grows from the front too: unshifting into a full ring keeps the order", () => {
    const q = new Deque<number>(16);
    for (let i = 0; i < 16; i++) q.unshift(i); // head walks backwards around the ring
    q.unshift(16);
    expect(q.drain()).toEqual(Array.from({ length: 17 }, (_, i) => 16 - i));
  });

  it("a capacity above 16 still takes more items than asked for", () => {
    const q = new Deque<number>(100);
    for (let i = 0; i < 300; i++) q.push(i);
    expect(q.length).toBe(300);
    expect(q.shift()).toBe(0);
    expect(q.drain().at(-1)).toBe(299);
  });

  it("matches an array under a long random mix of push, unshift and shift", () => {
    const random = lcg(14);
    const q = new Deque<number>();
    const model: number[] = [];
    let firstMismatch: string | undefined;
    for (let step = 0; step < 20_000 && firstMismatch === undefined; step++) {
      const r = random();
      if (r < 0.4) {
        q.push(step);
        model.push(step);
      } else if (r < 0.6) {
        q.unshift(step);
        model.unshift(step);
      } else {
        const got = q.shift();
        const want = model.shift();
        if (got !== want) firstMismatch = `step ${step}: shift() gave ${got}, expected ${want}`;
      }
      if (q.length !== model.length || q.peek() !== model[0]) {
        firstMismatch ??= `step ${step}: length ${q.length}/peek ${q.peek()}, expected ${model.length}/${model[0]}`;
      }
    }
    expect(firstMismatch).toBeUndefined();
    expect(q.drain()).toEqual(model);
  });
});
