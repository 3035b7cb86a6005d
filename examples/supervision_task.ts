import { WorkerGracefulDie } from "../mod.ts";

export default function double(n: number): number {
  return n * 2;
}

/** Sleeps on, ignoring ctx.signal: the pool kills the worker at timeout + killGrace. */
export function ignoresAbort(ms: number): Promise<number> {
  return new Promise((resolve) => setTimeout(() => resolve(ms), ms));
}

/** A task that decides its worker should retire (e.g. a leaked handle it cannot close). */
export function tired(): never {
  throw new WorkerGracefulDie("this worker should retire");
}

export function crash(): never {
  const deno = (globalThis as { Deno?: { exit(code: number): never } }).Deno;
  if (deno) deno.exit(3);
  process.exit(3);
}
