/**
 * Progress of a job's task forwarded to BullMQ (`job.updateProgress`), coalesced: at most one
 * update is in flight per job, and while it is, only the newest value waits. When the task
 * settles, `finish()` sends the value still waiting and resolves once the updates are done, so
 * the processor can return (and BullMQ record the outcome) after the last progress.
 */

/** What `job.updateProgress` accepts and returns (BullMQ's `Job`, narrowed). */
export interface ProgressTarget {
  updateProgress(progress: never): Promise<unknown>;
}

export interface ProgressForwarder {
  /** The task reported `value` (the pool's `onProgress`). Ignored after `finish()`. */
  report(value: unknown): void;
  /** The task settled: resolves when the last reported value was sent (or failed). */
  finish(): Promise<void>;
  /** Whether an update is still in flight (then `finish()` has something to wait for). */
  pending(): boolean;
}

export function forwardProgress(job: ProgressTarget, onError: (error: Error) => void): ProgressForwarder {
  let finished = false;
  let waiting: { value: unknown } | null = null;
  let inFlight: Promise<void> | null = null;
  const send = (value: unknown): void => {
    inFlight = (async () => {
      try {
        await job.updateProgress(value as never);
      } catch (error) {
        onError(error instanceof Error ? error : new Error(String(error)));
      }
    })().finally(() => {
      inFlight = null;
      const next = waiting;
      waiting = null;
      if (next !== null) send(next.value);
    });
  };
  return {
    report(value) {
      if (finished) return;
      if (inFlight !== null) waiting = { value };
      else send(value);
    },
    async finish() {
      finished = true;
      while (inFlight !== null) await inFlight;
    },
    pending() {
      return inFlight !== null;
    },
  };
}
