/**
 * Crash-loop protection: restart intensity (at most N failures within a period, as in Erlang/OTP
 * supervisors) and exponential back-off between restarts. One failure restarts at once; back-off
 * starts with the second failure in a row; a completed task resets the streak.
 */
export interface RestartOptions {
  intensity: number;
  period: number;
  initial: number;
  max: number;
  factor: number;
}

export class RestartPolicy {
  /** Failures in a row, without a completed task in between. */
  consecutive = 0;
  private readonly times: number[] = [];

  constructor(private readonly opts: RestartOptions) {}

  /** A task completed: the workers work. */
  succeeded(): void {
    this.consecutive = 0;
  }

  /** Record a failure at `now`; returns the failures in the period if that is past the intensity, else 0. */
  failed(now: number): number {
    this.consecutive++;
    this.times.push(now);
    while (this.times.length > 0 && (this.times[0] as number) < now - this.opts.period) this.times.shift();
    return this.times.length > this.opts.intensity ? this.times.length : 0;
  }

  /** Delay before the next start (ms). */
  delay(): number {
    if (this.consecutive < 2) return 0;
    return Math.min(this.opts.max, this.opts.initial * this.opts.factor ** (this.consecutive - 2));
  }
}
