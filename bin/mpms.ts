#!/usr/bin/env node
/**
 * The `mpms` command (npx mpms, bunx mpms, deno run -A bin/mpms.ts). See `mpms --help` and
 * docs/cli.md.
 * @module
 */
import "../mod.ts"; // registers the adapters and the shutdown host
import process from "node:process";
import { cliHost } from "../runtimes/cli_io.ts";
import { main } from "../src/cli/main.ts";

const host = cliHost();
try {
  const code = await main(process.argv.slice(2), host);
  // null: an interruption is under way and the shutdown coordinator ends the process
  if (code !== null) await host.exit(code);
} catch (error) {
  process.stderr.write(
    `mpms: unexpected error: ${error instanceof Error ? (error.stack ?? error.message) : String(error)}\n`,
  );
  await host.exit(1);
}
