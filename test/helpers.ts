/** Shared test helpers: fixtures, per-runtime adapter list, and leak checks. */
import { readdirSync, readFileSync } from "node:fs";
import { afterEach, expect } from "vitest";
import { Pool, type PoolOptions } from "../mod.ts";
import { currentRuntime } from "../runtimes/detect.ts";
import { lifecycleErrors } from "../src/pool/worker_lifecycle.ts";

export const runtime = currentRuntime();

export function fixture(name: string): URL {
  return new URL(`./fixtures/${name}`, import.meta.url);
}

/**
 * Adapters that run on this host runtime. A new adapter gets the whole conformance suite by
 * adding it here. MPMS_TEST_ADAPTERS (comma-separated) narrows the list, e.g. "deno".
 */
export const adapters: string[] = ((): string[] => {
  const all = [
    "thread",
    "process",
    ...(runtime === "bun" ? ["bun"] : []),
    ...(runtime === "deno" ? ["deno"] : []),
    // Web Workers: Deno and Bun have a global Worker; Node 20 has none.
    ...(runtime !== "node" ? ["web"] : []),
  ];
  const only = (process.env.MPMS_TEST_ADAPTERS ?? "").split(",").filter((name) => name !== "");
  return only.length > 0 ? all.filter((name) => only.includes(name)) : all;
})();

/** Adapters whose workers are threads of the host process (so no pid, exit code or signal of their own). */
export const threadAdapters: readonly string[] = ["thread", "web"];

/** The adapters of {@link adapters} whose workers are child processes. */
export const processAdapters: string[] = adapters.filter((name) => !threadAdapters.includes(name));

/** Pids of every live descendant process of this test process (Linux /proc). */
export function childPids(root = process.pid): number[] {
  const children = new Map<number, number[]>();
  for (const entry of readdirSync("/proc")) {
    if (!/^\d+$/.test(entry)) continue;
    let stat: string;
    try {
      stat = readFileSync(`/proc/${entry}/stat`, "utf8");
    } catch {
      continue; // exited while we looked
    }
    // pid (comm) state ppid ...; comm may contain spaces and parentheses
    const fields = stat.slice(stat.lastIndexOf(")") + 2).split(" ");
    if (fields[0] === "Z") continue; // a zombie is dead; its parent just has not reaped it yet
    const ppid = Number(fields[1]);
    const list = children.get(ppid) ?? [];
    list.push(Number(entry));
    children.set(ppid, list);
  }
  const out: number[] = [];
  const walk = (pid: number): void => {
    for (const child of children.get(pid) ?? []) {
      out.push(child);
      walk(child);
    }
  };
  walk(root);
  return out;
}

/** Wait until `check` returns true, polling; fails the test after `timeout` ms. */
export async function waitFor(check: () => boolean, timeout = 5_000, what = "condition"): Promise<void> {
  const start = performance.now();
  while (!check()) {
    if (performance.now() - start > timeout) throw new Error(`timed out after ${timeout} ms waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 5));
  }
}

export const sleep = (ms: number): Promise<void> => new Promise((r) => setTimeout(r, ms));

/**
 * Pools made through `make` are destroyed after each test if the test did not close them, and
 * the test fails if any of them still has a worker, or if a child process of ours is left.
 */
export function usePools(): <In = unknown, Out = unknown>(options: PoolOptions<In, Out>) => Pool<In, Out> {
  const made: Pool<unknown, unknown>[] = [];
  const baseline = new Set(childPids());
  afterEach(async () => {
    const pools = made.splice(0);
    const leftOpen = pools.filter((p) => p.state !== "closed" && p.state !== "idle");
    await Promise.all(pools.map((p) => p.destroy()));
    for (const p of pools) expect(p.stats().workers.filter((w) => w.state !== "zombie")).toEqual([]);
    await waitFor(() => childPids().every((pid) => baseline.has(pid)), 5_000, "child processes to exit").catch(
      () => {},
    );
    expect(childPids().filter((pid) => !baseline.has(pid))).toEqual([]);
    // No worker was asked for a lifecycle transition its state does not have.
    expect(lifecycleErrors.count, `impossible worker transitions, last: ${lifecycleErrors.last}`).toBe(0);
    void leftOpen;
  });
  return <In, Out>(options: PoolOptions<In, Out>): Pool<In, Out> => {
    const pool = new Pool<In, Out>(options);
    made.push(pool as Pool<unknown, unknown>);
    return pool;
  };
}

/** For `.catch(caught)`: turns a rejection into its reason, typed loosely for assertions. */
export const caught = (error: any): any => error;

/**
 * Deno child processes get only read access to the project by default: a fixture that touches
 * files elsewhere (a temp folder) or reads any variable is granted that, as a user would.
 */
export function childPermissions(adapter: string): { permissions?: string[] } {
  return runtime === "deno" && !threadAdapters.includes(adapter)
    ? { permissions: ["--allow-read", "--allow-write", "--allow-env"] }
    : {};
}
