/**
 * The smallest possible "pool" over a bare channel, used by the raw floors: round-robin over
 * the channels, one message per task, replies matched by id. No queue, no supervision.
 */
export class RawPool {
  #senders;
  #pending = new Map();
  #next = 0;
  #rr = 0;

  /** `senders`: one function per worker that sends one message. */
  constructor(senders) {
    this.#senders = senders;
  }

  /** Feed every reply from any worker here. */
  reply(m) {
    const resolve = this.#pending.get(m.id);
    if (resolve === undefined) return;
    this.#pending.delete(m.id);
    resolve(m.value);
  }

  run(input) {
    const id = this.#next++;
    const send = this.#senders[this.#rr];
    this.#rr = (this.#rr + 1) % this.#senders.length;
    return new Promise((resolve) => {
      this.#pending.set(id, resolve);
      send({ id, input });
    });
  }
}

/** Resolve when `count` workers said { ready: true } through `subscribe(handler)`. */
export function readyLatch(count) {
  let left = count;
  let done;
  const promise = new Promise((resolve) => (done = resolve));
  return {
    promise,
    seen() {
      if (--left === 0) done();
    },
  };
}

/** Split a text stream into lines: returns a chunk handler that calls `onLine` per full line. */
export function lineSplitter(onLine) {
  let rest = "";
  return (chunk) => {
    const lines = (rest + chunk).split("\n");
    rest = lines.pop();
    for (const line of lines) if (line !== "") onLine(line);
  };
}
