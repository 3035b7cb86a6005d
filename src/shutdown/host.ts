/**
 * The seam between the shutdown coordinator (runtime-agnostic) and the process it runs in:
 * signals, exit, stdio flushing and environment variables. runtimes/signals.ts registers the
 * implementation for Deno, Bun and Node; tests may pass their own to `new Shutdown(options, host)`.
 */

/** What went uncaught: a thrown exception, or a rejected promise nobody handled. */
export type FatalKind = "uncaughtException" | "unhandledRejection";

/** What the coordinator needs from the runtime. */
export interface ShutdownHost {
  /** Install `onSignal` for each signal; returns a function that removes them again. */
  listen(signals: readonly string[], onSignal: (signal: string) => void): () => void;
  /** End the process with `code`. */
  exit(code: number): void;
  /** Resolve once stdout and stderr have been handed to the OS (bounded by the host). */
  flush(): Promise<void>;
  /** An environment variable, or undefined when unset or not readable (Deno without --allow-env). */
  env(name: string): string | undefined;
  /**
   * Take over uncaught exceptions and unhandled rejections (which would otherwise end the process
   * at once, without the emergency hooks) until the returned function is called. Optional: a host
   * without it leaves them to the runtime.
   */
  onFatal?(handler: (error: unknown, kind: FatalKind) => void): () => void;
}

let registered: ShutdownHost | undefined;

/** Set the host used by every `new Shutdown()` that is not given one. */
export function registerShutdownHost(host: ShutdownHost): void {
  registered = host;
}

/** The registered host; throws when none is (the module was imported without mpms's entry). */
export function shutdownHost(): ShutdownHost {
  if (registered === undefined) {
    throw new Error('mpms: no shutdown host is registered; import Shutdown from "mpms" (mod.ts)');
  }
  return registered;
}
