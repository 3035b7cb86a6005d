/**
 * One timer for many deadlines: a binary min-heap of (time, item, kind, generation) with a
 * single setTimeout armed for the earliest. Each entry knows its place in the heap, so a task
 * that settles removes its deadlines at once (O(log n)): the heap holds only tasks in flight,
 * never the input, result or worker of a task that is done. The generation stays as a second
 * guard against an entry that fires for an item that moved on.
 */
import { MAX_TIMER_MS } from "../util/validate.ts";

export interface Deadline<T> {
  at: number;
  item: T;
  kind: number;
  gen: number;
  /** Position in the heap; -1 once removed or fired. */
  index: number;
}

export class Deadlines<T> {
  private heap: Deadline<T>[] = [];
  private timer: ReturnType<typeof setTimeout> | undefined;
  private armedAt = Number.POSITIVE_INFINITY;

  constructor(
    private readonly now: () => number,
    private readonly fire: (entry: Deadline<T>) => void,
  ) {}

  /** Entries waiting (for tests and stats). */
  get size(): number {
    return this.heap.length;
  }

  add(at: number, item: T, kind: number, gen: number): Deadline<T> {
    const entry: Deadline<T> = { at, item, kind, gen, index: this.heap.length };
    this.heap.push(entry);
    this.up(entry.index);
    if (at < this.armedAt) this.arm();
    return entry;
  }

  /** Take `entry` out (no-op if it already fired or was removed). */
  remove(entry: Deadline<T> | undefined): void {
    if (entry === undefined || entry.index < 0) return;
    const heap = this.heap;
    const i = entry.index;
    entry.index = -1;
    const last = heap.pop() as Deadline<T>;
    if (last !== entry) {
      heap[i] = last;
      last.index = i;
      this.down(i);
      this.up(last.index);
    }
    // The armed timer may now be early: it finds nothing due and re-arms. Disarm when empty.
    if (heap.length === 0) this.disarm();
  }

  clear(): void {
    for (const entry of this.heap) entry.index = -1;
    this.heap = [];
    this.disarm();
  }

  private swap(a: number, b: number): void {
    const heap = this.heap;
    const x = heap[a] as Deadline<T>;
    const y = heap[b] as Deadline<T>;
    heap[a] = y;
    heap[b] = x;
    y.index = a;
    x.index = b;
  }

  private up(i: number): void {
    const heap = this.heap;
    while (i > 0) {
      const parent = (i - 1) >> 1;
      if ((heap[parent] as Deadline<T>).at <= (heap[i] as Deadline<T>).at) break;
      this.swap(parent, i);
      i = parent;
    }
  }

  private down(i: number): void {
    const heap = this.heap;
    for (;;) {
      const l = 2 * i + 1;
      const r = l + 1;
      let m = i;
      if (l < heap.length && (heap[l] as Deadline<T>).at < (heap[m] as Deadline<T>).at) m = l;
      if (r < heap.length && (heap[r] as Deadline<T>).at < (heap[m] as Deadline<T>).at) m = r;
      if (m === i) return;
      this.swap(m, i);
      i = m;
    }
  }

  private pop(): Deadline<T> {
    const top = this.heap[0] as Deadline<T>;
    this.remove(top);
    return top;
  }

  private disarm(): void {
    if (this.timer !== undefined) clearTimeout(this.timer);
    this.timer = undefined;
    this.armedAt = Number.POSITIVE_INFINITY;
  }

  private arm(): void {
    if (this.timer !== undefined) clearTimeout(this.timer);
    const next = this.heap[0];
    if (!next) {
      this.timer = undefined;
      this.armedAt = Number.POSITIVE_INFINITY;
      return;
    }
    this.armedAt = next.at;
    // setTimeout fires at once for delays above 2^31-1 ms: wait at most that, then look again.
    const delay = Math.min(MAX_TIMER_MS, Math.max(0, Math.ceil(next.at - this.now())));
    this.timer = setTimeout(() => this.run(), delay);
  }

  private run(): void {
    this.timer = undefined;
    this.armedAt = Number.POSITIVE_INFINITY;
    const now = this.now();
    while (this.heap.length > 0 && (this.heap[0] as Deadline<T>).at <= now) this.fire(this.pop());
    this.arm();
  }
}
