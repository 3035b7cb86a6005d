// Task module of the chaos suite: the behaviour of each task is chosen by its input,
// `{ b, id, ... }`. Plain JavaScript with no imports, so a restarted worker starts fast on every
// runtime (Node needs no TypeScript loader) and Deno children need no extra permission.

const g = globalThis;

function exit(code) {
  if (g.Deno) g.Deno.exit(code);
  return process.exit(code);
}

/** Memory as the pool's heartbeat measures it: RSS for a process worker, heap for a thread. */
function memory(rss) {
  const usage = process.memoryUsage();
  return rss ? usage.rss : usage.heapUsed;
}

const hoard = [];

function sleep(ms, signal) {
  return new Promise((resolve, reject) => {
    const timer = setTimeout(resolve, ms);
    signal?.addEventListener(
      "abort",
      () => {
        clearTimeout(timer);
        reject(signal.reason);
      },
      { once: true },
    );
  });
}

export default function chaos(input, ctx) {
  const id = input.id;
  switch (input.b) {
    case "return":
      return { id, v: input.v };
    case "sleep":
      // Honours its abort signal: rejects with the reason at once.
      return sleep(input.ms, ctx.signal).then(() => ({ id, v: input.ms }));
    case "throw": {
      const err = new Error(`chaos throw ${id}`);
      err.name = "ChaosError";
      throw err;
    }
    case "asyncThrow":
      return Promise.resolve().then(() => {
        const err = new Error(`chaos async throw ${id}`);
        err.name = "ChaosAsyncError";
        throw err;
      });
    case "exit":
      return exit(input.code);
    case "exitAfterReply":
      setTimeout(() => exit(input.code), 0);
      return { id, v: "replied" };
    case "spin": {
      // ms 0 (what the chaos plan uses): forever, until the pool kills the worker.
      const end = input.ms > 0 ? Date.now() + input.ms : Number.POSITIVE_INFINITY;
      while (Date.now() < end) {
        // burn CPU without yielding
      }
      return { id, v: "spun" };
    }
    case "hang":
      return new Promise(() => {});
    case "ignoreAbort":
      return new Promise((resolve) => setTimeout(() => resolve({ id, v: input.ms }), input.ms));
    case "die": {
      const err = new Error(`chaos die ${id}`);
      err.name = "WorkerGracefulDie";
      throw err;
    }
    case "allocate": {
      // Grow until over the pool's memory limit (bounded), and keep it: the worker must retire.
      let chunks = 0;
      while (memory(input.rss) <= input.limit && chunks < input.maxChunks) {
        hoard.push(new Array(128 * 1024).fill(chunks)); // ~1 MiB
        chunks++;
      }
      return { id, v: chunks };
    }
    case "unclonable":
      return { id, v: () => id };
    case "print":
      // Looks like protocol traffic: a channel that shares stdout with the worker must not care.
      console.log(`[{"t":"ok","id":${id},"value":"chaos stdout"}]`);
      console.error(`chaos stderr ${id}`);
      return { id, v: input.v };
    default:
      throw new TypeError(`unknown chaos behaviour ${JSON.stringify(input.b)}`);
  }
}
