// Task module of the browser test: plain JavaScript, loaded by each Web Worker from the test server.
export function double(n) {
  return n * 2;
}

export function fail(message) {
  throw new RangeError(message);
}

export function untilAborted(_, ctx) {
  return new Promise((_resolve, reject) => {
    ctx.signal.addEventListener("abort", () => reject(ctx.signal.reason), { once: true });
  });
}

export function closeSelf() {
  self.close();
  return new Promise(() => {});
}

export function hang() {
  return new Promise(() => {});
}

export function spin() {
  for (;;) {
    // a CPU loop that never yields
  }
}

export function throwInTimer() {
  setTimeout(() => {
    throw new Error("uncaught in timer");
  }, 0);
  return new Promise(() => {});
}

export function sleep(ms) {
  return new Promise((resolve) => setTimeout(() => resolve(ms), ms));
}

export function closeFromTimer() {
  setTimeout(() => self.close(), 0);
  return "armed";
}
