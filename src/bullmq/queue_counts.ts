/**
 * The job counts of a BullMQ queue for the admin's queue view: fetched in the background with a
 * time limit, at most every {@link COUNTS_REFRESH_MS}, and only while someone asks (the first
 * ask opens the Queue connection). `latest()` answers at once with the last counts, so a slow or
 * unreachable Redis never holds /stats or the dashboard.
 */
import { type ConnectionOptions, Queue } from "bullmq";

/** The states counted, as BullMQ names them. */
export const COUNTED_STATES = ["waiting", "active", "completed", "failed", "delayed", "prioritized"] as const;
/** A fetch older than this is renewed on the next ask. */
export const COUNTS_REFRESH_MS = 2_000;
/** A fetch with no answer after this long counts as failed (the counts shown stay the last ones). */
export const COUNTS_TIMEOUT_MS = 1_000;

export interface CountsSnapshot {
  counts: Record<string, number> | null;
  /** ISO time of `counts`. */
  at: string | null;
  error: string | null;
}

export class QueueCounts {
  readonly #name: string;
  readonly #connection: ConnectionOptions;
  readonly #prefix: string | undefined;
  #queue: Queue | undefined;
  #counts: Record<string, number> | null = null;
  #at: string | null = null;
  #error: string | null = null;
  /** performance.now() of the last fetch's start (-Infinity: none yet). */
  #fetchedAt = Number.NEGATIVE_INFINITY;
  #fetching = false;
  /** The Redis call of a fetch that timed out and has not answered yet: asked again, not re-sent. */
  #pending: Promise<Record<string, number>> | undefined;
  #closed = false;

  constructor(name: string, connection: ConnectionOptions, prefix?: string) {
    this.#name = name;
    this.#connection = connection;
    this.#prefix = prefix;
  }

  /** The last counts (and renew them in the background when they are old). Never waits. */
  latest(): CountsSnapshot {
    if (!this.#closed && !this.#fetching && performance.now() - this.#fetchedAt >= COUNTS_REFRESH_MS) {
      void this.#fetch();
    }
    return { counts: this.#counts, at: this.#at, error: this.#error };
  }

  async #fetch(): Promise<void> {
    this.#fetching = true;
    this.#fetchedAt = performance.now();
    let timer: ReturnType<typeof setTimeout> | undefined;
    try {
      if (this.#queue === undefined) {
        const options = this.#prefix === undefined ? {} : { prefix: this.#prefix };
        this.#queue = new Queue(this.#name, { ...options, connection: this.#connection });
        // reconnection errors are the worker's to report; here they only mean "no counts now"
        this.#queue.on("error", () => {});
      }
      // at most one call waits on Redis: a dead Redis does not pile up one per refresh
      let call = this.#pending;
      if (call === undefined) {
        const made = this.#queue.getJobCounts(...COUNTED_STATES);
        this.#pending = made;
        call = made;
        void made.then(
          () => this.#clearPending(made),
          () => this.#clearPending(made),
        );
      }
      const counts = await Promise.race([
        call,
        new Promise<never>((_, reject) => {
          timer = setTimeout(
            () => reject(new Error(`Redis gave no counts within ${COUNTS_TIMEOUT_MS} ms`)),
            COUNTS_TIMEOUT_MS,
          );
          (timer as { unref?: () => void }).unref?.();
        }),
      ]);
      this.#counts = counts;
      this.#at = new Date().toISOString();
      this.#error = null;
    } catch (error) {
      this.#error = error instanceof Error ? error.message : String(error);
    } finally {
      clearTimeout(timer);
      this.#fetching = false;
    }
  }

  #clearPending(call: Promise<unknown>): void {
    if (this.#pending === call) this.#pending = undefined;
  }

  /** Close the Queue connection (bounded); no fetch starts after. Idempotent. */
  async close(): Promise<void> {
    this.#closed = true;
    const queue = this.#queue;
    this.#queue = undefined;
    if (queue === undefined) return;
    let timer: ReturnType<typeof setTimeout> | undefined;
    const closed = await Promise.race([
      queue.close().then(
        () => true,
        () => true,
      ),
      new Promise<false>((resolve) => {
        timer = setTimeout(() => resolve(false), COUNTS_TIMEOUT_MS);
      }),
    ]);
    clearTimeout(timer);
    if (!closed) void queue.disconnect().catch(() => {}); // Redis is gone: drop the connection
  }
}
