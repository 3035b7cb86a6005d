/**
 * The dashboard in a real headless Chromium (Debian's, driven by playwright-core from Node): it
 * loads without console errors, shows the workers of a running pool, its charts update, and the
 * recycle button retires a worker. Screenshot: test-artifacts/dashboard.png (and docs/dashboard.png
 * with MPMS_DOCS_SCREENSHOT=1).
 */
import { existsSync, mkdirSync } from "node:fs";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import { afterEach, describe, expect, it } from "vitest";
import { type AdminServer, serveAdmin } from "../../admin.ts";
import { Shutdown } from "../../mod.ts";
import { CHROMIUM, launchChromium } from "../chromium.ts";
import { fixture, runtime, sleep, usePools, waitFor } from "../helpers.ts";

const TOKEN = "dashboard-token-0123456789";
const ROOT = fileURLToPath(new URL("../../", import.meta.url));
/** MPMS_DOCS_SCREENSHOT=1: run a minute longer and also write docs/dashboard.png. */
const DOCS = process.env.MPMS_DOCS_SCREENSHOT === "1";

const skipReason =
  runtime !== "node"
    ? `runs on Node only (playwright-core drives Chromium from Node), not on ${runtime}`
    : !existsSync(CHROMIUM)
      ? `${CHROMIUM} is missing: apt-get update && apt-get install -y chromium`
      : null;
if (skipReason) console.warn(`[admin dashboard] browser test skipped: ${skipReason}`);

const makePool = usePools();

/** Headless Chromium on a fresh profile, closed (and the profile removed) after the test. */
async function openPage(): Promise<{ page: import("playwright-core").Page; errors: string[] }> {
  const context = await launchChromium(cleanups, { viewport: { width: 1280, height: 720 }, colorScheme: "light" });
  context.setDefaultTimeout(5000);
  const page = context.pages()[0] ?? (await context.newPage());
  const errors: string[] = [];
  page.on("console", (message) => {
    if (message.type() === "error") errors.push(`console: ${message.text()}`);
  });
  page.on("pageerror", (error) => errors.push(`page: ${error.message}`));
  page.on("requestfailed", (request) => errors.push(`request failed: ${request.url()}`));
  return { page, errors };
}
const cleanups: (() => Promise<void> | void)[] = [];
afterEach(async () => {
  for (const cleanup of cleanups.splice(0).reverse()) await cleanup();
});

describe.skipIf(skipReason !== null)(
  `dashboard in headless Chromium${skipReason ? ` (skipped: ${skipReason})` : ""}`,
  () => {
    it(
      "loads without console errors, shows the workers, updates the charts, and recycles a worker",
      async () => {
        const pool = makePool({ module: fixture("admin/tasks.ts"), workers: 3, heartbeat: { interval: 200 } });
        await pool.start();
        const shutdown = new Shutdown({ exit: false, logger: false });
        const server: AdminServer = await serveAdmin({ pools: { images: pool }, shutdown, token: TOKEN, port: 0 });
        cleanups.push(() => server.close({ timeout: 1000 }));

        // load with some failures, bursts that fill the queue now and then, and quieter spells
        let loading = true;
        const load = (async () => {
          for (let round = 0; loading; round++) {
            const burst = round % 10 === 0 ? 60 : 12;
            const batch = Array.from({ length: burst }, (_, i) =>
              (round * 31 + i) % 23 === 0
                ? pool.submit("bad input", { name: "fail" })
                : pool.submit(2 + ((i * 7) % 15), { name: "sleep" }),
            );
            await Promise.allSettled(batch);
            if (round % 200 >= 120) await sleep(15);
          }
        })();
        cleanups.push(async () => {
          loading = false;
          await load;
        });

        const { page, errors } = await openPage();

        const response = await page.goto(`${server.url}/`);
        expect(response?.status()).toBe(200);
        const section = page.locator('section[data-pool="images"]');
        const rows = section.locator('table[data-table="workers"] tbody tr[data-worker]');
        await expect.poll(() => rows.count(), { timeout: 5000 }).toBe(3);
        const shown = (await rows.evaluateAll((trs) => trs.map((tr) => Number(tr.getAttribute("data-worker"))))).sort();
        expect(shown).toEqual(
          pool
            .stats()
            .workers.map((w) => w.id)
            .sort(),
        );
        expect(await page.locator("#status").textContent()).toBe("ready");

        // the charts gain points (one per second) and redraw
        const chart = section.locator('[data-chart="throughput"] svg');
        const line = chart.locator("polyline").first();
        const before = {
          points: Number(await chart.getAttribute("data-points")),
          line: await line.getAttribute("points"),
        };
        await expect
          .poll(async () => Number(await chart.getAttribute("data-points")), { timeout: 5000 })
          .toBeGreaterThanOrEqual(before.points + 2);
        expect(await line.getAttribute("points")).not.toBe(before.line);
        expect((await line.getAttribute("points"))?.split(" ").length).toBeGreaterThanOrEqual(2);
        const completed = await section.locator('[data-counter="completed"] .v').textContent();
        expect(Number(completed?.replace(/,/g, ""))).toBeGreaterThan(0);

        // the recycle button, with the token typed into the page
        await page.fill("#token", TOKEN);
        await page.click("#token-save");
        const target = shown[0] as number;
        const button = section.locator(`tr[data-worker="${target}"] button[data-action="recycle"]`);
        await expect.poll(() => button.isEnabled(), { timeout: 3000 }).toBe(true);
        await button.click();
        await expect.poll(() => page.locator("#message").textContent(), { timeout: 3000 }).toMatch(/being recycled/);
        await waitFor(() => pool.stats().retirements.recycle === 1, 5000, "the recycle");
        await expect.poll(() => section.locator(`tr[data-worker="${target}"]`).count(), { timeout: 5000 }).toBe(0);
        const exitRow = section.locator('table[data-table="exits"] tr[data-reason="recycle"]');
        await expect.poll(() => exitRow.count(), { timeout: 5000 }).toBe(1);
        expect(await exitRow.locator("td").nth(1).textContent()).toBe(String(target));
        await expect.poll(() => rows.count(), { timeout: 5000 }).toBe(3); // the replacement is there

        if (DOCS) {
          // more history for the picture, and a few more kinds of retirement
          await sleep(40_000);
          await pool.submit(1, { name: "crash" }).catch(() => {});
          await sleep(15_000);
          pool.resize(4);
          await sleep(5_000);
          pool.resize(3);
          await sleep(15_000);
        } else {
          await sleep(1500);
        }
        mkdirSync(join(ROOT, "test-artifacts"), { recursive: true });
        await page.screenshot({ path: join(ROOT, "test-artifacts", "dashboard.png"), fullPage: true });
        if (DOCS) {
          await page.screenshot({ path: join(ROOT, "docs", "dashboard.png"), fullPage: true });
        }
        expect(errors).toEqual([]);
      },
      DOCS ? 150_000 : 30_000,
    );

    it("an elastic pool shows its minWorkers and maxWorkers, and the resize field takes that range", async () => {
      const elastic = makePool({
        module: fixture("admin/tasks.ts"),
        minWorkers: 1,
        maxWorkers: 3,
        idleTimeout: 60_000,
      });
      const fixed = makePool({ module: fixture("admin/tasks.ts"), workers: 2 });
      await Promise.all([elastic.start(), fixed.start()]);
      const server: AdminServer = await serveAdmin({ pools: { burst: elastic, steady: fixed }, token: TOKEN, port: 0 });
      cleanups.push(() => server.close({ timeout: 1000 }));
      const { page, errors } = await openPage();
      expect((await page.goto(`${server.url}/`))?.status()).toBe(200);

      const burst = page.locator('section[data-pool="burst"]');
      const bounds = burst.locator("[data-bounds]");
      await expect.poll(() => bounds.getAttribute("data-bounds"), { timeout: 5000 }).toBe("1-3");
      expect(await bounds.textContent()).toBe("\u00b7 elastic 1\u20133 workers");
      const size = burst.locator('input[aria-label="workers"]');
      expect([await size.getAttribute("min"), await size.getAttribute("max")]).toEqual(["1", "3"]);
      expect(await size.inputValue()).toBe("1");

      // a fixed pool shows no bounds of its own (min = max = workers)
      const steady = page.locator('section[data-pool="steady"]');
      await expect.poll(() => steady.locator(".badge").textContent(), { timeout: 5000 }).toBe("running");
      expect(await steady.locator("[data-bounds]").getAttribute("data-bounds")).toBe("");
      expect(await steady.locator("[data-bounds]").textContent()).toBe("");
      expect(await steady.locator('input[aria-label="workers"]').getAttribute("max")).toBe("1024");

      // scaled up under a burst: the target moves, the bounds stay
      const ups = new Promise<void>((resolve) =>
        elastic.addEventListener("scaleup", (e) => e.detail.workers === 3 && resolve()),
      );
      const tasks = Array.from({ length: 30 }, () => elastic.submit(20, { name: "sleep" }));
      await ups;
      await expect.poll(() => size.inputValue(), { timeout: 5000 }).toBe("3");
      expect(await bounds.getAttribute("data-bounds")).toBe("1-3");
      await Promise.all(tasks);
      expect(errors).toEqual([]);
    }, 30_000);
  },
);
