// Task module for the start-race regressions: `init` takes START_MS on even worker ids and
// FAST_MS on odd ones, so a test can hold a pool in its "starting" state while some of its
// workers already run tasks. The default export echoes its input, or exits with `input.exit`.

const START_MS = 1_500;
const FAST_MS = 20;
const g = globalThis;

export async function init(ctx) {
  await new Promise((resolve) => setTimeout(resolve, ctx.workerId % 2 === 0 ? START_MS : FAST_MS));
}

export default function task(input) {
  if (input !== null && typeof input === "object" && typeof input.exit === "number") {
    if (g.Deno) g.Deno.exit(input.exit);
    process.exit(input.exit);
  }
  return input;
}
