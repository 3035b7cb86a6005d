/**
 * `--admin`: serve the admin endpoint (mpms/admin) for the run's pool. Loaded only when the flag
 * is given, so a plain run does not load Hono. The server closes in the shutdown's "final" phase.
 */
import type { AdminHandle, AdminRequest } from "../src/cli/host.ts";

export async function startAdmin(request: AdminRequest): Promise<AdminHandle> {
  const { serveAdmin } = await import("./admin_server.ts");
  const server = await serveAdmin({
    pools: { [request.name]: request.pool },
    ...(request.metrics ? { metrics: request.metrics } : {}),
    ...(request.queues ? { queues: request.queues } : {}),
    shutdown: request.shutdown,
    token: request.token,
    hostname: request.hostname,
    port: request.port,
  });
  return { url: `${server.url}/`, close: () => server.close() };
}
