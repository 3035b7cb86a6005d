/** Registers the adapters that ship with mpms; each loads on first use. */
import { registerAdapter } from "../src/adapter.ts";

registerAdapter("thread", async () => (await import("./thread.ts")).default);
registerAdapter("process", async () => (await import("./child_process.ts")).default);
registerAdapter("bun", async () => (await import("./bun_spawn.ts")).default);
registerAdapter("deno", async () => (await import("./deno_command.ts")).default);
registerAdapter("web", async () => (await import("./web.ts")).default);
