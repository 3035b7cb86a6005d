/**
 * The `deno` adapter's channel is a private Unix socket per worker: the child's stdin is "null",
 * so a task reading stdin (itself or through a subprocess) sees end of file and takes no protocol
 * bytes; the socket file is gone once the worker connected, and nothing is left after close() or a
 * SIGKILL of the host. (Garbage on the socket: wire.test.ts; forged frames on stdout: stdout.test.ts.)
 */
import { spawn } from "node:child_process";
import { mkdtempSync, readdirSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import { afterEach, beforeEach, describe, expect, it } from "vitest";
import { adapters, fixture, usePools, waitFor } from "../helpers.ts";
import { isAlive, killLeftovers } from "./pids.ts";
import { allOutput, firstLine } from "./run_script.ts";

type Report = { workers: { pid: number; stdin: string; sockets: number }[]; running: string[] };

describe.runIf(adapters.includes("deno"))("the deno adapter's socket channel", () => {
  const make = usePools();
  const module = fixture("process/stdin_tasks.ts");

  it("a task's subprocess reading the inherited stdin sees end of file; it and its neighbours settle", async () => {
    const pool = make({ module, adapter: "deno", workers: 1, concurrency: 4 });
    await pool.start();
    // On stdio, cat would take the protocol lines meant for the neighbours (and wait for more).
    const outcomes = await Promise.allSettled([
      pool.submit(null, { name: "cat", timeout: 10_000 }),
      ...[1, 2, 3].map((n) => pool.submit(n, { timeout: 10_000 })),
      pool.submit(null, { name: "cat", timeout: 10_000 }),
    ]);
    expect(outcomes.map((o) => (o.status === "fulfilled" ? o.value : String(o.reason)))).toEqual([
      { code: 0, text: "" },
      1,
      2,
      3,
      { code: 0, text: "" },
    ]);
    expect(pool.stats().workersStarted).toBe(1);
    await pool.close();
  });

  it("Deno.stdin in a task reads end of file, not protocol bytes", async () => {
    const pool = make({ module, adapter: "deno", workers: 1, concurrency: 4 });
    await pool.start();
    const outcomes = await Promise.allSettled([
      pool.submit(null, { name: "readStdin", timeout: 10_000 }),
      ...[1, 2].map((n) => pool.submit(n, { timeout: 10_000 })),
    ]);
    expect(outcomes.map((o) => (o.status === "fulfilled" ? o.value : String(o.reason)))).toEqual(["eof", 1, 2]);
    await pool.close();
  });
});

describe.runIf(adapters.includes("deno"))("the deno channel's files and descriptors", () => {
  const deno = (globalThis as unknown as { Deno?: { execPath(): string } }).Deno;
  let dir = "";
  beforeEach(() => {
    dir = mkdtempSync(join(tmpdir(), "mpms-test-channel-"));
  });
  afterEach(() => {
    rmSync(dir, { recursive: true, force: true });
  });
  /** The host script, with a private temp folder (so that other tests' files do not count). */
  const host = (mode: "close" | "wait") =>
    spawn(deno?.execPath() ?? "deno", ["run", "-A", fileURLToPath(fixture("process/channel_host.ts")), mode], {
      stdio: ["ignore", "pipe", "inherit"],
      env: { ...process.env, TMPDIR: dir },
    });

  it("children get stdin /dev/null and a socket; no socket file while they run, none after close()", async () => {
    const { stdout, code } = await allOutput(host("close"));
    expect(code).toBe(0);
    const [running, closed] = stdout
      .trim()
      .split("\n")
      .map((line) => JSON.parse(line)) as [Report, { closed: string[] }];
    expect(running.workers).toHaveLength(2);
    for (const worker of running.workers) {
      expect(worker.stdin).toBe("/dev/null");
      expect(worker.sockets).toBeGreaterThan(0);
    }
    expect(running.running).toEqual([]); // removed once the worker connected
    expect(closed.closed).toEqual([]);
    expect(readdirSync(dir)).toEqual([]);
  });

  it("host SIGKILLed: the workers exit and leave no socket file", async () => {
    const child = host("wait");
    let pids: number[] = [];
    try {
      const report = JSON.parse(await firstLine(child, 20_000)) as Report;
      pids = report.workers.map((w) => w.pid);
      expect(pids).toHaveLength(2);
      process.kill(child.pid as number, "SIGKILL");
      await waitFor(() => pids.every((pid) => !isAlive(pid)), 5_000, "the orphaned workers to exit");
      expect(readdirSync(dir)).toEqual([]);
    } finally {
      killLeftovers([...pids, child.pid as number]);
    }
  });
});
