/**
 * `--admin`: serve the admin endpoint for the run's pool. The endpoint itself lives in admin.ts
 * (mpms/admin); this is the one place the CLI depends on its API.
 */
import type { AdminHandle, AdminRequest } from "../src/cli/host.ts";

export async function startAdmin(request: AdminRequest): Promise<AdminHandle> {
  const admin = (await import("../admin.ts")) as Record<string, unknown>;
  if (typeof admin.createAdmin !== "function") {
    throw new Error("this build of mpms has no admin endpoint yet (admin.ts exports no createAdmin)");
  }
  void request;
  throw new Error("the admin endpoint is not wired yet");
}
