/**
 * Run shutdown fixtures as real processes on Node, Bun or Deno, talk to them through the lines
 * they print, send them real signals, and kill whatever is left (by pid) after each test.
 */
import { type ChildProcess, spawn } from "node:child_process";
import { readFileSync } from "node:fs";
import { fileURLToPath } from "node:url";
import { afterEach, expect } from "vitest";
import { childPids, runtime, waitFor } from "../helpers.ts";

export type RuntimeName = "node" | "bun" | "deno";

const root = fileURLToPath(new URL("../../", import.meta.url));

/**
 * Runtimes to run fixtures on: the one running the tests (so running the file on each runtime
 * covers all three), or the list in MPMS_TEST_RUNTIMES (e.g. "node,bun,deno").
 */
export function fixtureRuntimes(): RuntimeName[] {
  const list = (process.env.MPMS_TEST_RUNTIMES ?? "").split(",").filter((r) => r !== "");
  return list.length > 0 ? (list as RuntimeName[]) : [runtime];
}

function command(rt: RuntimeName, file: string): [string, string[]] {
  if (rt === "bun") return [`${root}node_modules/.bin/bun`, [file]];
  if (rt === "deno") return [`${root}node_modules/.bin/deno`, ["run", "-A", file]];
  return ["node", ["--import", "tsx", file]];
}

export interface Exit {
  code: number | null;
  signal: string | null;
  /** performance.now() when the exit was seen. */
  at: number;
  /** Date.now() when the exit was seen: comparable with wall-clock times a fixture prints. */
  wall: number;
}

export class Fixture {
  readonly proc: ChildProcess;
  readonly pid: number;
  /** Every line from stdout and stderr, in arrival order. */
  readonly lines: string[] = [];
  readonly exited: Promise<Exit>;
  #waiters = new Set<() => void>();

  constructor(rt: RuntimeName, name: string, env: Record<string, string>) {
    const [bin, args] = command(rt, fileURLToPath(new URL(`../fixtures/shutdown/${name}`, import.meta.url)));
    this.proc = spawn(bin, args, {
      cwd: root,
      env: { ...process.env, NO_COLOR: "1", ...env },
      stdio: ["ignore", "pipe", "pipe"],
    });
    this.pid = this.proc.pid as number;
    for (const stream of [this.proc.stdout, this.proc.stderr]) {
      let partial = "";
      stream?.setEncoding("utf8");
      stream?.on("data", (chunk: string) => {
        const parts = (partial + chunk).split("\n");
        partial = parts.pop() as string;
        this.lines.push(...parts);
        for (const wake of this.#waiters) wake();
      });
    }
    this.exited = new Promise((resolve) => {
      this.proc.on("exit", (code, signal) => resolve({ code, signal, at: performance.now(), wall: Date.now() }));
    });
  }

  /** Resolves with the first line matching `pattern` (already printed or still to come). */
  async line(pattern: RegExp, timeout = 15_000): Promise<RegExpMatchArray> {
    const find = (): RegExpMatchArray | null => {
      for (const l of this.lines) {
        const m = pattern.exec(l);
        if (m) return m;
      }
      return null;
    };
    let found = find();
    if (found) return found;
    let exited = false;
    void this.exited.then(() => (exited = true));
    await new Promise<void>((resolve, reject) => {
      const timer = setTimeout(() => {
        this.#waiters.delete(check);
        reject(new Error(`no line matching ${pattern} within ${timeout} ms; output:\n${this.lines.join("\n")}`));
      }, timeout);
      const check = (): void => {
        found = find();
        if (found || exited) {
          clearTimeout(timer);
          this.#waiters.delete(check);
          if (found) resolve();
          else reject(new Error(`exited without a line matching ${pattern}; output:\n${this.lines.join("\n")}`));
        }
      };
      this.#waiters.add(check);
      void this.exited.then(() => setTimeout(check, 50)); // let the last output arrive
    });
    return found as unknown as RegExpMatchArray;
  }

  /** Send a signal; returns performance.now() at the send. */
  signal(name: NodeJS.Signals): number {
    const at = performance.now();
    process.kill(this.pid, name); // by pid: Deno's ChildProcess.kill() misbehaves after the first call
    return at;
  }

  output(): string {
    return this.lines.join("\n");
  }
}

/** The process exists and is not a zombie (an exited child not reaped yet is dead). */
function alive(pid: number): boolean {
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, "utf8");
    return stat.slice(stat.lastIndexOf(")") + 2, stat.lastIndexOf(")") + 3) !== "Z";
  } catch {
    return false;
  }
}

/**
 * Start fixtures through the returned function. After each test, every fixture still running
 * and every process it started is SIGKILLed by pid, and the test fails if one had to be.
 */
export function useFixtures(): (rt: RuntimeName, name: string, env?: Record<string, string>) => Fixture {
  const started: Fixture[] = [];
  afterEach(async () => {
    const leftovers: number[] = [];
    for (const f of started.splice(0)) {
      const pids = [f.pid, ...childPids(f.pid)].filter(alive);
      for (const pid of pids) {
        try {
          process.kill(pid, "SIGKILL");
          leftovers.push(pid);
        } catch {
          // already gone
        }
      }
      await Promise.race([f.exited, new Promise((r) => setTimeout(r, 2_000))]);
    }
    await waitFor(() => leftovers.every((pid) => !alive(pid)), 5_000, "leftover processes to die").catch(() => {});
    expect(leftovers, "processes left running after the test").toEqual([]);
  });
  return (rt, name, env = {}) => {
    const f = new Fixture(rt, name, env);
    started.push(f);
    return f;
  };
}

/** Every pid in `pids` is gone. */
export function allGone(pids: readonly number[]): boolean {
  return pids.every((pid) => !alive(pid));
}
