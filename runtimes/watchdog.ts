/**
 * The watchdog of a process worker: a tiny thread that ends the worker, and its process group,
 * once the host that started it is gone. The worker's channel tells it too, but only when its
 * event loop turns: a task spinning in `for(;;){}` would otherwise keep an orphan alive forever.
 * The thread runs on its own event loop, so it acts even while the main thread is stuck.
 */
import process from "node:process";
import { Worker } from "node:worker_threads";
import { rawExit } from "./detect.ts";

/** Bound before the entry guards `process.exit` for task code: the host is gone, nothing to wait for. */
const exitNow = rawExit();

/** How often the watchdog looks at its parent: the host's death is acted on within about this. */
export const WATCHDOG_INTERVAL_MS = 200;

/** The command-line argument by which a process adapter asks its child to start the watchdog. */
export const WATCHDOG_ARGUMENT = "--mpms-watchdog";

/**
 * The thread's code, evaluated as a script (no file to load, so nothing to read: it works under
 * any Deno sandbox, and from TypeScript source on Node). When the worker's parent changes (the
 * host died and the worker was re-parented to init or a subreaper), SIGKILL the worker's group (the worker is
 * its leader: the tasks' subprocesses go too), then the worker itself (a group kill needs Deno's
 * `--allow-run`; signalling itself needs no permission).
 */
const THREAD_CODE = `
const { workerData } = require("node:worker_threads");
const { parent, intervalMs } = workerData;
function check() {
  if (process.ppid === parent) return;
  try { process.kill(-process.pid, "SIGKILL"); } catch {}
  process.kill(process.pid, "SIGKILL");
}
check();
setInterval(check, intervalMs);
`;

/**
 * The host is gone (the worker's channel ended, which happens only when the host exited or was
 * killed): SIGKILL this worker's process group, so that the subprocesses its tasks started go
 * with it, then exit. The worker leads its group (the adapters spawn it `detached`); where the
 * group cannot be signalled (Windows, Deno without `--allow-run`, which also cannot start
 * subprocesses) the worker just exits.
 */
export function hostGone(): never {
  try {
    process.kill(-process.pid, "SIGKILL");
  } catch {
    // no group of ours to signal
  }
  return exitNow(0);
}

/**
 * Start the watchdog if the command line asks for it ({@link WATCHDOG_ARGUMENT}, added by the
 * process adapters). It watches the process that started this one, as it is now: the host, or a
 * wrapper script the runtime binary was started through (then the worker goes when the wrapper
 * goes). A host that died before this line ran is noticed by the channel, which the event loop is
 * still free to read at this point.
 *
 * The thread never keeps the worker alive (it is unref'd), and never ends it for any other
 * reason: a watchdog that fails to start or dies leaves the worker as it was. Costs one small
 * thread (roughly 10 MB of RSS on Node and Bun, 20 MB on Deno) and a `getppid` every
 * {@link WATCHDOG_INTERVAL_MS}.
 */
export function startWatchdog(argv: readonly string[] = process.argv): void {
  if (!argv.includes(WATCHDOG_ARGUMENT)) return;
  try {
    const workerData = { parent: process.ppid, intervalMs: WATCHDOG_INTERVAL_MS };
    const thread = new Worker(THREAD_CODE, { eval: true, workerData });
    thread.unref();
    thread.on("error", () => {});
  } catch {
    // no threads here: the channel's end remains the only way the worker learns
  }
}
