/** Task counters and latency histograms: what stats() and /metrics report about settled tasks. */
import {
  PoolUnavailableError,
  SerializationError,
  TaskTimeoutError,
  WorkerCrashedError,
  WorkerRetiredError,
} from "../errors.ts";
import { Histogram, type HistogramSnapshot } from "../util/histogram.ts";

/** How a task settled. */
export type SettleKind = "completed" | "failed" | "cancelled" | "crashed" | "timeout";

/** Why failed tasks failed (stats().failures). */
export type FailureKind = "error" | "crash" | "timeout" | "retired" | "serialization" | "unavailable";

function failureKind(error: unknown): FailureKind {
  if (error instanceof WorkerRetiredError) return "retired";
  if (error instanceof SerializationError) return "serialization";
  if (error instanceof PoolUnavailableError) return "unavailable";
  if (error instanceof WorkerCrashedError) return "crash";
  if (error instanceof TaskTimeoutError) return "timeout";
  return "error";
}

export interface TaskCounts {
  submitted: number;
  completed: number;
  failed: number;
  cancelled: number;
  crashed: number;
  timedOut: number;
  failures: Partial<Record<FailureKind, number>>;
  waitTime: HistogramSnapshot;
  runTime: HistogramSnapshot;
}

export class Counters {
  submitted = 0;
  private completed = 0;
  private failed = 0;
  private cancelled = 0;
  private crashed = 0;
  private timedOut = 0;
  private readonly failures: Partial<Record<FailureKind, number>> = {};
  private readonly waitTime = new Histogram();
  private readonly runTime = new Histogram();

  /** Count one settled task; `waitMs`/`runMs` are negative for tasks that never reached a worker. */
  settled(kind: SettleKind, error: unknown, waitMs: number, runMs: number): void {
    switch (kind) {
      case "completed":
        this.completed++;
        break;
      case "cancelled":
        this.cancelled++;
        break;
      default: {
        this.failed++;
        if (kind === "crashed") this.crashed++;
        else if (kind === "timeout") this.timedOut++;
        const why = failureKind(error);
        this.failures[why] = (this.failures[why] ?? 0) + 1;
      }
    }
    if (waitMs >= 0) {
      this.waitTime.recordMs(waitMs);
      this.runTime.recordMs(runMs);
    }
  }

  snapshot(): TaskCounts {
    return {
      submitted: this.submitted,
      completed: this.completed,
      failed: this.failed,
      cancelled: this.cancelled,
      crashed: this.crashed,
      timedOut: this.timedOut,
      failures: { ...this.failures },
      waitTime: this.waitTime.snapshot(),
      runTime: this.runTime.snapshot(),
    };
  }
}
