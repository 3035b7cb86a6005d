/**
 * The acceptance scenario, scaled for CI: three `mpms worker` nodes (2 workers each) on one queue
 * of jobs mixing ok / CPU / throw / hang (job time limit) / exit. Mid-run one node gets SIGTERM
 * and another SIGKILL (short stalledInterval). Every job ends completed or failed as its behaviour
 * implies; none is lost; none is completed twice (markers are counted).
 */
import { readdirSync } from "node:fs";
import { describe, expect, test } from "vitest";
import { type CliRun, runCli, tempDir, useCli } from "../cli/cli.ts";
import { childPids } from "../helpers.ts";
import { hasRedis, openQueue, queueName, signal, until, useRedis } from "./helpers.ts";

useCli();
const redis = useRedis();
const JOBS = "test/fixtures/bullmq/jobs.ts";
const TOTAL = 100;

type Kind = "ok" | "cpu" | "throw" | "hang" | "exit";
/** Per 20 jobs: 10 ok, 5 CPU, 2 throw, 2 hang, 1 exit. */
function kindOf(i: number): Kind {
  const k = i % 20;
  return k < 10 ? "ok" : k < 15 ? "cpu" : k < 17 ? "throw" : k < 19 ? "hang" : "exit";
}

describe.skipIf(!hasRedis)("acceptance: three nodes, one SIGTERMed, one SIGKILLed", () => {
  test("every job ends as its behaviour implies; none lost, none completed twice", async () => {
    const name = queueName("accept");
    const dir = tempDir();
    const queue = openQueue(redis(), name);
    try {
      const start = (): CliRun =>
        runCli([
          "worker",
          JOBS,
          "--queue",
          name,
          "--redis",
          redis().url,
          "--workers",
          "2",
          "--timeout-field",
          "timeoutMs",
          "--lock-duration",
          "2s",
          "--stalled-interval",
          "1s",
          "--max-stalled-count",
          "2",
          "--shutdown-timeout",
          "3s",
          "--quiet",
        ]);
      const nodes = [start(), start(), start()];
      await until(() => nodes.every((n) => n.child.pid !== undefined), 5_000, "nodes to spawn");
      const jobs = Array.from({ length: TOTAL }, (_, i) => {
        const kind = kindOf(i);
        const data: Record<string, unknown> = { kind, id: `j${i}`, dir };
        if (kind === "ok") Object.assign(data, { kind: "wait", ms: 60 });
        if (kind === "cpu") data.ms = 150;
        if (kind === "hang") data.timeoutMs = 300;
        return { name: "j", data, opts: { jobId: `j${i}`, attempts: 2 } };
      });
      await queue.addBulk(jobs);
      const finished = async (): Promise<number> => {
        const c = await queue.getJobCounts("completed", "failed");
        return (c.completed ?? 0) + (c.failed ?? 0);
      };
      await until(async () => (await finished()) >= TOTAL * 0.25, 40_000, "a quarter of the jobs");
      const [term, kill] = nodes as [CliRun, CliRun, CliRun];
      const termAt = performance.now();
      // when the node exits, not when this test gets to look (the wait for 45% comes first)
      const termExited = term.exited.then((exit) => ({ exit, after: performance.now() - termAt }));
      signal(term.child, "SIGTERM");
      await until(async () => (await finished()) >= TOTAL * 0.45, 40_000, "45% of the jobs");
      const killPids = [...childPids(kill.child.pid), kill.child.pid as number];
      signal(kill.child, "SIGKILL");
      const termExit = await termExited;
      expect(termExit.exit.code).toBe(0);
      expect(termExit.after).toBeLessThan(3_000 + 2_000); // --shutdown-timeout 3s, plus the exit itself
      await kill.exited;
      await until(async () => (await finished()) === TOTAL, 45_000, "every job to finish");

      let duplicates = 0;
      const markers = new Map<string, number>();
      for (const file of readdirSync(dir)) {
        const id = file.split(".")[0] as string;
        if (!file.endsWith(".first")) markers.set(id, (markers.get(id) ?? 0) + 1);
      }
      for (let i = 0; i < TOTAL; i++) {
        const id = `j${i}`;
        const kind = kindOf(i);
        const job = await queue.getJob(id);
        const state = await queue.getJobState(id);
        const shouldComplete = kind === "ok" || kind === "cpu";
        expect(state, `${id} (${kind}): ${job?.failedReason}`).toBe(shouldComplete ? "completed" : "failed");
        const count = markers.get(id) ?? 0;
        if (shouldComplete) {
          expect(count, id).toBeGreaterThanOrEqual(1);
          duplicates += count - 1;
        } else {
          expect(count, id).toBe(0);
          expect(job?.attemptsMade, id).toBe(2); // failed after its attempts, not by a stall
        }
      }
      // only a job that was running on the SIGKILLed node (2 at once) can have run twice: its
      // marker was written, the host died before BullMQ recorded the completion
      expect(duplicates).toBeLessThanOrEqual(2);
      for (const pid of killPids) expect(() => process.kill(pid, 0)).toThrow();
      const last = nodes[2] as CliRun;
      signal(last.child, "SIGTERM");
      expect((await last.exited).code).toBe(0);
    } finally {
      await queue.close();
    }
    // Its waits allow 125 s between them; the file's 60 s default ran out at a load average of 15
    // (about 45 s at 3–8, 56 s at 14).
  }, 150_000);
});
