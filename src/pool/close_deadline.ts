/** close()'s deadline: one for the whole close, which a later call may only bring forward. */
import { timerDelay } from "../util/validate.ts";

const now = (): number => performance.now();

export class CloseDeadline {
  /** performance.now() time of the deadline (Infinity: none). */
  private at = Number.POSITIVE_INFINITY;
  private timer: ReturnType<typeof setTimeout> | undefined;
  private expire: (() => void) | undefined;

  /** Resolves with "timeout" when the deadline passes (never, if it is disarmed first). */
  reached(): Promise<"timeout"> {
    return new Promise((resolve) => {
      this.expire = () => resolve("timeout");
    });
  }

  /** Bring the deadline to `timeout` ms from now, if that is sooner (Infinity or undefined: none). */
  tighten(timeout: number | undefined): void {
    if (timeout === undefined || timeout === Number.POSITIVE_INFINITY) return;
    const at = now() + timeout;
    if (at >= this.at) return;
    this.at = at;
    this.arm();
  }

  disarm(): void {
    if (this.timer !== undefined) clearTimeout(this.timer);
    this.timer = undefined;
  }

  private arm(): void {
    this.disarm();
    const left = this.at - now();
    // setTimeout fires at once past 2^31-1 ms: wait in steps, looking again after each.
    this.timer = setTimeout(
      () => {
        this.timer = undefined;
        if (now() >= this.at) this.expire?.();
        else this.arm();
      },
      timerDelay(Math.ceil(left)),
    );
  }
}
