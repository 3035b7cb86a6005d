/** The worker lifecycle's transition table, without spawning anything. */
import { describe, expect, it } from "vitest";
import { exitReason, failedExit, plannedExit, runningTaskOutcome } from "../../src/pool/exit_outcome.ts";
import {
  accepting,
  alive,
  finalized as isFinalized,
  killReasonOf,
  type Lifecycle,
  type LifecycleEvent,
  lifecycleErrors,
  mayStart,
  publicState,
  retireOf,
  serving,
  step,
  stopSent,
  transition,
} from "../../src/pool/worker_lifecycle.ts";

const recycle = { reason: "recycle", handBack: true } as const;

const STATES: Record<string, Lifecycle> = {
  starting: { phase: "starting", retire: null },
  standby: { phase: "standby", retire: null },
  ready: { phase: "ready" },
  retiring: { phase: "retiring", retire: recycle },
  stopping: { phase: "stopping", retire: recycle, finalized: false, timed: false },
  killed: { phase: "killed", reason: "timeout", zombie: false, from: { phase: "ready" } },
  exited: { phase: "exited", zombie: false, last: { phase: "ready" } },
};

const EVENTS: Record<string, LifecycleEvent> = {
  ready: { e: "ready", standby: false },
  takeOver: { e: "takeOver" },
  retire: { e: "retire", retire: recycle },
  stop: { e: "stop", close: false },
  gracefulDie: { e: "gracefulDie" },
  armStop: { e: "armStop" },
  stopped: { e: "stopped" },
  kill: { e: "kill", reason: "timeout", zombie: false },
  exit: { e: "exit", zombie: false },
};

/**
 * Expected public state after each (state, event): a state name, "-" for a legal no-op, "!" for
 * an impossible transition. Columns in the order of EVENTS.
 */
// biome-ignore format: a table
const TABLE: Record<string, string[]> = {
  //        ready        takeOver    retire      stop        gracefulDie armStop     stopped     kill        exit
  starting: ["ready",    "!",        "starting", "!",        "stopping", "!",        "!",        "stopping", "exited"],
  standby: ["-",         "ready",    "standby",  "stopping", "stopping", "!",        "!",        "stopping", "exited"],
  ready: ["-",           "-",        "retiring", "stopping", "stopping", "!",        "!",        "stopping", "exited"],
  retiring: ["-",        "-",        "-",        "stopping", "stopping", "!",        "!",        "stopping", "exited"],
  stopping: ["-",        "-",        "-",        "-",        "stopping", "stopping", "stopping", "stopping", "exited"],
  killed: ["-",          "-",        "-",        "-",        "stopping", "-",        "!",        "-",        "exited"],
  exited: ["!",          "!",        "!",        "!",        "!",        "!",        "!",        "-",        "-"],
};

describe("worker lifecycle", () => {
  for (const [name, life] of Object.entries(STATES)) {
    it(`from ${name}, every event does what the table says`, () => {
      const row = TABLE[name] as string[];
      Object.values(EVENTS).forEach((ev, i) => {
        const next = transition(life, ev);
        const got = next === undefined ? "!" : next === null ? "-" : publicState(next);
        expect(`${name} × ${ev.e} → ${got}`).toBe(`${name} × ${ev.e} → ${row[i]}`);
      });
    });
  }

  it("a retirement planned while starting applies once the worker is ready", () => {
    const planned = transition(STATES.starting as Lifecycle, EVENTS.retire as LifecycleEvent) as Lifecycle;
    const ready = transition(planned, EVENTS.ready as LifecycleEvent) as Lifecycle;
    expect(publicState(ready)).toBe("retiring");
    expect(retireOf(ready)).toEqual(recycle);
    expect(accepting(ready)).toBe(false);
  });

  it("ready next to a worker that still serves is a standby, which takes over later", () => {
    const standby = transition(STATES.starting as Lifecycle, { e: "ready", standby: true }) as Lifecycle;
    expect(publicState(standby)).toBe("standby");
    expect(accepting(standby)).toBe(false);
    const ready = transition(standby, { e: "takeOver" }) as Lifecycle;
    expect(accepting(ready)).toBe(true);
  });

  it("a killed worker shows as stopping; its own reports still land on the state it was killed in", () => {
    const killed = transition(STATES.starting as Lifecycle, EVENTS.kill as LifecycleEvent) as Lifecycle;
    expect([publicState(killed), alive(killed), accepting(killed)]).toEqual(["stopping", false, false]);
    const ready = transition(killed, EVENTS.ready as LifecycleEvent) as Lifecycle;
    expect([ready.phase, publicState(ready), accepting(ready)]).toEqual(["killed", "stopping", false]);
    expect(ready.phase === "killed" && ready.from.phase).toBe("ready");
    expect(killReasonOf(ready)).toBe("timeout");
  });

  it("stop by close() counts as a close retirement; a stop that overran keeps its reason", () => {
    const closing = transition(STATES.ready as Lifecycle, { e: "stop", close: true }) as Lifecycle;
    expect(retireOf(closing)?.reason).toBe("close");
    expect(stopSent(closing)).toBe(true);
    const overran = transition(STATES.stopping as Lifecycle, { e: "kill", reason: null, zombie: false }) as Lifecycle;
    const gone = transition(overran, EVENTS.exit as LifecycleEvent) as Lifecycle;
    expect([exitReason(gone), plannedExit(gone)]).toEqual(["recycle", true]);
  });

  it("the exit's reason, plannedness and running-task outcome come from the state it left", () => {
    const fromStart = transition(STATES.starting as Lifecycle, EVENTS.exit as LifecycleEvent) as Lifecycle;
    expect([exitReason(fromStart), plannedExit(fromStart)]).toEqual(["start", false]);
    const crash = transition(STATES.ready as Lifecycle, EVENTS.exit as LifecycleEvent) as Lifecycle;
    expect([exitReason(crash), plannedExit(crash), failedExit("crash", 0)]).toEqual(["crash", false, true]);
    expect(runningTaskOutcome(1, crash, { code: 1, signal: null }).kind).toBe("crashed");
    const timedOut = transition(STATES.killed as Lifecycle, EVENTS.exit as LifecycleEvent) as Lifecycle;
    expect([exitReason(timedOut), plannedExit(timedOut)]).toEqual(["timeout", true]);
    expect(runningTaskOutcome(1, timedOut, { code: null, signal: "SIGKILL" }).kind).toBe("failed");
    expect(failedExit("heartbeat", 3)).toBe(false);
  });

  it("a zombie stays one through its exit", () => {
    const busy = transition(STATES.ready as Lifecycle, { e: "kill", reason: "timeout", zombie: true }) as Lifecycle;
    expect(publicState(transition(busy, EVENTS.exit as LifecycleEvent) as Lifecycle)).toBe("zombie");
    expect(publicState(transition(STATES.killed as Lifecycle, { e: "exit", zombie: true }) as Lifecycle)).toBe(
      "zombie",
    );
  });

  it("predicates: serving, mayStart, finalized", () => {
    expect(serving(STATES.ready as Lifecycle)).toBe(true);
    expect(serving(STATES.retiring as Lifecycle)).toBe(false);
    const dying = transition(STATES.ready as Lifecycle, EVENTS.gracefulDie as LifecycleEvent) as Lifecycle;
    expect([mayStart(STATES.stopping as Lifecycle), mayStart(dying)]).toEqual([true, false]);
    const done = transition(STATES.stopping as Lifecycle, EVENTS.stopped as LifecycleEvent) as Lifecycle;
    const killed = transition(done, EVENTS.kill as LifecycleEvent) as Lifecycle;
    expect(isFinalized(transition(killed, EVENTS.exit as LifecycleEvent) as Lifecycle)).toBe(true);
  });

  it("step counts an impossible transition and changes nothing", () => {
    const before = lifecycleErrors.count;
    expect(step(STATES.ready as Lifecycle, EVENTS.stopped as LifecycleEvent)).toBeNull();
    expect(lifecycleErrors.count).toBe(before + 1);
    expect(lifecycleErrors.last).toBe("ready × stopped");
    lifecycleErrors.count = before;
  });
});
