/**
 * A worker's lifecycle: one state per worker and the only function that changes it. The
 * supervisor owns it (through {@link WorkerSlot.step}); everything else reads the predicates
 * below, each written once.
 *
 * ```
 * starting ──ready──▶ ready ──retire──▶ retiring ──stop──▶ stopping ──stopped──▶ stopping(finalized)
 *    │  └──ready(standby)──▶ standby ──takeOver──▶ ready           ▲
 *    │                          any live state ──gracefulDie───────┘
 * any state but killed/exited ──kill──▶ killed(reason, from) ──exit──▶ exited(zombie?)
 * any state but exited ──exit──▶ exited
 * ```
 *
 * `killed` keeps the state it was killed in (`from`): its own reports (`ready`, `stopped`, a
 * graceful die) still land there, and its exit is judged from it.
 */
import type { RetireReason } from "./events.ts";
import type { WorkerState } from "./stats.ts";

/** A planned retirement: why, and whether unstarted tasks go back to the queue (else they run first). */
export interface Retire {
  readonly reason: RetireReason;
  readonly handBack: boolean;
}

export type Lifecycle =
  /** Spawned, `init` sent. `retire`: a retirement planned before it was ready. */
  | { readonly phase: "starting"; readonly retire: Retire | null }
  /** Ready early (make before break): takes tasks once the worker it replaces retires. */
  | { readonly phase: "standby"; readonly retire: Retire | null }
  /** Takes tasks. */
  | { readonly phase: "ready" }
  /** Takes no new tasks; its replacement is starting (or waits for a recycling slot). */
  | { readonly phase: "retiring"; readonly retire: Retire }
  /**
   * `stop` sent, or a graceful die: it finishes (or hands back) its tasks, runs `finalize`, exits.
   * `retire` null: stopped by close() before any retirement. `finalized`: it said `stopped`.
   * `timed`: its stopTimeout runs (armed once it has nothing left to run).
   */
  | {
      readonly phase: "stopping";
      readonly retire: Retire | null;
      readonly finalized: boolean;
      readonly timed: boolean;
    }
  /**
   * The pool killed it; the exit report is due. `reason` null: a planned stop that overran its
   * stopTimeout (it keeps its retirement reason). `zombie`: it was busy on a runtime that cannot
   * stop a busy worker.
   */
  | { readonly phase: "killed"; readonly reason: RetireReason | null; readonly zombie: boolean; readonly from: Live }
  /** Its exit was reported (or given up on: `zombie`). `last`: the state it exited from. */
  | { readonly phase: "exited"; readonly zombie: boolean; readonly last: Lifecycle };

/** The states before a kill. */
export type Live = Exclude<Lifecycle, { phase: "killed" | "exited" }>;

export type LifecycleEvent =
  /** It ran `init`; `standby` when the worker it replaces still serves. */
  | { readonly e: "ready"; readonly standby: boolean }
  /** The worker a standby waited for is retiring or gone. */
  | { readonly e: "takeOver" }
  /** A planned retirement (maxTasks, maxAge, memory, recycle, resize, close). */
  | { readonly e: "retire"; readonly retire: Retire }
  /** `stop` is sent. `close`: close() stops it, which counts as its retirement if it had none. */
  | { readonly e: "stop"; readonly close: boolean }
  /** A graceful-die error, or a task's exit outside any task body: it stops by itself. */
  | { readonly e: "gracefulDie" }
  /** Its stopTimeout is armed. */
  | { readonly e: "armStop" }
  /** It said `stopped`: finalize ran. */
  | { readonly e: "stopped" }
  | { readonly e: "kill"; readonly reason: RetireReason | null; readonly zombie: boolean }
  /** The exit report, or the bound after a kill that never got one (`zombie`). */
  | { readonly e: "exit"; readonly zombie: boolean };

/**
 * What happens to each (state, event): a next state, `null` for a legal no-op (a duplicate, or
 * one of two racing causes coming second), or `undefined` for a transition the pool must never
 * ask for (a bug: counted in {@link lifecycleErrors}, and refused).
 */
export function transition(life: Lifecycle, ev: LifecycleEvent): Lifecycle | null | undefined {
  if (life.phase === "exited") return ev.e === "exit" || ev.e === "kill" ? null : undefined;
  if (ev.e === "exit") {
    return { phase: "exited", zombie: ev.zombie || (life.phase === "killed" && life.zombie), last: life };
  }
  if (life.phase === "killed") {
    if (ev.e === "kill") return null;
    // The worker's own reports still land (it may have sent them before the kill); no plan of
    // the pool's starts for a worker being killed.
    if (ev.e === "ready" || ev.e === "stopped" || ev.e === "gracefulDie") {
      const from = transition(life.from, ev);
      return from ? { ...life, from: from as Live } : from;
    }
    return null;
  }
  if (ev.e === "kill") return { phase: "killed", reason: ev.reason, zombie: ev.zombie, from: life };
  switch (life.phase) {
    case "starting":
      switch (ev.e) {
        case "ready":
          if (life.retire) return { phase: "retiring", retire: life.retire };
          return ev.standby ? { phase: "standby", retire: null } : { phase: "ready" };
        case "retire":
          return life.retire ? null : { phase: "starting", retire: ev.retire };
        case "gracefulDie":
          return dying();
        default:
          // A starting worker is killed, not stopped: it has no task and did not run init.
          return undefined;
      }
    case "standby":
      switch (ev.e) {
        case "takeOver":
          return life.retire ? { phase: "retiring", retire: life.retire } : { phase: "ready" };
        case "retire":
          return life.retire ? null : { phase: "standby", retire: ev.retire };
        case "stop":
          return stopping(life.retire, ev.close);
        case "gracefulDie":
          return dying();
        case "ready":
          return null;
        default:
          return undefined;
      }
    case "ready":
      switch (ev.e) {
        case "retire":
          return { phase: "retiring", retire: ev.retire };
        case "stop":
          return stopping(null, ev.close);
        case "gracefulDie":
          return dying();
        case "ready":
        case "takeOver":
          return null;
        default:
          return undefined;
      }
    case "retiring":
      switch (ev.e) {
        case "stop":
          return stopping(life.retire, ev.close);
        case "gracefulDie":
          return dying();
        case "ready":
        case "retire":
        case "takeOver":
          return null;
        default:
          return undefined;
      }
    case "stopping":
      switch (ev.e) {
        case "stopped":
          return life.finalized ? null : { ...life, finalized: true };
        case "armStop":
          return life.timed ? null : { ...life, timed: true };
        case "gracefulDie":
          return life.retire?.reason === "gracefulDie" ? null : dying(life.finalized);
        case "ready":
        case "retire":
        case "stop":
        case "takeOver":
          return null;
        default:
          return undefined;
      }
  }
}

function stopping(retire: Retire | null, close: boolean): Lifecycle {
  const r = retire ?? (close ? { reason: "close" as const, handBack: false } : null);
  return { phase: "stopping", retire: r, finalized: false, timed: false };
}

function dying(finalized = false): Lifecycle {
  return { phase: "stopping", retire: { reason: "gracefulDie", handBack: true }, finalized, timed: false };
}

/** Transitions refused as impossible since the process started (tests check it stays 0). */
export const lifecycleErrors: { count: number; last: string } = { count: 0, last: "" };

/** Apply `ev`: the next state, or null when nothing changes (an impossible event is counted). */
export function step(life: Lifecycle, ev: LifecycleEvent): Lifecycle | null {
  const next = transition(life, ev);
  if (next === undefined) {
    lifecycleErrors.count++;
    lifecycleErrors.last = `${describe(life)} × ${ev.e}`;
    return null;
  }
  return next;
}

function describe(life: Lifecycle): string {
  if (life.phase === "killed") return `killed(${describe(life.from)})`;
  if (life.phase === "exited") return "exited";
  return life.phase;
}

// ---------------------------------------------------------------- predicates

/**
 * The public state (stats, events). A killed worker is on its way out, whatever it was doing: it
 * shows as stopping (never as ready, which would count it toward readiness until its exit).
 */
export function publicState(life: Lifecycle): WorkerState {
  switch (life.phase) {
    case "killed":
      return "stopping";
    case "exited":
      return life.zombie ? "zombie" : "exited";
    default:
      return life.phase;
  }
}

/** Its exit was reported: nothing more is sent to or read from it. */
export const gone = (life: Lifecycle): boolean => life.phase === "exited";

/** Neither killed nor gone: it serves, or will, or finishes what it has. */
export const alive = (life: Lifecycle): boolean => life.phase !== "killed" && life.phase !== "exited";

/** It may be given new tasks (the task limit aside). */
export const accepting = (life: Lifecycle): boolean => life.phase === "ready";

/** Alive with no retirement planned: it counts toward `workers` for good. */
export const serving = (life: Lifecycle): boolean => alive(life) && retireOf(life) === null;

/**
 * It may still start tasks it holds (for inferred timeout clocks): not killed, and not dying
 * gracefully (a graceful die hands back what it did not start).
 */
export const mayStart = (life: Lifecycle): boolean => alive(life) && retireOf(life)?.reason !== "gracefulDie";

/** Its planned retirement, if any (also once killed or gone). */
export function retireOf(life: Lifecycle): Retire | null {
  switch (life.phase) {
    case "ready":
      return null;
    case "killed":
      return retireOf(life.from);
    case "exited":
      return retireOf(life.last);
    default:
      return life.retire;
  }
}

/** Why the pool killed it (null: not killed, or a planned stop that overran). */
export function killReasonOf(life: Lifecycle): RetireReason | null {
  if (life.phase === "killed") return life.reason;
  if (life.phase === "exited") return killReasonOf(life.last);
  return null;
}

/** The pool killed it (whatever the reason). */
export function killed(life: Lifecycle): boolean {
  return life.phase === "killed" || (life.phase === "exited" && life.last.phase === "killed");
}

/** The state before any kill and exit. */
export function liveOf(life: Lifecycle): Live {
  if (life.phase === "exited") return liveOf(life.last);
  if (life.phase === "killed") return life.from;
  return life;
}

/** `stop` was sent (or it died gracefully). */
export const stopSent = (life: Lifecycle): boolean => liveOf(life).phase === "stopping";

/** It said `stopped`: it finished or handed back every task it received. */
export function finalized(life: Lifecycle): boolean {
  const live = liveOf(life);
  return live.phase === "stopping" && live.finalized;
}

/** It had not run `init` when killed or gone. */
export const neverReady = (life: Lifecycle): boolean => liveOf(life).phase === "starting";
