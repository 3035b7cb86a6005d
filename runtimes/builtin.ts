/** Registers the adapters that ship with mpms; each loads on first use. */
import { registerAdapter } from "../src/adapter.ts";

registerAdapter("thread", async () => (await import("./thread.ts")).default);
