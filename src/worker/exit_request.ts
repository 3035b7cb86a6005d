/**
 * Thrown by the worker's exit guard in place of an exit that must wait (task code called
 * `process.exit()` outside a task body while other tasks run): it unwinds the caller as an exit
 * would, and the entries swallow it when it arrives as an uncaught error. Not an Error subclass,
 * so a task's `catch (e) { if (e instanceof Error) ... }` does not mistake it for a failure.
 */
export class ExitRequest {
  constructor(readonly code: number) {}
  toString(): string {
    return `mpms: exit(${this.code}) deferred until the running tasks are done`;
  }
}

/** True for the value the exit guard throws. */
export function isExitRequest(value: unknown): value is ExitRequest {
  return value instanceof ExitRequest;
}
