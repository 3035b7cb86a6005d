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

/**
 * Split a text stream into lines: returns a chunk handler that calls `onLine` per full line.
 * Only the new chunk is searched for "\n" (the unterminated rest is kept in pieces), so a line of
 * megabytes arriving in 64 KiB chunks costs linear time, as in mpms's own reader (runtimes/ndjson.ts).
 */
export function lineSplitter(onLine) {
  const pieces = [];
  return (chunk) => {
    let start = 0;
    for (let nl = chunk.indexOf("\n"); nl !== -1; nl = chunk.indexOf("\n", start)) {
      let line = chunk.slice(start, nl);
      if (pieces.length > 0) {
        pieces.push(line);
        line = pieces.join("");
        pieces.length = 0;
      }
      if (line !== "") onLine(line);
      start = nl + 1;
    }
    if (start < chunk.length) pieces.push(chunk.slice(start));
  };
}
