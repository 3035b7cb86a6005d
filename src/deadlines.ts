/**
 * One timer for many deadlines: a binary min-heap of (time, item, kind, generation) with a
 * single setTimeout armed for the earliest. Cancelling is lazy: an entry whose generation no
 * longer matches its item's is dropped when it comes up.
 */
export interface Deadline<T> {
  at: number;
  item: T;
  kind: number;
  gen: number;
}

export class Deadlines<T> {
  private heap: Deadline<T>[] = [];
  private timer: ReturnType<typeof setTimeout> | undefined;
  private armedAt = Number.POSITIVE_INFINITY;

  constructor(
    private readonly now: () => number,
    private readonly fire: (entry: Deadline<T>) => void,
  ) {}

  get size(): number {
    return this.heap.length;
  }

  add(at: number, item: T, kind: number, gen: number): void {
    const heap = this.heap;
    heap.push({ at, item, kind, gen });
    let i = heap.length - 1;
    while (i > 0) {
      const parent = (i - 1) >> 1;
      if ((heap[parent] as Deadline<T>).at <= at) break;
      [heap[parent], heap[i]] = [heap[i] as Deadline<T>, heap[parent] as Deadline<T>];
      i = parent;
    }
    if (at < this.armedAt) this.arm();
  }

  clear(): void {
    this.heap = [];
    if (this.timer !== undefined) clearTimeout(this.timer);
    this.timer = undefined;
    this.armedAt = Number.POSITIVE_INFINITY;
  }

  private pop(): Deadline<T> {
    const heap = this.heap;
    const top = heap[0] as Deadline<T>;
    const last = heap.pop() as Deadline<T>;
    if (heap.length > 0) {
      heap[0] = last;
      let i = 0;
      for (;;) {
        const l = 2 * i + 1;
        const r = l + 1;
        let m = i;
        if (l < heap.length && (heap[l] as Deadline<T>).at < (heap[m] as Deadline<T>).at) m = l;
        if (r < heap.length && (heap[r] as Deadline<T>).at < (heap[m] as Deadline<T>).at) m = r;
        if (m === i) break;
        [heap[m], heap[i]] = [heap[i] as Deadline<T>, heap[m] as Deadline<T>];
        i = m;
      }
    }
    return top;
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
    this.timer = setTimeout(() => this.run(), Math.max(0, Math.ceil(next.at - this.now())));
  }

  private run(): void {
    this.timer = undefined;
    this.armedAt = Number.POSITIVE_INFINITY;
    const now = this.now();
    while (this.heap.length > 0 && (this.heap[0] as Deadline<T>).at <= now) this.fire(this.pop());
    this.arm();
  }
}
