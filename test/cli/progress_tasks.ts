/** Task module of test/cli/progress.test.ts (kept beside it): a task that reports progress. */
import { existsSync } from "node:fs";

/**
 * Reports `{ step }` as fast as it can (`input.steps` times, yielding now and then), then a last
 * `"waiting"` with a control character and a long tail, and returns the input once the file
 * `input.file` exists (at most 60 s).
 */
export async function reportUntil(
  input: { file: string; steps: number },
  ctx: { progress(value: unknown): void },
): Promise<unknown> {
  for (let step = 1; step <= input.steps; step++) {
    ctx.progress({ step });
    if (step % 10_000 === 0) await new Promise((resolve) => setTimeout(resolve, 0));
  }
  ctx.progress(`waiting\u001b[2J${"x".repeat(10_000)}`);
  const started = Date.now();
  while (!existsSync(input.file)) {
    if (Date.now() - started > 60_000) throw new Error(`reportUntil: ${input.file} did not appear within 60 s`);
    await new Promise((resolve) => setTimeout(resolve, 10));
  }
  return input;
}
