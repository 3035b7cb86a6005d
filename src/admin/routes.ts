/**
 * The read-only routes: liveness, readiness, Prometheus metrics, JSON stats, workers, history and
 * the dashboard. They do no I/O and never wait on a worker, so they answer as long as the host's
 * event loop does (behaviour 27).
 */
import type { Hono } from "hono";
import { DASHBOARD_HEADERS, DASHBOARD_HTML } from "./dashboard_html.ts";
import { DASHBOARD_JS } from "./dashboard_js.ts";
import { metricFamilies } from "./metrics.ts";
import { PROMETHEUS_CONTENT_TYPE, renderFamilies } from "./prometheus.ts";
import type { AdminState } from "./state.ts";

/** The text of GET /metrics: one stats() snapshot per pool, taken together. */
export function renderMetrics(state: AdminState): string {
  const extra = state.metrics.flatMap((source) => source.metricFamilies());
  return renderFamilies([...metricFamilies(state.snapshot(), state.lag.snapshot()), ...extra]);
}

export function readRoutes(app: Hono, state: AdminState): void {
  // explicit type: Bun leaves a plain string Response without one until it is sent
  app.get("/healthz", (c) => {
    const live = state.liveness();
    if (!live.live) return c.json(live, 503);
    return c.body("ok\n", 200, { "Content-Type": "text/plain; charset=utf-8" });
  });

  app.get("/readyz", (c) => {
    const r = state.readiness();
    return c.json(r, r.ready ? 200 : 503);
  });

  app.get("/metrics", (c) => c.body(renderMetrics(state), 200, { "Content-Type": PROMETHEUS_CONTENT_TYPE }));

  app.get("/stats", (c) => c.json(state.stats()));

  app.get("/workers", (c) => c.json({ workers: state.workers() }));

  app.get("/history", (c) => c.json(state.history()));

  app.get("/", (c) => c.html(DASHBOARD_HTML, 200, DASHBOARD_HEADERS));

  app.get("/dashboard.js", (c) =>
    c.body(DASHBOARD_JS, 200, { ...DASHBOARD_HEADERS, "Content-Type": "text/javascript; charset=utf-8" }),
  );
}
