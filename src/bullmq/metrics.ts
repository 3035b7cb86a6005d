/**
 * Per-queue counters and histograms of a queue worker, as Prometheus families for the admin
 * endpoint (`createAdmin({ metrics: [queueWorker] })`). Every label set is complete from the
 * start, so rate() and alerts see a series from zero.
 */
import type { Family } from "../admin/prometheus.ts";
import { Histogram } from "../util/histogram.ts";

/** How a job attempt on this node ended. */
export type JobEnd = "completed" | "failed" | "handedBack";

/** Why an attempt failed: the task threw, timed out, its worker crashed, was cancelled, … */
export type JobFailure = "error" | "timeout" | "crash" | "cancelled" | "unrecoverable" | "value" | "other";

/** Every JobFailure, in the order /metrics lists them. */
export const JOB_FAILURES: readonly JobFailure[] = [
  "error",
  "timeout",
  "crash",
  "cancelled",
  "unrecoverable",
  "value",
  "other",
];

/** A snapshot of one queue worker's numbers. */
export interface QueueWorkerStats {
  /** The BullMQ queue name. */
  queue: string;
  /** Jobs this node is running now. */
  active: number;
  /** BullMQ concurrency of this node. */
  concurrency: number;
  /** Jobs this node completed. */
  completed: number;
  /** Attempts that failed on this node. */
  failed: number;
  /** The failed attempts by why they failed. */
  failures: Record<JobFailure, number>;
  /** Jobs given back to the queue unfinished (shutdown), without using an attempt. */
  handedBack: number;
  /** Hand-backs that Redis refused (the job then waits for stalled detection). */
  handBackFailures: number;
  /** Times BullMQ could not renew the lock of a job running here. */
  lockRenewalFailures: number;
  /** Jobs of this queue that BullMQ's stalled checker (on this node) moved back to wait. */
  stalled: number;
}

export class QueueMetrics {
  readonly failures: Record<JobFailure, number> = Object.fromEntries(JOB_FAILURES.map((k) => [k, 0])) as Record<
    JobFailure,
    number
  >;
  completed = 0;
  failed = 0;
  handedBack = 0;
  handBackFailures = 0;
  lockRenewalFailures = 0;
  stalled = 0;
  /** From the job's creation (or end of delay) to its start on this node. */
  readonly waitTime: Histogram = new Histogram();
  /** From the start on this node to the end of the attempt. */
  readonly runTime: Histogram = new Histogram();

  constructor(readonly queue: string) {}

  fail(kind: JobFailure): void {
    this.failed++;
    this.failures[kind]++;
  }

  /** The families for /metrics, labelled queue="<name>". */
  families(active: number, concurrency: number): Family[] {
    const queue = this.queue;
    const one = (value: number) => [{ labels: { queue }, value }];
    const histogram = (h: Histogram) => {
      const s = h.snapshot();
      return [{ labels: { queue }, buckets: s.buckets, counts: s.counts, sum: s.sum, count: s.count }];
    };
    return [
      {
        name: "mpms_queue_jobs_completed_total",
        help: "Jobs this node completed.",
        type: "counter",
        samples: one(this.completed),
      },
      {
        name: "mpms_queue_jobs_failed_total",
        help: "Job attempts that failed on this node, by reason (error, timeout, crash, cancelled, unrecoverable, value, other).",
        type: "counter",
        samples: JOB_FAILURES.map((reason) => ({ labels: { queue, reason }, value: this.failures[reason] })),
      },
      {
        name: "mpms_queue_jobs_handed_back_total",
        help: "Jobs handed back to the queue unfinished on shutdown, without using an attempt.",
        type: "counter",
        samples: one(this.handedBack),
      },
      {
        name: "mpms_queue_hand_back_failures_total",
        help: "Hand-backs Redis refused; those jobs wait for stalled detection.",
        type: "counter",
        samples: one(this.handBackFailures),
      },
      {
        name: "mpms_queue_lock_renewal_failures_total",
        help: "Job locks this node failed to renew (the job's task is aborted).",
        type: "counter",
        samples: one(this.lockRenewalFailures),
      },
      {
        name: "mpms_queue_jobs_stalled_total",
        help: "Stalled jobs this node's stalled checker moved back to wait.",
        type: "counter",
        samples: one(this.stalled),
      },
      { name: "mpms_queue_jobs_active", help: "Jobs running on this node.", type: "gauge", samples: one(active) },
      {
        name: "mpms_queue_concurrency",
        help: "Jobs this node runs at once (BullMQ concurrency).",
        type: "gauge",
        samples: one(concurrency),
      },
      {
        name: "mpms_queue_job_wait_seconds",
        help: "Time from a job's creation (or the end of its delay) to its start on this node.",
        type: "histogram",
        samples: histogram(this.waitTime),
      },
      {
        name: "mpms_queue_job_run_seconds",
        help: "Time from a job's start on this node to the end of the attempt.",
        type: "histogram",
        samples: histogram(this.runTime),
      },
    ];
  }
}
