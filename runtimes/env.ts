/**
 * The environment of a worker: the host's environment as it is when the worker starts, plus the
 * pool's `env` (which adds to it, on every adapter), minus the variables that hold secrets of the
 * host itself (the admin token), which no task needs.
 */

/**
 * The global `process` (Node, Bun, Deno), not an import of `node:process`: the web adapter uses
 * this module too, and mpms/web must bundle for a browser, where there is none (and where
 * {@link hostEnv} is then null).
 */
const process = (globalThis as { process?: { env: Record<string, string | undefined> } }).process;

/**
 * Variables the host reads for itself and never hands to a worker: `MPMS_ADMIN_TOKEN` (the
 * admin endpoint's bearer token, read by `mpms run`).
 */
export const HOST_ONLY_VARIABLES: readonly string[] = ["MPMS_ADMIN_TOKEN"];

/** The part of the pool's options that decides a worker's environment. */
export interface EnvOptions {
  /** Variables added to (or replacing same-named ones of) the host's environment. */
  env?: Record<string, string>;
}

/**
 * The host's current environment, or null where it may not be read (a Deno host without
 * `--allow-env`). Read anew on every call: a variable set at run time reaches the next worker.
 */
export function hostEnv(): Record<string, string> | null {
  const env: Record<string, string> = {};
  try {
    if (process === undefined) return null;
    for (const [key, value] of Object.entries(process.env)) if (value !== undefined) env[key] = value;
  } catch {
    return null;
  }
  return env;
}

/**
 * A worker's whole environment, built at spawn time: the host's current `process.env`, then
 * `options.env` on top, without {@link HOST_ONLY_VARIABLES} inherited from the host (a name given
 * in `options.env` is passed: it was asked for). Where the host's environment cannot be read, it
 * is `options.env` alone (see {@link hostEnv}).
 *
 * @example
 * ```ts
 * process.env.REGION = "eu";
 * workerEnv({ env: { MODE: "batch" } }); // { ...process.env, REGION: "eu", MODE: "batch" }
 * ```
 */
export function workerEnv(options: EnvOptions): Record<string, string> {
  const env = hostEnv() ?? {};
  for (const name of HOST_ONLY_VARIABLES) delete env[name];
  return Object.assign(env, options.env);
}
