/**
 * `npm run lint`'s JSR checks: `deno doc --lint` of every entry file (every exported symbol
 * documented, no public type naming a private one) and `deno publish --dry-run`. Quiet when both
 * pass: Deno warns about @types/node's triple-slash references, which are not ours to fix.
 */
import { spawnSync } from "node:child_process";

const ENTRIES = ["mod.ts", "hono.ts", "admin.ts", "web.ts", "adapter.ts", "bullmq.ts"];
const checks = [
  ["doc", "--lint", ...ENTRIES],
  ["publish", "--dry-run", "--allow-dirty"],
];
let failed = false;
for (const args of checks) {
  const run = spawnSync("deno", args, { encoding: "utf8", env: { ...process.env, NO_COLOR: "1" }, timeout: 120_000 });
  if (run.status !== 0) {
    failed = true;
    process.stderr.write(
      `deno ${args.join(" ")} failed (exit ${run.status ?? run.signal}):\n${run.stdout}${run.stderr}\n`,
    );
  }
}
if (!failed) console.log(`deno doc --lint (${ENTRIES.length} entries) and deno publish --dry-run: ok`);
process.exit(failed ? 1 : 0);
