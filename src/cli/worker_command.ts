/**
 * `mpms worker <task-module> --queue NAME --redis URL`: one node of a BullMQ queue. Jobs run on an
 * mpms pool; SIGTERM stops fetching at once, lets running jobs finish within --shutdown-timeout
 * and hands back those cut short (no attempt used), then exits 0; a second signal hands back at
 * once. Loaded only for this command, so `mpms run` never loads bullmq.
 */
import { Shutdown } from "../shutdown/shutdown.ts";
import { UsageError } from "./args.ts";
import type { CliHost } from "./host.ts";
import { heartbeatOption } from "./pool_options.ts";
import { parseWorkerArgs, WORKER_HELP, wantsHelp } from "./queue_args.ts";
import { flagMessage } from "./run.ts";

function message(error: unknown): string {
  return error instanceof Error ? error.message : String(error);
}

/** Run `mpms worker`; resolves with null once started (the shutdown ends the process). */
export async function workerCommand(argv: readonly string[], host: CliHost): Promise<number | null> {
  if (wantsHelp(argv)) {
    host.stdout.write(WORKER_HELP);
    return 0;
  }
  const options = parseWorkerArgs(argv, (name) => host.env(name));
  // Read (if needed) above: workers and the tasks' own subprocesses must not inherit the secret.
  host.unsetEnv("MPMS_ADMIN_TOKEN");
  const module = host.resolveModule(options.module);
  if (!host.moduleExists(module)) {
    throw new UsageError(`cannot find the task module ${JSON.stringify(options.module)} (${module.href})`);
  }
  const { createQueueWorker } = await import("../bullmq/queue_worker.ts");
  const log = (line: string): void => {
    if (!options.quiet) host.stderr.write(`${line}\n`);
  };
  let shutdown: Shutdown;
  // A node whose pool gave up runs nothing: it shuts down and exits 1, so that whatever
  // supervises it (systemd, Kubernetes) restarts it, instead of idling while jobs wait.
  let poolFailed = false;
  try {
    shutdown = new Shutdown({
      timeout: options.shutdownTimeout,
      exitCode: () => (poolFailed ? 1 : 0),
      logger: { info: log, warn: (line: string) => host.stderr.write(`${line}\n`) },
    });
  } catch (error) {
    throw new UsageError(flagMessage(message(error)));
  }
  const poolOptions: Record<string, unknown> = { module };
  const pick: [keyof typeof options, string][] = [
    ["workers", "workers"],
    ["concurrency", "concurrency"],
    ["adapter", "adapter"],
    ["timeout", "taskTimeout"],
    ["maxTasks", "maxTasks"],
    ["maxAge", "maxAge"],
    ["maxAgeHard", "maxAgeHard"],
    ["maxMemoryMb", "maxMemoryMb"],
  ];
  for (const [flag, option] of pick) if (options[flag] !== undefined) poolOptions[option] = options[flag];
  if (options.restartIntensity !== undefined) poolOptions.restart = { intensity: options.restartIntensity };
  const heartbeat = heartbeatOption(options.heartbeat, options.maxBlocked);
  if (heartbeat !== undefined) poolOptions.heartbeat = heartbeat;
  const workerOptions: Record<string, unknown> = {};
  if (options.lockDuration !== undefined) workerOptions.lockDuration = options.lockDuration;
  if (options.stalledInterval !== undefined) workerOptions.stalledInterval = options.stalledInterval;
  if (options.maxStalledCount !== undefined) workerOptions.maxStalledCount = options.maxStalledCount;
  let node: ReturnType<typeof createQueueWorker>;
  try {
    node = createQueueWorker({
      queue: options.queue,
      connection: options.redis,
      poolOptions: poolOptions as { module: URL },
      concurrency: options.jobs,
      timeoutField: options.timeoutField,
      exportFromJobName: options.exportFromName,
      unrecoverable: options.unrecoverable,
      workerOptions,
      shutdown,
      onError: (error) => log(`mpms worker: ${error.message}`),
    });
  } catch (error) {
    throw new UsageError(flagMessage(message(error).replace('option "connection"', "--redis")));
  }
  try {
    await node.start();
  } catch (error) {
    await node.close({ timeout: 0 }).catch(() => {});
    throw new UsageError(`mpms worker cannot start: ${message(error)}`);
  }
  if (options.admin !== null) {
    try {
      const admin = await host.startAdmin({
        name: options.queue.replace(/[^A-Za-z0-9_.-]/g, "_").slice(0, 64),
        pool: node.pool,
        metrics: [node],
        queues: [node],
        shutdown,
        token: options.token,
        ...options.admin,
      });
      log(`mpms worker: admin endpoint ${admin.url} (dashboard with the queue; /metrics, /stats, /readyz)`);
    } catch (error) {
      await node.close({ timeout: 0 });
      throw new UsageError(`cannot serve the admin endpoint: ${flagMessage(message(error))}`);
    }
  }
  shutdown.add(
    "summary",
    () => {
      const s = node.stats();
      log(
        `mpms worker: stopped; ${s.completed} completed, ${s.failed} failed, ${s.handedBack} handed back` +
          (s.handBackFailures > 0 ? `, ${s.handBackFailures} hand-backs refused` : ""),
      );
    },
    { phase: "final" },
  );
  shutdown.listen();
  node.pool.addEventListener("failed", (event) => {
    poolFailed = true;
    log(`mpms worker: the pool gave up (${message(event.detail.error)}); shutting down`);
    void shutdown.run("pool failed");
  });
  const stats = node.pool.stats();
  log(
    `mpms worker: queue ${options.queue} on ${stats.size} ${stats.adapter} workers, ${node.concurrency} jobs at once; ready`,
  );
  return null;
}
