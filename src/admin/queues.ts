/**
 * Queue sections of the admin: a source outside the pools (the queue worker of mpms/bullmq)
 * describes its queue, and /stats and the dashboard show it. The admin asks synchronously: a
 * source answers from what it already has (counts it fetched earlier), so a slow or unreachable
 * queue backend never holds a request.
 */

/** One job running on this node. */
export interface QueueJobView {
  /** The job's id in its queue. */
  id: string;
  /** The job's name. */
  name: string;
  /** 1 for the first attempt. */
  attempt: number;
  /** Since the job started on this node (ms). */
  runningMs: number;
}

/** What the dashboard shows of one queue. */
export interface QueueView {
  /** The queue's name. */
  queue: string;
  /** What the backend is (e.g. "bullmq"). */
  kind: string;
  /**
   * Job counts by state, as the queue backend reports them (BullMQ: waiting, active, completed,
   * failed, delayed, prioritized); null until the first answer.
   */
  counts: Record<string, number> | null;
  /** ISO time of the last answer with counts; null before the first. */
  countsAt: string | null;
  /** Why the last fetch gave no counts (the counts shown, if any, are older); null when it did. */
  countsError: string | null;
  /** This node's numbers: active, concurrency, completed, failed, lock renewal failures, … */
  node: Record<string, number>;
  /** Jobs running on this node: the first {@link QUEUE_JOBS_SHOWN} (`node.active` has them all). */
  jobs: QueueJobView[];
}

/** Jobs listed per queue. */
export const QUEUE_JOBS_SHOWN = 50;

/** A queue for /stats and the dashboard (`createAdmin({ queues: [queueWorker] })`). */
export interface QueueSource {
  /** Answer at once, from what the source has; never waits on the backend. */
  queueView(): QueueView;
}

/** Each source's view; a source that throws shows as an error instead of failing /stats. */
export function queueViews(sources: readonly QueueSource[]): QueueView[] {
  return sources.map((source, i) => {
    try {
      return source.queueView();
    } catch (error) {
      return {
        queue: `queue ${i + 1}`,
        kind: "unknown",
        counts: null,
        countsAt: null,
        countsError: `the queue view failed: ${error instanceof Error ? error.message : String(error)}`,
        node: {},
        jobs: [],
      };
    }
  });
}
