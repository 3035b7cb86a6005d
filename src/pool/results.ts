/** An async queue of outcomes for `pool.results()`: buffered, ends when the pool is closed. */
import { Deque } from "../util/deque.ts";

export class ResultsChannel<T> {
  private readonly buffer = new Deque<T>();
  private readonly waiters: ((r: IteratorResult<T>) => void)[] = [];
  private ended = false;
  subscribers = 0;

  push(item: T): void {
    const waiter = this.waiters.shift();
    if (waiter) waiter({ value: item, done: false });
    else this.buffer.push(item);
  }

  end(): void {
    this.ended = true;
    for (const w of this.waiters.splice(0)) w({ value: undefined, done: true });
  }

  iterate(): AsyncIterableIterator<T> {
    this.subscribers++;
    let done = false;
    const finish = (): IteratorResult<T> => {
      if (!done) {
        done = true;
        this.subscribers--;
      }
      return { value: undefined, done: true };
    };
    const iterator: AsyncIterableIterator<T> = {
      next: () => {
        if (done) return Promise.resolve({ value: undefined, done: true });
        if (this.buffer.length > 0) return Promise.resolve({ value: this.buffer.shift() as T, done: false });
        if (this.ended) return Promise.resolve(finish());
        return new Promise((resolve) => this.waiters.push((r) => resolve(r.done ? finish() : r)));
      },
      return: () => Promise.resolve(finish()),
      [Symbol.asyncIterator]() {
        return iterator;
      },
    };
    return iterator;
  }
}
