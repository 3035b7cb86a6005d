/**
 * The queue on the admin endpoint of a queue worker, on a real Redis: /stats carries the queue's
 * counts as BullMQ reports them, this node's numbers and its running jobs; the dashboard page has
 * the queue section's hook and its script renders `stats.queues`. Counts are fetched in the
 * background with a time limit: a Redis that does not answer never holds /stats.
 */
import { existsSync, mkdtempSync, rmSync } from "node:fs";
import { createServer, type Server } from "node:net";
import { tmpdir } from "node:os";
import { join } from "node:path";
import type { Queue } from "bullmq";
import { afterEach, describe, expect, test } from "vitest";
import { createAdmin, serveAdmin } from "../../admin.ts";
import { createQueueWorker, type QueueWorker } from "../../bullmq.ts";
import { QueueCounts } from "../../src/bullmq/queue_counts.ts";
import { fixture } from "../helpers.ts";
import { hasRedis, openQueue, queueName, until, useRedis, waitFinal } from "./helpers.ts";

const redis = useRedis();
const CHROMIUM = process.env.MPMS_CHROMIUM ?? "/usr/bin/chromium";
// playwright-core drives Chromium from Bun and Deno as well as from Node (Bun 1.4, Deno 2.9)
const noBrowser = !existsSync(CHROMIUM) ? `${CHROMIUM} is missing: apt-get install -y chromium` : null;
if (noBrowser) console.warn(`[bullmq dashboard] browser test skipped: ${noBrowser}`);
const cleanups: (() => Promise<void> | void)[] = [];
afterEach(async () => {
  for (const cleanup of cleanups.splice(0).reverse()) await cleanup();
});

interface StatsWithQueues {
  queues?: {
    queue: string;
    kind: string;
    counts: Record<string, number> | null;
    countsAt: string | null;
    countsError: string | null;
    node: Record<string, number>;
    jobs: { id: string; name: string; attempt: number; runningMs: number }[];
  }[];
}

describe.skipIf(!hasRedis)("the queue on the admin endpoint", () => {
  test("/stats has the BullMQ counts, this node's jobs and numbers; the dashboard renders them", async () => {
    const name = queueName("dashboard");
    const queue: Queue = openQueue(redis(), name);
    const node: QueueWorker = createQueueWorker({
      queue: name,
      connection: redis().url,
      poolOptions: { module: fixture("bullmq/jobs.ts"), workers: 2, killGrace: 200 },
      onError: () => {},
    });
    cleanups.push(() => queue.close());
    cleanups.push(() => node.close({ timeout: 0 }));
    await node.start();
    const app = createAdmin({ pools: { jobs: node.pool }, metrics: [node], queues: [node] });
    cleanups.push(() => app.close());

    await queue.add("j", { kind: "ok", id: "done" }, { jobId: "done" });
    await queue.add("j", { kind: "throw", id: "bad" }, { jobId: "bad" });
    await waitFinal(queue, "done");
    await waitFinal(queue, "bad");
    // two jobs held on this node (2 workers), one waiting behind them, one delayed
    await queue.add("hold", { kind: "abortable", id: "h1" }, { jobId: "h1" });
    await queue.add("hold", { kind: "abortable", id: "h2" }, { jobId: "h2" });
    await until(() => node.active === 2, 10_000, "two running jobs");
    await queue.add("later", { kind: "ok", id: "w" }, { jobId: "w" });
    await queue.add("later", { kind: "ok", id: "d" }, { jobId: "d", delay: 600_000 });

    const stats = async (): Promise<StatsWithQueues> => {
      const started = performance.now();
      const res = await app.request("http://127.0.0.1/stats");
      expect(res.status).toBe(200);
      expect(performance.now() - started).toBeLessThan(500); // answered from the cache
      return (await res.json()) as StatsWithQueues;
    };
    const expected = { waiting: 1, active: 2, completed: 1, failed: 1, delayed: 1, prioritized: 0 };
    let view: NonNullable<StatsWithQueues["queues"]>[number] | undefined;
    // the first ask starts the fetch; counts renew at most every 2 s
    await until(
      async () => {
        view = (await stats()).queues?.[0];
        return JSON.stringify(view?.counts) === JSON.stringify(expected);
      },
      15_000,
      "the counts of the queue in /stats",
    );
    expect(view).toMatchObject({ queue: name, kind: "bullmq", countsError: null });
    expect(Date.parse(view?.countsAt ?? "")).toBeGreaterThan(Date.now() - 10_000);
    expect(view?.node).toMatchObject({ active: 2, concurrency: 2, completed: 1, failed: 1, lockRenewalFailures: 0 });
    expect(view?.jobs.map((j) => j.id).sort()).toEqual(["h1", "h2"]);
    for (const job of view?.jobs ?? []) expect(job).toMatchObject({ name: "hold", attempt: 1 });

    // the page has the section's hook; its script builds a section per entry of stats.queues
    const page = await (await app.request("http://127.0.0.1/")).text();
    expect(page).toContain('<div id="queues" data-section="queues"></div>');
    const script = await (await app.request("http://127.0.0.1/dashboard.js")).text();
    expect(script).toContain("renderQueues(stats.queues || [])");
    expect(script).toContain('"data-queue": name');
    for (const state of Object.keys(expected)) expect(script).toContain(`["${state}", "${state}"]`);
    expect(script).toContain('"lockRenewalFailures", "lock renewal failures"');

    // without the option, /stats is as it was
    const plain = createAdmin({ pools: { jobs: node.pool } });
    cleanups.push(() => plain.close());
    expect(Object.keys((await (await plain.request("http://127.0.0.1/stats")).json()) as object)).not.toContain(
      "queues",
    );
  });

  test("a Redis that never answers: the view answers at once, then says the counts timed out", async () => {
    // accepts connections and never replies, like a hung Redis
    const sockets: import("node:net").Socket[] = [];
    const silent: Server = createServer((socket) => sockets.push(socket));
    await new Promise<void>((resolve) => silent.listen(0, "127.0.0.1", resolve));
    const address = silent.address();
    const port = typeof address === "object" && address !== null ? address.port : 0;
    const counts = new QueueCounts("silent", { host: "127.0.0.1", port, maxRetriesPerRequest: null });
    cleanups.push(
      () =>
        new Promise<void>((resolve) => {
          for (const socket of sockets) socket.destroy();
          silent.close(() => resolve());
        }),
    );
    cleanups.push(() => counts.close());
    const started = performance.now();
    expect(counts.latest()).toEqual({ counts: null, at: null, error: null });
    expect(performance.now() - started).toBeLessThan(100);
    await until(() => counts.latest().error !== null, 5_000, "the time limit of the fetch");
    expect(counts.latest()).toEqual({ counts: null, at: null, error: "Redis gave no counts within 1000 ms" });
  });

  test.skipIf(noBrowser !== null)("the page in headless Chromium draws the queue section from /stats", async () => {
    const { chromium } = await import("playwright-core");
    const name = queueName("browser");
    const queue: Queue = openQueue(redis(), name);
    const node: QueueWorker = createQueueWorker({
      queue: name,
      connection: redis().url,
      poolOptions: { module: fixture("bullmq/jobs.ts"), workers: 1, killGrace: 200 },
      onError: () => {},
    });
    cleanups.push(() => queue.close());
    cleanups.push(() => node.close({ timeout: 0 }));
    await node.start();
    const server = await serveAdmin({ pools: { jobs: node.pool }, queues: [node], port: 0 });
    cleanups.push(() => server.close({ timeout: 1000 }));
    await queue.add("hold", { kind: "abortable", id: "h" }, { jobId: "h" });
    await until(() => node.active === 1, 10_000, "the running job");
    await queue.add("later", { kind: "ok", id: "w1" }, { jobId: "w1" });
    await queue.add("later", { kind: "ok", id: "w2" }, { jobId: "w2" });

    const userDataDir = mkdtempSync(join(tmpdir(), "mpms-chromium-"));
    cleanups.push(() => rmSync(userDataDir, { recursive: true, force: true }));
    const context = await chromium.launchPersistentContext(userDataDir, {
      executablePath: CHROMIUM,
      headless: true,
      args: ["--headless", "--no-sandbox", "--disable-gpu", "--no-first-run", "--disable-background-networking"],
    });
    cleanups.push(() => context.close());
    const page = context.pages()[0] ?? (await context.newPage());
    const errors: string[] = [];
    page.on("console", (message) => {
      if (message.type() === "error") errors.push(`console: ${message.text()}`);
    });
    page.on("pageerror", (error) => errors.push(`page: ${error.message}`));
    await page.goto(`${server.url}/`);
    const section = page.locator(`#queues section[data-queue="${name}"]`);
    const count = (key: string) => section.locator(`[data-queue-counts] [data-counter="${key}"] .v`).textContent();
    await expect.poll(() => count("waiting"), { timeout: 10_000 }).toBe("2");
    expect(await count("active")).toBe("1");
    expect(await count("delayed")).toBe("0");
    expect(await section.locator('[data-queue-node] [data-counter="active"] .v').textContent()).toBe("1");
    expect(await section.locator('[data-queue-node] [data-counter="lockRenewalFailures"] .v').textContent()).toBe("0");
    expect(await section.locator('table[data-table="jobs"] tr[data-job="h"] td').nth(1).textContent()).toBe("hold");
    expect(await section.locator("h2").textContent()).toBe(`queue ${name}`);
    expect(errors).toEqual([]);
  });
});
