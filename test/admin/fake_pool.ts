/** A stand-in pool for states that are slow or awkward to reach with real workers (failed, starting). */
import type { AdminPool } from "../../admin.ts";
import type { PoolStats, WorkerStats } from "../../mod.ts";

const emptyHistogram = (): PoolStats["runTime"] => ({ buckets: [0.1, 1], counts: [0, 0], sum: 0, count: 0 });

export function fakeStats(overrides: Partial<PoolStats> = {}): PoolStats {
  return {
    state: "running",
    adapter: "fake",
    size: 1,
    minWorkers: 1,
    maxWorkers: 1,
    scaleUps: 0,
    scaleDowns: 0,
    submitted: 0,
    queued: 0,
    running: 0,
    completed: 0,
    failed: 0,
    cancelled: 0,
    crashed: 0,
    timedOut: 0,
    workersStarted: 0,
    retirements: {},
    failures: {},
    waitTime: emptyHistogram(),
    runTime: emptyHistogram(),
    zombies: 0,
    workers: [],
    ...overrides,
  };
}

export function fakeWorker(id: number, overrides: Partial<WorkerStats> = {}): WorkerStats {
  return {
    id,
    state: "ready",
    tasksDone: 0,
    running: 0,
    started: 0,
    age: 1000,
    pid: null,
    threadId: id,
    memory: null,
    retiring: null,
    ...overrides,
  };
}

export class FakePool extends EventTarget implements AdminPool {
  resized: number[] = [];
  recycled: number[] = [];
  constructor(public current: PoolStats) {
    super();
  }
  stats(): PoolStats {
    return structuredClone(this.current);
  }
  resize(workers: number): void {
    this.resized.push(workers);
    this.current.size = workers;
  }
  recycle(workerId: number): boolean {
    const worker = this.current.workers.find((w) => w.id === workerId);
    if (!worker || worker.retiring !== null) return false;
    this.recycled.push(workerId);
    worker.retiring = "recycle";
    return true;
  }
}
