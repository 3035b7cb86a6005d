/**
 * Exit bookkeeping shared by the process adapters: report a child's exit exactly once, after its
 * channel delivered every message, and stop a child (with its process group) with SIGTERM →
 * SIGKILL escalation.
 */
import process from "node:process";
import type { WorkerExit } from "../src/adapter.ts";

/** How long to wait, after the exit, for the channel to report that it closed. */
const DRAIN_LIMIT_MS = 1_000;

/**
 * Reports the exit once both the process has exited and its channel has closed (so no message is
 * still on its way). If the channel never says so (a grandchild holding the pipe, a runtime that
 * does not report it), the exit is reported {@link DRAIN_LIMIT_MS} after the process ended or,
 * with `quietMs`, as soon as no message came for that long after the exit.
 */
export class ExitGate {
  private exit: WorkerExit | undefined;
  private closed = false;
  private reported = false;
  private timers: ReturnType<typeof setTimeout>[] = [];
  private lastMessage = 0;
  /** An error to attach to the exit (the child's uncaught error, a spawn failure). */
  error: unknown;

  /**
   * @param quietMs for hosts whose channel may never report closing (Deno's node:child_process
   * stops reading silently when the child died with unread input): after the exit, a channel
   * silent this long is taken as drained.
   */
  constructor(
    private readonly report: (exit: WorkerExit) => void,
    private readonly quietMs = 0,
  ) {}

  /** True once the process has ended (its pid may be reused: send it no more signals). */
  get ended(): boolean {
    return this.exit !== undefined;
  }

  /** True once the exit was reported: no message may be delivered any more. */
  get done(): boolean {
    return this.reported;
  }

  /** A message arrived (delays a quiet-period report). */
  message(): void {
    if (this.quietMs > 0) this.lastMessage = performance.now();
  }

  /** The process ended (a signal wins over the code some runtimes also give, e.g. 137). */
  exited(code: number | null, signal: string | null): void {
    if (this.exit) return;
    this.exit = { code: signal === null ? code : null, signal };
    if (this.closed) {
      this.fire();
      return;
    }
    this.timers.push(setTimeout(() => this.fire(), DRAIN_LIMIT_MS));
    if (this.quietMs > 0) {
      this.lastMessage = performance.now();
      this.waitQuiet();
    }
  }

  /** The channel closed: every message the child sent has been delivered. */
  channelClosed(): void {
    this.closed = true;
    if (this.exit) this.fire();
  }

  /** The child could not be started at all. */
  failed(error: unknown): void {
    this.error ??= error;
    this.exit ??= { code: null, signal: null };
    this.fire();
  }

  /**
   * Report once the channel was silent for `quietMs`. The last check runs one more event-loop
   * turn later, so that input already waiting (a host that was busy) is read before it.
   */
  private waitQuiet(): void {
    const left = this.lastMessage + this.quietMs - performance.now();
    if (left > 0) {
      this.timers.push(setTimeout(() => this.waitQuiet(), left));
      return;
    }
    const seen = this.lastMessage;
    this.timers.push(setTimeout(() => (this.lastMessage === seen ? this.fire() : this.waitQuiet()), 0));
  }

  private fire(): void {
    if (this.reported || !this.exit) return;
    this.reported = true;
    for (const timer of this.timers) clearTimeout(timer);
    this.timers.length = 0;
    const exit = this.exit;
    this.report(this.error === undefined ? exit : { ...exit, error: this.error });
  }
}

/** Signals the escalation uses. */
export type StopSignal = "SIGTERM" | "SIGKILL";

/** Sends `signal` to a pid (negative: to that process group); throws ESRCH if there is none. */
export type SendSignal = (pid: number, signal: StopSignal) => void;

const sendWithProcess: SendSignal = (pid, signal) => process.kill(pid, signal);

/** Process groups are POSIX: on Windows a signal goes to the pid alone. */
const GROUPS = process.platform !== "win32";

/**
 * Signal a child and everything in its process group: the subprocesses its tasks started
 * (ffmpeg and the like) stop with it. Every child is a group leader (spawned `detached`), so its
 * group id is its pid. If the group is gone, the pid alone is tried (it throws when that is gone
 * too: the caller's exit report is on its way).
 */
export function signalGroup(pid: number, signal: StopSignal, send: SendSignal = sendWithProcess): void {
  if (GROUPS) {
    try {
      send(-pid, signal);
      return;
    } catch {
      // no such group (a child that is not a group leader): its pid alone
    }
  }
  send(pid, signal);
}

/**
 * `kill(graceMs)` for a child: SIGTERM now and SIGKILL after `graceMs`, or SIGKILL at once for 0.
 * A later call can only make it harsher (kill(0) after kill(500) sends SIGKILL now). Signals go to
 * the child's process group ({@link signalGroup}); once the child has exited, {@link exited}
 * SIGKILLs whatever is left of its group, so no subprocess of a task outlives its worker.
 */
export class Killer {
  private timer: ReturnType<typeof setTimeout> | undefined;
  private killed = false;

  /**
   * @param pid the child's pid (null: it never started; nothing is signalled)
   * @param isDone true once the child has exited (its pid may be reused: no more signals)
   * @param send how to signal (default `process.kill`; the Deno host passes `Deno.kill`)
   */
  constructor(
    private readonly pid: number | null,
    private readonly isDone: () => boolean,
    private readonly send: SendSignal = sendWithProcess,
  ) {}

  kill(graceMs = 0): void {
    if (this.isDone() || this.killed) return;
    if (graceMs <= 0) {
      this.killed = true;
      this.cancel();
      this.signal("SIGKILL");
      return;
    }
    if (this.timer !== undefined) return;
    this.signal("SIGTERM");
    this.timer = setTimeout(() => {
      this.timer = undefined;
      if (this.isDone()) return;
      this.killed = true;
      this.signal("SIGKILL");
    }, graceMs);
  }

  /** The child is gone: no escalation (its pid may be reused). */
  cancel(): void {
    if (this.timer !== undefined) clearTimeout(this.timer);
    this.timer = undefined;
  }

  /**
   * The child exited (call as soon as it is known): stop any escalation, and SIGKILL what is
   * left of its group, the subprocesses its tasks started and did not wait for. Only the group
   * is signalled, never the pid: while a group has members its id cannot be given to a new
   * process, and an empty group is simply not found (ESRCH).
   */
  exited(): void {
    this.cancel();
    if (this.pid === null || !GROUPS) return;
    try {
      this.send(-this.pid, "SIGKILL");
    } catch {
      // the group is empty: nothing was left behind
    }
  }

  private signal(signal: StopSignal): void {
    if (this.pid === null) return;
    try {
      signalGroup(this.pid, signal, this.send);
    } catch {
      // already gone (ESRCH): the exit is on its way
    }
  }
}
