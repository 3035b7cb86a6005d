/**
 * Records unhandled rejections and uncaught exceptions in this (host) process while installed.
 * Deno also reports rejections as a global "unhandledrejection" event; both are watched.
 */
export interface HostErrors {
  /** What was seen so far, as readable lines. */
  readonly seen: string[];
  uninstall(): void;
}

const describe = (value: unknown): string =>
  value instanceof Error ? `${value.name}: ${value.message}` : String(value);

export function watchHostErrors(): HostErrors {
  const seen: string[] = [];
  const onRejection = (reason: unknown): void => void seen.push(`unhandled rejection: ${describe(reason)}`);
  const onException = (error: unknown): void => void seen.push(`uncaught exception: ${describe(error)}`);
  const onEvent = (event: Event): void => {
    const reason = (event as Event & { reason?: unknown }).reason;
    // The same rejection may also reach the process listener; count it once.
    const line = `unhandled rejection: ${describe(reason)}`;
    if (!seen.includes(line)) seen.push(line);
  };
  process.on("unhandledRejection", onRejection);
  process.on("uncaughtException", onException);
  const isDeno = (globalThis as { Deno?: unknown }).Deno !== undefined;
  if (isDeno) globalThis.addEventListener("unhandledrejection", onEvent);
  return {
    seen,
    uninstall() {
      process.off("unhandledRejection", onRejection);
      process.off("uncaughtException", onException);
      if (isDeno) globalThis.removeEventListener("unhandledrejection", onEvent);
    },
  };
}
