/**
 * The dashboard's script (GET /dashboard.js): polls `stats` and `history` every second, draws the
 * charts as inline SVG, and sends the control requests with the token typed into the page (kept
 * in sessionStorage, sent only as an Authorization header). Plain ES2017 without template
 * literals, so it can live in this string; the DOM is built with textContent, never innerHTML.
 */
export const DASHBOARD_JS: string = String.raw`"use strict";
(function () {
  var POLL_MS = 1000;
  var SVG = "http://www.w3.org/2000/svg";
  var tokenInput = document.getElementById("token");
  var message = document.getElementById("message");
  var sections = {};
  var queueSections = Object.create(null); // queue names are not checked: "constructor" is one
  var controls = false;
  var token = "";
  try { token = sessionStorage.getItem("mpms-admin-token") || ""; } catch (e) { token = ""; }
  tokenInput.value = token;

  function el(tag, attrs, children) {
    var node = document.createElement(tag);
    if (attrs) for (var k in attrs) {
      if (k === "text") node.textContent = attrs[k];
      else if (k === "className") node.className = attrs[k];
      else node.setAttribute(k, attrs[k]);
    }
    if (children) children.forEach(function (c) { if (c) node.appendChild(c); });
    return node;
  }
  function svg(tag, attrs) {
    var node = document.createElementNS(SVG, tag);
    for (var k in attrs) node.setAttribute(k, attrs[k]);
    return node;
  }
  function say(text, kind) {
    message.textContent = text;
    message.className = kind || "muted";
  }
  function fmtInt(n) { return n === null || n === undefined ? "-" : Math.round(n).toLocaleString("en-US"); }
  function fmtRate(n) { return n >= 100 ? fmtInt(n) : n.toFixed(n >= 10 ? 1 : 2); }
  function fmtSeconds(s) {
    if (s === null || s === undefined) return "-";
    if (s < 0.001) return (s * 1e6).toFixed(0) + " \u00b5s";
    if (s < 1) return (s * 1000).toFixed(s < 0.01 ? 2 : 1) + " ms";
    return s.toFixed(2) + " s";
  }
  function fmtAge(ms) {
    var s = ms / 1000;
    if (s < 60) return s.toFixed(1) + " s";
    if (s < 3600) return (s / 60).toFixed(1) + " min";
    return (s / 3600).toFixed(1) + " h";
  }
  function fmtBytes(b) {
    if (b === null || b === undefined) return "-";
    return (b / 1048576).toFixed(1) + " MiB";
  }
  function fmtTime(t) { return new Date(t).toLocaleTimeString("en-GB"); }
  function stateClass(state) {
    if (state === "running" || state === "ready") return "ok";
    if (state === "failed" || state === "zombie" || state === "closed") return "bad";
    return "warn";
  }

  function request(method, path, body) {
    if (!token) { say("Enter the admin token first.", "warn"); return Promise.resolve(null); }
    var init = { method: method, headers: { Authorization: "Bearer " + token } };
    if (body !== undefined) {
      init.headers["Content-Type"] = "application/json";
      init.body = JSON.stringify(body);
    }
    return fetch(path, init).then(function (res) {
      return res.json().catch(function () { return {}; }).then(function (data) {
        if (res.ok) say(data.message || (method + " " + path + ": " + res.status), "ok");
        else say((data.error || "request failed") + " (HTTP " + res.status + ")", "bad");
        return res.ok ? data : null;
      });
    }, function (error) { say("request failed: " + error, "bad"); return null; });
  }

  document.getElementById("auth").addEventListener("submit", function (event) {
    event.preventDefault();
    token = tokenInput.value.trim();
    try { sessionStorage.setItem("mpms-admin-token", token); } catch (e) { /* private mode */ }
    say(token ? "Token set for this tab." : "Token cleared.", "muted");
  });
  document.getElementById("shutdown").addEventListener("click", function () {
    if (!confirm("Start a graceful shutdown of this process?")) return;
    request("POST", "shutdown");
  });

  function counter(key, label) {
    var v = el("div", { className: "v", text: "-" });
    return { node: el("div", { className: "counter", "data-counter": key }, [v, el("div", { className: "k", text: label })]), v: v };
  }

  function chartBox(key, title, series) {
    var box = el("div", { className: "chart", "data-chart": key });
    var peak = el("span", { className: "muted", text: "" });
    box.appendChild(el("div", { className: "title" }, [el("span", { text: title }), peak]));
    var s = svg("svg", { viewBox: "0 0 300 100", preserveAspectRatio: "none", role: "img", "aria-label": title });
    for (var y = 25; y < 100; y += 25) s.appendChild(svg("line", { x1: 0, x2: 300, y1: y, y2: y, stroke: "currentColor", "stroke-opacity": "0.12", "stroke-width": "1", "vector-effect": "non-scaling-stroke" }));
    var lines = series.map(function (sr) {
      var line = svg("polyline", { fill: "none", stroke: "var(" + sr.color + ")", "stroke-width": "2", "vector-effect": "non-scaling-stroke", points: "" });
      s.appendChild(line);
      return line;
    });
    box.appendChild(s);
    var legend = el("div", { className: "legend" });
    series.forEach(function (sr) {
      var swatch = el("i");
      swatch.style.background = "var(" + sr.color + ")";
      legend.appendChild(el("span", null, [swatch, document.createTextNode(sr.label)]));
    });
    var spanLabel = el("span", { text: "" });
    legend.appendChild(spanLabel);
    box.appendChild(legend);
    return { node: box, svg: s, lines: lines, peak: peak, series: series, spanLabel: spanLabel };
  }

  function drawChart(chart, points, format) {
    // server time of the newest point, so that a skewed browser clock does not shift the chart
    var now = points.length > 0 ? points[points.length - 1].t : Date.now();
    // the x axis covers the history there is: at least a minute, at most the five minutes kept
    var span = points.length > 0 ? Math.min(300000, Math.max(60000, now - points[0].t)) : 60000;
    chart.spanLabel.textContent = "last " + (span < 120000 ? Math.round(span / 1000) + " s" : (span / 60000).toFixed(1) + " min");
    var max = 0;
    chart.series.forEach(function (sr) {
      points.forEach(function (p) { var v = p[sr.key]; if (v !== null && v > max) max = v; });
    });
    var top = max > 0 ? max * 1.1 : 1;
    chart.series.forEach(function (sr, i) {
      var coords = [];
      points.forEach(function (p) {
        var v = p[sr.key];
        if (v === null || v === undefined) return;
        var x = Math.max(0, 300 - ((now - p.t) / span) * 300);
        coords.push(x.toFixed(1) + "," + (100 - (v / top) * 100).toFixed(1));
      });
      chart.lines[i].setAttribute("points", coords.join(" "));
    });
    chart.svg.setAttribute("data-points", String(points.length));
    chart.peak.textContent = "max " + format(max);
  }

  function createSection(name) {
    var title = el("h2", { text: name });
    var state = el("span", { className: "badge" });
    var info = el("span", { className: "muted" });
    var bounds = el("span", { className: "muted", "data-bounds": "" });
    var size = el("input", { type: "number", min: "1", max: "1024", "aria-label": "workers" });
    var resize = el("button", { type: "button", "data-action": "resize", text: "Resize" });
    resize.addEventListener("click", function () {
      var n = Number(size.value);
      request("POST", "pools/" + encodeURIComponent(name) + "/resize", { workers: n }).then(function (ok) { if (ok) poll(); });
    });
    var head = el("div", { className: "pool-head" }, [title, state, info, bounds, el("span", { className: "spacer" }), el("label", { text: "workers " }), size, resize]);
    var keys = [["submitted", "submitted"], ["completed", "completed"], ["failed", "failed"], ["cancelled", "cancelled"],
      ["queued", "queue depth"], ["running", "running"], ["throughput", "tasks/s"], ["p95", "run p95"]];
    var counters = {};
    var counterRow = el("div", { className: "counters" });
    keys.forEach(function (k) { var c = counter(k[0], k[1]); counters[k[0]] = c; counterRow.appendChild(c.node); });
    var charts = {
      throughput: chartBox("throughput", "Throughput (tasks/s)", [{ key: "completed", label: "completed", color: "--c1" }, { key: "failed", label: "failed", color: "--c2" }]),
      latency: chartBox("latency", "Latency", [{ key: "runP50", label: "run p50", color: "--c1" }, { key: "runP95", label: "run p95", color: "--c3" }, { key: "waitP95", label: "queue wait p95", color: "--c2" }]),
      queue: chartBox("queue", "Queue depth", [{ key: "queued", label: "queued", color: "--c3" }, { key: "running", label: "running", color: "--c1" }])
    };
    var chartRow = el("div", { className: "charts" }, [charts.throughput.node, charts.latency.node, charts.queue.node]);
    var workersBody = el("tbody");
    var workers = el("table", { "data-table": "workers" }, [
      el("thead", null, [el("tr", null, ["id", "state", "age", "tasks done", "running", "memory", "pid / thread", ""].map(function (h, i) {
        return el("th", { className: i >= 2 && i <= 6 ? "num" : "", text: h });
      }))]),
      workersBody
    ]);
    var exitsBody = el("tbody");
    var exits = el("table", { "data-table": "exits" }, [
      el("thead", null, [el("tr", null, ["time", "worker", "reason", "planned", "exit", "error"].map(function (h) { return el("th", { text: h }); }))]),
      exitsBody
    ]);
    var node = el("section", { className: "pool", "data-pool": name }, [head, counterRow, el("h3", { text: "Last minutes" }), chartRow,
      el("h3", { text: "Workers" }), workers, el("h3", { text: "Recent retirements" }), exits]);
    document.getElementById("pools").appendChild(node);
    return { node: node, state: state, info: info, bounds: bounds, size: size, resize: resize, counters: counters, charts: charts, workersBody: workersBody, exitsBody: exitsBody, sizeTouched: false };
  }

  function renderWorkers(section, name, workers) {
    var body = section.workersBody;
    while (body.firstChild) body.removeChild(body.firstChild);
    if (workers.length === 0) { body.appendChild(el("tr", null, [el("td", { colspan: "8", className: "empty", text: "no workers" })])); return; }
    workers.forEach(function (w) {
      var button = el("button", { type: "button", "data-action": "recycle", "data-worker": String(w.id), text: "Recycle" });
      button.disabled = !controls || w.state !== "ready" || w.retiring !== null;
      button.title = controls ? "Retire this worker after its tasks (a replacement starts first)" : "Controls are disabled: no token configured on the server";
      button.addEventListener("click", function () {
        button.disabled = true;
        request("POST", "pools/" + encodeURIComponent(name) + "/workers/" + w.id + "/recycle").then(function () { poll(); });
      });
      var state = w.state + (w.retiring ? " (" + w.retiring + ")" : "");
      body.appendChild(el("tr", { "data-worker": String(w.id) }, [
        el("td", { text: String(w.id) }),
        el("td", { className: stateClass(w.state), text: state }),
        el("td", { className: "num", text: fmtAge(w.age) }),
        el("td", { className: "num", text: fmtInt(w.tasksDone) }),
        el("td", { className: "num", text: fmtInt(w.running) }),
        el("td", { className: "num", text: fmtBytes(w.memory) }),
        el("td", { className: "num", text: w.threadId !== null ? "thread " + w.threadId : w.pid === null ? "-" : String(w.pid) }),
        el("td", null, [button])
      ]));
    });
  }

  function renderExits(section, exits) {
    var body = section.exitsBody;
    while (body.firstChild) body.removeChild(body.firstChild);
    var recent = exits.slice(-15).reverse();
    if (recent.length === 0) { body.appendChild(el("tr", null, [el("td", { colspan: "6", className: "empty", text: "none yet" })])); return; }
    recent.forEach(function (x) {
      var code = x.signal ? x.signal : x.code === null ? "-" : "code " + x.code;
      body.appendChild(el("tr", { "data-reason": x.reason }, [
        el("td", { text: fmtTime(x.time) }),
        el("td", { text: String(x.workerId) }),
        el("td", { className: x.planned ? "" : "bad", text: x.reason }),
        el("td", { text: x.planned ? "yes" : "no" }),
        el("td", { text: code }),
        el("td", { className: "muted", text: x.error || "" })
      ]));
    });
  }

  // a queue given to the admin (e.g. the BullMQ queue of mpms worker): its counts as the queue
  // reports them, this node's numbers and the jobs it runs
  var QUEUE_COUNTS = [["waiting", "waiting"], ["active", "active"], ["completed", "completed"], ["failed", "failed"],
    ["delayed", "delayed"], ["prioritized", "prioritized"]];
  var QUEUE_NODE = [["active", "in flight here"], ["concurrency", "concurrency"], ["completed", "completed here"],
    ["failed", "failed here"], ["handedBack", "handed back"], ["lockRenewalFailures", "lock renewal failures"], ["stalled", "stalled"]];
  function createQueueSection(name) {
    var kind = el("span", { className: "badge muted" });
    var info = el("span", { className: "muted" });
    var head = el("div", { className: "pool-head" }, [el("h2", { text: "queue " + name }), kind, info]);
    function row(keys) {
      var counters = {};
      var node = el("div", { className: "counters" });
      keys.forEach(function (k) { var c = counter(k[0], k[1]); counters[k[0]] = c; node.appendChild(c.node); });
      return { node: node, counters: counters };
    }
    var counts = row(QUEUE_COUNTS);
    counts.node.setAttribute("data-queue-counts", "");
    var here = row(QUEUE_NODE);
    here.node.setAttribute("data-queue-node", "");
    var jobsBody = el("tbody");
    var jobs = el("table", { "data-table": "jobs" }, [
      el("thead", null, [el("tr", null, ["job", "name", "attempt", "running for"].map(function (h, i) {
        return el("th", { className: i >= 2 ? "num" : "", text: h });
      }))]),
      jobsBody
    ]);
    var node = el("section", { className: "pool", "data-queue": name }, [head, el("h3", { text: "Jobs in the queue" }), counts.node,
      el("h3", { text: "This node" }), here.node, el("h3", { text: "Running here" }), jobs]);
    document.getElementById("queues").appendChild(node);
    return { node: node, kind: kind, info: info, counts: counts.counters, here: here.counters, jobsBody: jobsBody };
  }

  function renderQueues(queues) {
    queues.forEach(function (q) {
      var section = queueSections[q.queue] || (queueSections[q.queue] = createQueueSection(q.queue));
      section.kind.textContent = q.kind;
      var age = q.countsAt ? "counts of " + fmtTime(Date.parse(q.countsAt)) : "no counts yet";
      section.info.textContent = q.countsError ? age + " · " + q.countsError : age;
      section.info.className = q.countsError ? "warn" : "muted";
      QUEUE_COUNTS.forEach(function (k) {
        section.counts[k[0]].v.textContent = q.counts && typeof q.counts[k[0]] === "number" ? fmtInt(q.counts[k[0]]) : "-";
      });
      QUEUE_NODE.forEach(function (k) { section.here[k[0]].v.textContent = fmtInt(q.node[k[0]]); });
      var body = section.jobsBody;
      while (body.firstChild) body.removeChild(body.firstChild);
      if (q.jobs.length === 0) { body.appendChild(el("tr", null, [el("td", { colspan: "4", className: "empty", text: "none" })])); return; }
      q.jobs.forEach(function (j) {
        body.appendChild(el("tr", { "data-job": j.id }, [
          el("td", { text: j.id }),
          el("td", { text: j.name }),
          el("td", { className: "num", text: String(j.attempt) }),
          el("td", { className: "num", text: fmtAge(j.runningMs) })
        ]));
      });
      var more = (q.node.active || 0) - q.jobs.length;
      if (more > 0) body.appendChild(el("tr", null, [el("td", { colspan: "4", className: "muted", text: "+" + more + " more" })]));
    });
  }

  function render(stats, history) {
    controls = stats.controls;
    var status = document.getElementById("status");
    status.textContent = stats.ready ? "ready" : "not ready";
    status.className = "badge " + (stats.ready ? "ok" : "bad");
    status.title = stats.reasons.join("; ");
    document.getElementById("lag").textContent = "event-loop lag " + fmtSeconds(stats.eventLoopLag.last) + " (max " + fmtSeconds(stats.eventLoopLag.max) + ")";
    document.getElementById("updated").textContent = "updated " + fmtTime(Date.parse(stats.time));
    document.getElementById("shutdown").disabled = !controls || !stats.shutdown || !stats.shutdown.ready;
    renderQueues(stats.queues || []);
    Object.keys(stats.pools).forEach(function (name) {
      var p = stats.pools[name];
      var section = sections[name] || (sections[name] = createSection(name));
      section.state.textContent = p.state;
      section.state.className = "badge " + stateClass(p.state);
      section.info.textContent = p.adapter + " \u00b7 " + p.workers.filter(function (w) { return w.state === "ready"; }).length + " ready of " + p.size;
      // An elastic pool: its bounds, which are also the range resize() accepts.
      var elastic = p.minWorkers !== undefined && p.minWorkers < p.maxWorkers;
      section.bounds.textContent = elastic ? "\u00b7 elastic " + p.minWorkers + "\u2013" + p.maxWorkers + " workers" : "";
      section.bounds.setAttribute("data-bounds", elastic ? p.minWorkers + "-" + p.maxWorkers : "");
      section.size.min = String(elastic ? p.minWorkers : 1);
      section.size.max = String(elastic ? p.maxWorkers : 1024);
      if (document.activeElement !== section.size) section.size.value = String(p.size);
      section.resize.disabled = !controls;
      section.size.disabled = !controls;
      var points = (history && history.pools[name]) || [];
      var last = points.length > 0 ? points[points.length - 1] : null;
      var c = section.counters;
      c.submitted.v.textContent = fmtInt(p.submitted);
      c.completed.v.textContent = fmtInt(p.completed);
      c.failed.v.textContent = fmtInt(p.failed);
      c.cancelled.v.textContent = fmtInt(p.cancelled);
      c.queued.v.textContent = fmtInt(p.queued);
      c.running.v.textContent = fmtInt(p.running);
      c.throughput.v.textContent = last ? fmtRate(last.completed + last.failed) : "-";
      c.p95.v.textContent = last ? fmtSeconds(last.runP95) : "-";
      drawChart(section.charts.throughput, points, fmtRate);
      drawChart(section.charts.latency, points, fmtSeconds);
      drawChart(section.charts.queue, points, fmtInt);
      renderWorkers(section, name, p.workers);
      renderExits(section, p.recentExits);
    });
  }

  var timer = null;
  var inFlight = false;
  function getJson(path) {
    return fetch(path, { cache: "no-store" }).then(function (res) {
      if (!res.ok) throw new Error(path + ": HTTP " + res.status);
      return res.json();
    });
  }
  function poll() {
    if (inFlight) return;
    inFlight = true;
    clearTimeout(timer);
    Promise.all([getJson("stats"), getJson("history")]).then(function (r) {
      render(r[0], r[1]);
    }, function (error) {
      var status = document.getElementById("status");
      status.textContent = "unreachable";
      status.className = "badge bad";
      status.title = String(error);
    }).then(function () {
      inFlight = false;
      timer = setTimeout(poll, POLL_MS);
    });
  }
  poll();
})();
`;
