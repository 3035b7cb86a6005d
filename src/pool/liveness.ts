/**
 * Liveness from heartbeats: the supervision tick, and which workers it finds dead. A worker that
 * holds tasks and misses beats is busy (a long synchronous task blocks its event loop, which is
 * what workers are for): it is dead only when its process is frozen (stopped, as the adapter can
 * tell), or past `heartbeat.maxBlocked` if set. An idle worker that misses beats is stuck outside
 * any task and is dead after `heartbeat.timeout`.
 */
import type { ResolvedOptions } from "./options.ts";
import { alive } from "./worker_lifecycle.ts";
import type { WorkerSlot } from "./worker_slot.ts";

const now = (): number => performance.now();

type LivenessOptions = Pick<ResolvedOptions, "heartbeatInterval" | "heartbeatTimeout" | "heartbeatMaxBlocked">;

/**
 * Whether the worker answered lately (a beat or any message within two beat periods). Unknown
 * without heartbeats: then it counts as not answering.
 */
export function responsive(slot: WorkerSlot, heartbeatInterval: number, t: number = now()): boolean {
  return heartbeatInterval > 0 && t - slot.lastSeen <= silentAfter(heartbeatInterval);
}

/** How long a worker beating every `heartbeatInterval` ms may say nothing and still count as answering. */
export function silentAfter(heartbeatInterval: number): number {
  return 2 * heartbeatInterval + 50;
}

/** The workers that missed their beats for good at time `t` (see the module comment). */
export function silentWorkers(slots: Iterable<WorkerSlot>, opts: LivenessOptions, t: number): WorkerSlot[] {
  const dead: WorkerSlot[] = [];
  for (const slot of slots) {
    if (!alive(slot.life) || slot.life.phase === "starting") continue;
    const silent = t - slot.lastSeen;
    if (silent <= opts.heartbeatTimeout) continue;
    // Busy and silent: only a process that does not run at all (stopped) is dead.
    if (slot.outstanding.size === 0 || silent > opts.heartbeatMaxBlocked || slot.handle.frozen?.() === true) {
      dead.push(slot);
    }
  }
  return dead;
}

/**
 * The supervision tick (every heartbeat period, at most 1 s; none without heartbeats). A tick
 * that comes late means the host's own event loop was blocked: beats that arrived meanwhile wait
 * behind this timer, so it skips judging once, until they are read (a host that is always late
 * still judges every other tick).
 */
export class SupervisionTick {
  private timer: ReturnType<typeof setInterval> | undefined;
  private lastTick = 0;
  private skipped = false;

  /** `judge`: may liveness be judged now; `always`: runs on every tick. */
  start(heartbeatInterval: number, judge: (t: number) => void, always: () => void): void {
    const interval = heartbeatInterval > 0 ? Math.min(heartbeatInterval, 1000) : 0;
    if (interval === 0) return;
    this.lastTick = now();
    this.timer = setInterval(() => {
      const t = now();
      const late = t - this.lastTick > 2 * interval + 50;
      this.lastTick = t;
      if (late && !this.skipped) this.skipped = true;
      else {
        this.skipped = false;
        judge(t);
      }
      always();
    }, interval);
  }

  stop(): void {
    if (this.timer !== undefined) clearInterval(this.timer);
    this.timer = undefined;
  }
}
