/**
 * Where the benchmark loads mpms from: Node the tsc output in bench/dist (built by run.mjs, so
 * tsx is not in the measurement), Bun and Deno the TypeScript sources; MPMS_BENCH_DIST
 * (run.mjs --dist <dir>) another build, e.g. a patched copy. Shared by the mpms subject and the
 * task modules that import from mpms (tasks/moved_mpms.mjs), so both load the same copy.
 */
import { currentRuntime } from "./runtime.mjs";

const other = globalThis.process?.env?.MPMS_BENCH_DIST;

export const MPMS_ENTRY = other
  ? new URL(`file://${other.replace(/\/?$/, "/")}mod.js`).href
  : new URL(currentRuntime() === "node" ? "../dist/mod.js" : "../../mod.ts", import.meta.url).href;
