/**
 * The one message of the web adapter's own on its protocol port besides protocol batches: the
 * worker says it is about to end, as the last thing it sends. A Web Worker that ends gives its
 * parent no event on Deno and in browsers, so this notice is how the host learns of an exit (and
 * of its code) after every result sent before it: the port delivers in order.
 */
import type { WireError } from "../src/wire_error.ts";

/** Worker → host: the worker ends now. `code` is what task code passed to exit, if any. */
export interface ExitNotice {
  mpmsExit: true;
  /** The code given to `Deno.exit`/`process.exit`; null for `self.close()` and uncaught errors. */
  code: number | null;
  /** The uncaught error or unhandled rejection that ended the worker. */
  error?: WireError;
}

/** Host → worker, the first message on the worker itself: the protocol port and settings. */
export interface ConnectMessage {
  mpmsConnect: MessagePort;
  /** The worker's `process.env` (Deno and Bun), replacing the inherited one, as `env` does for threads. */
  env?: Record<string, string>;
}

/** True for an {@link ExitNotice} (anything else on the port is a batch for the pool to check). */
export function isExitNotice(value: unknown): value is ExitNotice {
  return (
    value !== null &&
    typeof value === "object" &&
    (value as ExitNotice).mpmsExit === true &&
    ((value as ExitNotice).code === null || typeof (value as ExitNotice).code === "number")
  );
}
