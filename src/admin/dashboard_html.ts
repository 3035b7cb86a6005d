/**
 * The dashboard page (GET /): self-contained, no CDN. The script is served by the admin itself
 * (GET /dashboard.js), so the Content-Security-Policy can forbid inline and foreign scripts.
 */

/** Headers for the dashboard's responses. */
export const DASHBOARD_HEADERS: Readonly<Record<string, string>> = {
  "Content-Security-Policy":
    "default-src 'none'; script-src 'self'; style-src 'unsafe-inline'; connect-src 'self'; img-src data:; " +
    "base-uri 'none'; form-action 'none'; frame-ancestors 'none'",
  "X-Content-Type-Options": "nosniff",
  "Referrer-Policy": "no-referrer",
};

export const DASHBOARD_HTML = `<!doctype html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<title>mpms admin</title>
<link rel="icon" href="data:,">
<style>
:root { color-scheme: light dark; --fg: #1d2330; --muted: #6b7385; --bg: #f6f7f9; --card: #fff; --line: #e2e5ea;
  --ok: #1a7f4b; --warn: #b35c00; --bad: #c0262d; --c1: #2f6fde; --c2: #d6403a; --c3: #8a55d6; }
@media (prefers-color-scheme: dark) { :root { --fg: #e4e7ee; --muted: #98a0b3; --bg: #14171d; --card: #1d2129;
  --line: #2d323d; --ok: #3dbf7f; --warn: #e09a3e; --bad: #f0646a; --c1: #6ea1ff; --c2: #ff7b72; --c3: #c29bff; } }
* { box-sizing: border-box; }
body { margin: 0; font: 14px/1.4 system-ui, -apple-system, "Segoe UI", Roboto, sans-serif; color: var(--fg); background: var(--bg); }
header { display: flex; flex-wrap: wrap; gap: 12px; align-items: center; padding: 10px 18px; background: var(--card); border-bottom: 1px solid var(--line); }
h1 { font-size: 18px; margin: 0 8px 0 0; }
h2 { font-size: 16px; margin: 0; }
h3 { font-size: 13px; margin: 14px 0 6px; color: var(--muted); font-weight: 600; text-transform: uppercase; letter-spacing: .04em; }
.badge { display: inline-block; padding: 1px 8px; border-radius: 10px; font-size: 12px; font-weight: 600; border: 1px solid currentColor; }
.ok { color: var(--ok); } .warn { color: var(--warn); } .bad { color: var(--bad); } .muted { color: var(--muted); }
#auth { margin-left: auto; display: flex; gap: 6px; align-items: center; }
input { font: inherit; padding: 3px 6px; border: 1px solid var(--line); border-radius: 4px; background: var(--bg); color: var(--fg); }
input[type=number] { width: 70px; }
button { font: inherit; padding: 3px 10px; border: 1px solid var(--line); border-radius: 4px; background: var(--bg); color: var(--fg); cursor: pointer; }
button:hover:not(:disabled) { border-color: var(--c1); }
button:disabled { opacity: .45; cursor: not-allowed; }
button.danger { color: var(--bad); }
main, #queues, #pools { display: grid; gap: 16px; }
main { padding: 14px 18px; }
#queues:empty { display: none; }
#message { margin: 0; padding: 6px 18px; min-height: 1.4em; }
.pool { background: var(--card); border: 1px solid var(--line); border-radius: 8px; padding: 12px 16px; }
.pool-head { display: flex; flex-wrap: wrap; gap: 10px; align-items: center; }
.pool-head .spacer { flex: 1; }
.counters { display: grid; grid-template-columns: repeat(auto-fill, minmax(110px, 1fr)); gap: 8px; margin-top: 10px; }
.counter { border: 1px solid var(--line); border-radius: 6px; padding: 4px 8px; }
.counter .v { font-size: 18px; font-weight: 600; font-variant-numeric: tabular-nums; }
.counter .k { font-size: 11px; color: var(--muted); }
.charts { display: grid; grid-template-columns: repeat(auto-fit, minmax(260px, 1fr)); gap: 12px; }
.chart { border: 1px solid var(--line); border-radius: 6px; padding: 6px 8px; }
.chart svg { width: 100%; height: 110px; display: block; }
.chart .legend { font-size: 11px; color: var(--muted); display: flex; gap: 10px; flex-wrap: wrap; }
.chart .legend i { display: inline-block; width: 10px; height: 3px; margin-right: 4px; vertical-align: middle; }
.chart .title { display: flex; justify-content: space-between; font-size: 12px; font-weight: 600; }
table { border-collapse: collapse; width: 100%; font-variant-numeric: tabular-nums; }
th, td { text-align: left; padding: 3px 8px; border-bottom: 1px solid var(--line); white-space: nowrap; }
th { font-size: 12px; color: var(--muted); font-weight: 600; }
td.num, th.num { text-align: right; }
.empty { color: var(--muted); font-style: italic; }
</style>
</head>
<body>
<header>
<h1>mpms admin</h1>
<span id="status" class="badge muted">loading</span>
<span id="lag" class="muted"></span>
<span id="updated" class="muted"></span>
<form id="auth" autocomplete="off">
<label for="token">Token</label>
<input id="token" type="password" placeholder="admin token" size="24">
<button id="token-save" type="submit">Use</button>
<button id="shutdown" type="button" class="danger" title="Start a graceful shutdown of this process">Shut down</button>
</form>
</header>
<p id="message" role="status" class="muted"></p>
<main>
<div id="queues" data-section="queues"></div>
<div id="pools"></div>
</main>
<script src="dashboard.js"></script>
</body>
</html>
`;
