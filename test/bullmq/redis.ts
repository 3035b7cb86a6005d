/**
 * A throwaway redis-server for the BullMQ tests: a free port, a temp dir, no persistence,
 * `noeviction` (BullMQ's requirement), daemonized with a pidfile and stopped by that pid.
 */
import { execFileSync, spawnSync } from "node:child_process";
import { existsSync, mkdtempSync, readFileSync, rmSync } from "node:fs";
import { connect, createServer } from "node:net";
import { tmpdir } from "node:os";
import { join } from "node:path";

/** The redis-server binary, or null when none is installed (the tests then skip). */
export const redisServer: string | null = ((): string | null => {
  for (const path of ["/usr/bin/redis-server", "/usr/local/bin/redis-server"]) if (existsSync(path)) return path;
  const found = spawnSync("sh", ["-c", "command -v redis-server"], { encoding: "utf8" });
  const path = found.stdout.trim();
  return found.status === 0 && path !== "" ? path : null;
})();

if (redisServer === null) console.warn("BullMQ tests skipped: redis-server not found (apt-get install redis-server)");

export interface RedisHandle {
  port: number;
  url: string;
  pid: number;
  stop(): Promise<void>;
}

async function freePort(): Promise<number> {
  return await new Promise((resolve, reject) => {
    const server = createServer();
    server.once("error", reject);
    server.listen(0, "127.0.0.1", () => {
      const address = server.address();
      const port = typeof address === "object" && address !== null ? address.port : 0;
      server.close(() => resolve(port));
    });
  });
}

/** Whether a Redis answers PING on `port` (no redis-cli needed). */
function ping(port: number): Promise<boolean> {
  return new Promise((resolve) => {
    const socket = connect(port, "127.0.0.1");
    let reply = "";
    const done = (ok: boolean): void => {
      socket.destroy();
      resolve(ok);
    };
    socket.once("connect", () => socket.write("PING\r\n"));
    socket.on("data", (chunk: Buffer) => {
      reply += chunk.toString();
      if (reply.includes("\r\n")) done(reply.startsWith("+PONG"));
    });
    socket.once("error", () => done(false));
    socket.once("close", () => done(false));
  });
}

function alive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch {
    return false;
  }
}

/** Start a private redis-server; resolves once it answers PING. */
export async function startRedis(): Promise<RedisHandle> {
  if (redisServer === null) throw new Error("redis-server not found");
  const dir = mkdtempSync(join(tmpdir(), "mpms-redis-"));
  const pidfile = join(dir, "redis.pid");
  const port = await freePort();
  execFileSync(redisServer, [
    "--port",
    String(port),
    "--bind",
    "127.0.0.1",
    "--save",
    "",
    "--appendonly",
    "no",
    "--dir",
    dir,
    "--daemonize",
    "yes",
    "--pidfile",
    pidfile,
    "--maxmemory-policy",
    "noeviction",
    "--logfile",
    join(dir, "redis.log"),
  ]);
  const start = performance.now();
  let pid = 0;
  for (;;) {
    if (existsSync(pidfile)) pid = Number(readFileSync(pidfile, "utf8").trim());
    if (pid > 0 && (await ping(port))) break;
    if (performance.now() - start > 10_000) throw new Error(`redis-server on port ${port} did not start`);
    await new Promise((r) => setTimeout(r, 20));
  }
  return {
    port,
    pid,
    url: `redis://127.0.0.1:${port}`,
    async stop() {
      if (alive(pid)) process.kill(pid, "SIGTERM");
      const until = performance.now() + 5_000;
      while (alive(pid) && performance.now() < until) await new Promise((r) => setTimeout(r, 20));
      if (alive(pid)) process.kill(pid, "SIGKILL");
      rmSync(dir, { recursive: true, force: true });
    },
  };
}
