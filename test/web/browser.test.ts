/**
 * mpms/web in a real headless Chromium (Debian's, driven by playwright-core from Node): esbuild
 * bundles the browser entry for the browser platform, with no `node:` import anywhere in its
 * graph, and a pool of two Web Workers runs submit, map, abort, a task that throws, one that calls
 * `close()` on itself, one that never answers and one that spins (both past a timeout), an
 * uncaught error, and `close()`; then a `close()` from a timer, which waits for a running task.
 */
import { copyFileSync, existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { createServer, type Server } from "node:http";
import type { AddressInfo } from "node:net";
import { tmpdir } from "node:os";
import { extname, join } from "node:path";
import { fileURLToPath } from "node:url";
import { afterAll, describe, expect, it } from "vitest";
import { CHROMIUM, launchChromium } from "../chromium.ts";
import { runtime } from "../helpers.ts";

const ROOT = fileURLToPath(new URL("../../", import.meta.url));

const skipReason =
  runtime !== "node"
    ? `runs on Node only (playwright-core drives Chromium from Node), not on ${runtime}`
    : !existsSync(CHROMIUM)
      ? `${CHROMIUM} is missing: apt-get update && apt-get install -y chromium`
      : null;
if (skipReason && runtime === "node") console.warn(`[mpms/web] browser test skipped: ${skipReason}`);

const TYPES: Record<string, string> = { ".html": "text/html", ".js": "text/javascript" };

/** Serve the files of `dir` on 127.0.0.1. */
async function serve(dir: string): Promise<{ server: Server; url: string }> {
  const server = createServer((req, res) => {
    const name = (req.url ?? "/").split("?")[0]?.replace(/^\/+/, "") || "index.html";
    const file = join(dir, name);
    if (!/^[\w.-]+$/.test(name) || !existsSync(file)) {
      res.writeHead(404).end();
      return;
    }
    res.writeHead(200, { "content-type": TYPES[extname(name)] ?? "application/octet-stream" });
    res.end(readFileSync(file));
  });
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  return { server, url: `http://127.0.0.1:${(server.address() as AddressInfo).port}` };
}

describe.skipIf(skipReason !== null)(
  `mpms/web in headless Chromium${skipReason ? ` (skipped: ${skipReason})` : ""}`,
  () => {
    const dir = mkdtempSync(join(tmpdir(), "mpms-web-browser-"));
    const cleanups: (() => Promise<void> | void)[] = [];
    afterAll(async () => {
      for (const cleanup of cleanups.reverse()) await cleanup();
      rmSync(dir, { recursive: true, force: true });
    });

    it("bundles with no node: import, and runs a pool of two Web Workers through every outcome", async () => {
      const { build } = await import("esbuild");
      const nodeImports: string[] = [];
      const result = await build({
        entryPoints: {
          page: join(ROOT, "test/web/browser_page.ts"),
          web_entry: join(ROOT, "runtimes/web_entry.ts"),
        },
        bundle: true,
        format: "esm",
        platform: "browser",
        outdir: dir,
        metafile: true,
        logLevel: "silent",
        plugins: [
          {
            name: "no-node-builtins",
            setup(b) {
              b.onResolve({ filter: /^node:/ }, (args) => {
                nodeImports.push(`${args.path} from ${args.importer}`);
                return { path: args.path, external: true };
              });
            },
          },
        ],
      });
      expect(nodeImports).toEqual([]);
      expect(Object.keys(result.metafile.inputs).some((input) => input.endsWith("web.ts"))).toBe(true);
      copyFileSync(join(ROOT, "test/web/browser_tasks.js"), join(dir, "browser_tasks.js"));
      writeFileSync(
        join(dir, "index.html"),
        '<!doctype html><meta charset="utf-8"><link rel="icon" href="data:,"><script type="module" src="./page.js"></script>\n',
      );
      const { server, url } = await serve(dir);
      cleanups.push(() => new Promise<void>((resolve) => server.close(() => resolve())));

      const context = await launchChromium(cleanups);
      const page = context.pages()[0] ?? (await context.newPage());
      const errors: string[] = [];
      page.on("console", (message) => {
        if (message.type() === "error") errors.push(`console: ${message.text()}`);
      });
      page.on("pageerror", (error) => errors.push(`page: ${error.message}`));
      await page.goto(`${url}/index.html`);
      await page.waitForFunction(() => (window as unknown as { mpmsResult?: unknown }).mpmsResult !== undefined, null, {
        timeout: 20_000,
      });
      const findings = await page.evaluate(() => (window as unknown as { mpmsResult: unknown }).mpmsResult);
      expect(findings).toEqual({
        adapter: "web",
        ready: 2,
        submit: 42,
        map: [2, 4, 6, 8, 10],
        abort: "stop now",
        throws: { isTaskError: true, name: "RangeError", message: "bad" },
        closeSelf: { crashed: true, reason: "exit", exitCode: null },
        hang: { timedOut: true },
        spin: { timedOut: true },
        uncaught: { crashed: true, reason: "error" },
        after: [2, 4],
        closed: { state: "closed", workers: 0, zombies: 0 },
        // failed counts every failure: the one that threw, the two crashes and the two timeouts
        counts: { completed: 8, failed: 5, cancelled: 1, crashed: 2, timedOut: 2 },
        submitAfterClose: "PoolClosedError",
        deferredClose: { armed: "armed", slept: 200, next: 6, crashed: 0, failed: 0, workersStarted: 2 },
      });
      expect(errors).toEqual([]);
    }, 40_000);
  },
);
