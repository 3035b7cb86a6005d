/** The limits of mpms, each defined once: option validation, the CLI and the admin import them. */

/** Longest delay (ms) setTimeout honours; a larger one fires at once. */
export const MAX_MS = 2 ** 31 - 1;

/** Most workers one pool runs (the `workers` option, `resize()`, the CLI's `--workers`). */
export const MAX_WORKERS = 1024;

/** Most tasks running at once inside one worker (the `concurrency` option). */
export const MAX_CONCURRENCY = 10_000;

/** Most tasks sent to a worker beyond its `concurrency` (the `prefetch` option). */
export const MAX_PREFETCH = 1024;
