// fjord console: a small single-page app in vanilla JS (no build step, no CDN).
// Routes live in the URL fragment (#/topics/orders). Every DOM node is built with h(), which
// sets text with textContent, so cluster data (topic names, record values) can never inject
// markup. Changes send the session's CSRF token in X-CSRF-Token.
"use strict";

const state = { session: null, timer: null, page: null };
const REFRESH_MS = 5000;

// ---- helpers ---------------------------------------------------------------------------
function h(tag, attrs, ...children) {
  const el = document.createElement(tag);
  for (const [key, value] of Object.entries(attrs || {})) {
    if (value === null || value === undefined || value === false) continue;
    if (key.startsWith("on")) el.addEventListener(key.slice(2), value);
    else if (key === "class") el.className = value;
    else if (value === true) el.setAttribute(key, "");
    else el.setAttribute(key, String(value));
  }
  for (const child of children.flat()) {
    if (child === null || child === undefined || child === false) continue;
    el.append(child instanceof Node ? child : document.createTextNode(String(child)));
  }
  return el;
}
const $ = (sel, root) => (root || document).querySelector(sel);
const fmtUptime = (seconds) => {
  const s = Math.max(0, Math.floor(seconds));
  const d = Math.floor(s / 86400), hh = Math.floor((s % 86400) / 3600), m = Math.floor((s % 3600) / 60);
  return d > 0 ? `${d}d ${hh}h` : hh > 0 ? `${hh}h ${m}m` : m > 0 ? `${m}m ${s % 60}s` : `${s}s`;
};
const fmtBytes = (n) => (n === null || n === undefined ? "–" : n < 1024 ? `${n} B` : n < 1048576 ? `${(n / 1024).toFixed(1)} KiB`
  : n < 1073741824 ? `${(n / 1048576).toFixed(1)} MiB` : `${(n / 1073741824).toFixed(2)} GiB`);
const fmtNum = (n) => (n === null || n === undefined ? "–" : Number(n).toLocaleString());
const fmtMs = (ms) => { if (ms === null || ms === undefined) return "–"; const v = Number(ms); if (v < 0) return "forever";
  const hours = v / 3600000; return hours >= 24 ? `${(hours / 24).toFixed(hours % 24 ? 1 : 0)} d` : `${hours.toFixed(hours < 1 ? 2 : 0)} h`; };
const fmtTime = (ms) => (ms && ms > 0 ? new Date(ms).toLocaleString() : "–");
const isAdmin = () => state.session && state.session.role === "admin";
function statePill(s) {
  const cls = s === "Stable" ? "ok" : s === "Empty" ? "grey" : s === "Dead" ? "bad" : "warn";
  return h("span", { class: `pill ${cls}`, "data-test": "group-state" }, s || "?");
}
function toast(message, bad) {
  const el = $("#toast");
  el.textContent = message;
  el.className = `toast show${bad ? " bad" : ""}`;
  clearTimeout(el._timer);
  el._timer = setTimeout(() => (el.className = "toast"), 3500);
}
function card(label, value, small, test) {
  return h("div", { class: "card" }, h("div", { class: "label" }, label),
    h("div", { class: `value${small ? " small" : ""}`, "data-test": test }, value));
}
function table(headers, rows, emptyText) {
  if (!rows.length) return h("div", { class: "empty" }, emptyText || "Nothing here yet.");
  return h("table", {}, h("thead", {}, h("tr", {}, headers.map((x) => h("th", { class: x.endsWith("#") ? "num" : "" }, x.replace(/#$/, ""))))),
    h("tbody", {}, rows));
}
function parsePairs(text) {
  const out = {};
  for (const line of (text || "").split(/\n|,/)) {
    const trimmed = line.trim();
    if (!trimmed) continue;
    const i = trimmed.indexOf("=");
    if (i <= 0) throw new Error(`"${trimmed}" is not key=value`);
    out[trimmed.slice(0, i).trim()] = trimmed.slice(i + 1).trim();
  }
  return out;
}

async function api(method, path, body) {
  const headers = { Accept: "application/json" };
  if (body !== undefined) headers["Content-Type"] = "application/json";
  if (method !== "GET" && state.session) headers["X-CSRF-Token"] = state.session.csrf;
  const response = await fetch(path, { method, headers, body: body === undefined ? undefined : JSON.stringify(body), credentials: "same-origin" });
  if (response.status === 401 && path !== "/api/login") { showLogin(); throw new Error("Please sign in again."); }
  const text = await response.text();
  const data = text ? (() => { try { return JSON.parse(text); } catch (_) { return { error: text }; } })() : {};
  if (!response.ok) throw new Error(data.error || `${response.status} ${response.statusText}`);
  return data;
}
async function act(label, fn) {
  try { const out = await fn(); if (label) toast(label); return out; } catch (error) { toast(error.message, true); return undefined; }
}

// ---- session ---------------------------------------------------------------------------
function showLogin() {
  state.session = null;
  clearInterval(state.timer);
  $("#app-view").hidden = true;
  $("#login-view").hidden = false;
  $("#login-user").focus();
}
function showApp() {
  $("#login-view").hidden = true;
  $("#app-view").hidden = false;
  $("#whoami").textContent = `${state.session.user} · ${state.session.role}`;
  route();
}
async function boot() {
  $("#login-form").addEventListener("submit", async (event) => {
    event.preventDefault();
    $("#login-error").textContent = "";
    try {
      state.session = await api("POST", "/api/login", { username: $("#login-user").value, password: $("#login-password").value });
      $("#login-password").value = "";
      showApp();
    } catch (error) { $("#login-error").textContent = error.message; }
  });
  $("#logout").addEventListener("click", async () => { await act(null, () => api("POST", "/api/logout")); showLogin(); });
  $("#menu-toggle").addEventListener("click", () => $("#sidebar").classList.toggle("open"));
  window.addEventListener("hashchange", () => { $("#sidebar").classList.remove("open"); if (state.session) route(); });
  window.addEventListener("resize", () => state.page && state.page.redraw && state.page.redraw());
  try { state.session = await api("GET", "/api/session"); showApp(); } catch (_) { showLogin(); }
}

// ---- router ----------------------------------------------------------------------------
function route() {
  const [path, query] = (location.hash.slice(1) || "/overview").split("?");
  const parts = path.split("/").filter(Boolean).map(decodeURIComponent);
  const params = new URLSearchParams(query || "");
  const name = parts[0] || "overview";
  for (const link of document.querySelectorAll("[data-nav]")) link.classList.toggle("active", link.dataset.nav === name);
  const factory = { overview: overviewPage, topics: parts[1] ? topicPage : topicsPage, messages: messagesPage,
    groups: parts[1] ? groupPage : groupsPage, alerts: alertsPage, users: usersPage }[name] || overviewPage;
  clearInterval(state.timer);
  const root = $("#page");
  root.replaceChildren();
  state.page = factory(root, parts.slice(1), params);
  if (state.page.refresh) {
    state.page.refresh();
    state.timer = setInterval(() => state.page.refresh(), REFRESH_MS);
  }
}

// ---- overview --------------------------------------------------------------------------
function overviewPage(root) {
  const cards = h("div", { class: "cards" });
  const brokers = h("div");
  const msgCanvas = h("canvas", { class: "chart", id: "chart-messages" });
  const bytesCanvas = h("canvas", { class: "chart", id: "chart-bytes" });
  const bytesNote = h("span", { class: "muted" });
  root.append(h("h1", {}, "Overview"), cards,
    h("div", { class: "grid2" },
      h("div", { class: "panel" }, h("div", { class: "chart-title" }, h("h2", {}, "Messages in / s"), h("span", { class: "muted" }, "last hour")), msgCanvas),
      h("div", { class: "panel" }, h("div", { class: "chart-title" }, h("h2", {}, "Bytes in / out per second"), bytesNote), bytesCanvas)),
    h("div", { class: "panel" }, h("h2", {}, "Brokers"), brokers));
  let charts = null;
  const redraw = () => {
    if (!charts) return;
    drawChart(msgCanvas, [{ name: "messages/s", points: charts.messages_in }], { unit: "msg/s" });
    const bytes = [{ name: "in", points: charts.bytes_in }];
    if (charts.bytes_source === "metrics") bytes.push({ name: "out", points: charts.bytes_out });
    drawChart(bytesCanvas, bytes, { unit: "B/s" });
    bytesNote.textContent = charts.bytes_source === "metrics" ? "from broker metrics" : "in = log growth (DescribeLogDirs); out needs broker metrics";
  };
  return {
    redraw,
    async refresh() {
      const [o, c] = await Promise.all([act(null, () => api("GET", "/api/overview")), act(null, () => api("GET", "/api/charts"))]);
      if (o) {
        $("#cluster-name").textContent = `${o.cluster_id || ""} · ${o.bootstrap}`;
        cards.replaceChildren(
          card("Cluster id", o.cluster_id || "–", true, "cluster-id"),
          card("Controller", o.controller_id, false, "controller"),
          card("Brokers", o.brokers.length, false, "broker-count"),
          card("Topics", o.topic_count, false, "topic-count"),
          card("Partitions", o.partition_count, false, "partition-count"),
          card("Under-replicated", o.under_replicated_partitions, false, "urp"),
          card("Messages in / s", o.messages_in_per_sec === null ? "–" : formatNumber(o.messages_in_per_sec), false, "msg-rate"),
          card("Log size", fmtBytes(o.log_bytes), false, "log-size"),
          card("Disk used", o.disk_used_percent === null ? "–" : `${o.disk_used_percent.toFixed(1)}%`, false, "disk"));
        const rows = o.brokers.map((b) => h("tr", {}, h("td", {}, b.id, b.controller ? h("span", { class: "pill" }, " controller") : ""),
          h("td", { class: "mono" }, `${b.host}:${b.port}`), h("td", {}, b.rack || "–"),
          h("td", { class: "mono" }, b.version || "–"), h("td", {}, b.uptime_seconds == null ? "–" : fmtUptime(b.uptime_seconds)),
          h("td", {}, h("span", { class: "pill ok" }, "up"))));
        for (const id of o.brokers_missing) rows.push(h("tr", {}, h("td", {}, id), h("td", {}, "–"), h("td", {}, "–"), h("td", {}, "–"), h("td", {}, "–"), h("td", {}, h("span", { class: "pill bad" }, "down"))));
        brokers.replaceChildren(table(["Id", "Address", "Rack", "Version", "Uptime", "Status"], rows));
      }
      if (c) { charts = c; redraw(); }
    },
  };
}

// ---- topics ----------------------------------------------------------------------------
function topicsPage(root) {
  const search = h("input", { id: "topic-search", type: "search", placeholder: "Search topics…", class: "grow" });
  const internal = h("input", { type: "checkbox", id: "show-internal" });
  const list = h("div", { id: "topic-list" });
  let topics = [];
  const render = () => {
    const needle = search.value.trim().toLowerCase();
    const rows = topics.filter((t) => (internal.checked || !t.internal) && t.name.toLowerCase().includes(needle)).map((t) =>
      h("tr", { "data-topic": t.name },
        h("td", {}, h("a", { href: `#/topics/${encodeURIComponent(t.name)}` }, t.name), t.internal ? h("span", { class: "pill grey" }, "internal") : ""),
        h("td", { class: "num" }, t.partitions), h("td", { class: "num" }, t.replication_factor),
        h("td", { class: "num" }, t.under_replicated ? h("span", { class: "pill bad" }, t.under_replicated) : "0"),
        h("td", { class: "num" }, fmtBytes(t.size_bytes)), h("td", { class: "num" }, fmtMs(t.retention_ms))));
    list.replaceChildren(table(["Topic", "Partitions#", "Replication#", "Under-replicated#", "Size#", "Retention#"], rows, "No topics match."));
  };
  search.addEventListener("input", render);
  internal.addEventListener("change", render);
  const form = h("form", { id: "create-topic-form", class: "panel" },
    h("h2", {}, "Create topic"),
    h("div", { class: "form-row" },
      h("label", {}, "Name", h("input", { id: "new-topic-name", required: true, placeholder: "orders" })),
      h("label", {}, "Partitions", h("input", { id: "new-topic-partitions", type: "number", min: 1, value: 3 })),
      h("label", {}, "Replication factor", h("input", { id: "new-topic-rf", type: "number", min: 1, value: 1 })),
      h("label", {}, "Configs (key=value, comma separated)", h("input", { id: "new-topic-configs", placeholder: "retention.ms=86400000" })),
      h("button", { id: "create-topic", class: "primary", type: "submit" }, "Create")));
  form.addEventListener("submit", async (event) => {
    event.preventDefault();
    const done = await act("Topic created", async () => api("POST", "/api/topics", {
      name: $("#new-topic-name").value.trim(), partitions: Number($("#new-topic-partitions").value),
      replication_factor: Number($("#new-topic-rf").value), configs: parsePairs($("#new-topic-configs").value) }));
    if (done) { $("#new-topic-name").value = ""; page.refresh(); }
  });
  root.append(h("h1", {}, "Topics"), isAdmin() ? form : "",
    h("div", { class: "panel" }, h("div", { class: "toolbar" }, search, h("label", { class: "inline" }, h("span", {}, internal, " internal topics"))), list));
  const page = { async refresh() { const data = await act(null, () => api("GET", "/api/topics")); if (data) { topics = data.topics; render(); } } };
  return page;
}

function confirmDialog(title, expected) {
  return new Promise((resolve) => {
    const input = h("input", { id: "confirm-input", placeholder: expected });
    const ok = h("button", { id: "confirm-ok", class: "danger", disabled: true }, "Delete");
    const dialog = h("dialog", {}, h("h2", {}, title), h("p", { class: "muted" }, `Type "${expected}" to confirm. This cannot be undone.`), input,
      h("div", { class: "dialog-actions" }, h("button", { onclick: () => { dialog.close(); resolve(false); } }, "Cancel"), ok));
    input.addEventListener("input", () => (ok.disabled = input.value !== expected));
    ok.addEventListener("click", () => { dialog.close(); resolve(true); });
    dialog.addEventListener("close", () => dialog.remove());
    document.body.append(dialog);
    dialog.showModal();
  });
}

function topicPage(root, parts) {
  const name = parts[0];
  const cards = h("div", { class: "cards" });
  const partitions = h("div");
  const configs = h("div");
  const canvas = h("canvas", { class: "chart", id: "chart-topic" });
  const admin = isAdmin();
  const actions = h("div", { class: "panel" }, h("h2", {}, "Change"),
    h("div", { class: "form-row" },
      h("label", {}, "Total partitions", h("input", { id: "partition-count", type: "number", min: 1 })),
      h("button", { id: "add-partitions", onclick: async () => {
        if (await act("Partitions added", () => api("POST", `/api/topics/${encodeURIComponent(name)}/partitions`, { count: Number($("#partition-count").value) }))) page.refresh();
      } }, "Add partitions")),
    h("div", { class: "form-row" },
      h("label", {}, "Config key", h("input", { id: "config-key", placeholder: "retention.ms" })),
      h("label", {}, "Value (empty = reset to default)", h("input", { id: "config-value" })),
      h("button", { id: "set-config", onclick: async () => {
        const key = $("#config-key").value.trim(); const value = $("#config-value").value;
        const body = value === "" ? { delete: [key] } : { set: { [key]: value } };
        if (await act("Config updated", () => api("POST", `/api/topics/${encodeURIComponent(name)}/configs`, body))) page.refresh();
      } }, "Apply")),
    h("div", { class: "form-row" }, h("button", { id: "delete-topic", class: "danger", onclick: async () => {
      if (!(await confirmDialog(`Delete topic ${name}?`, name))) return;
      if (await act("Topic deleted", () => api("DELETE", `/api/topics/${encodeURIComponent(name)}`))) location.hash = "#/topics";
    } }, "Delete topic…")));
  root.append(h("h1", {}, h("a", { href: "#/topics" }, "Topics"), " / ", name), cards,
    h("div", { class: "panel" }, h("div", { class: "chart-title" }, h("h2", {}, "Messages in / s"),
      h("a", { href: `#/messages?topic=${encodeURIComponent(name)}`, id: "browse-link" }, "Browse messages →")), canvas),
    h("div", { class: "panel" }, h("h2", {}, "Partitions"), partitions),
    admin ? actions : "",
    h("div", { class: "panel" }, h("h2", {}, "Configs (overrides first)"), configs));
  let points = [];
  const page = {
    redraw: () => drawChart(canvas, [{ name, points }], { unit: "msg/s" }),
    async refresh() {
      const [t, c] = await Promise.all([act(null, () => api("GET", `/api/topics/${encodeURIComponent(name)}`)), act(null, () => api("GET", "/api/charts"))]);
      if (c) { points = c.topics[name] || []; page.redraw(); }
      if (!t) return;
      const total = t.partitions.reduce((sum, p) => sum + Math.max(0, (p.end_offset || 0) - (p.start_offset || 0)), 0);
      cards.replaceChildren(card("Topic id", t.topic_id, true), card("Partitions", t.partitions.length, false, "topic-partitions"),
        card("Messages", fmtNum(total), false, "topic-messages"),
        card("Size", fmtBytes(t.partitions.reduce((s, p) => s + (p.size_bytes || 0), 0))));
      const count = $("#partition-count");
      if (count && !count.value) count.value = t.partitions.length + 1;
      partitions.replaceChildren(table(["Partition#", "Leader#", "Replicas", "ISR", "Start offset#", "End offset#", "Size#"],
        t.partitions.map((p) => h("tr", {}, h("td", { class: "num" }, p.partition), h("td", { class: "num" }, p.leader ?? "none"),
          h("td", {}, p.replicas.join(", ")), h("td", {}, p.isr.length < p.replicas.length ? h("span", { class: "pill bad" }, p.isr.join(", ") || "empty") : p.isr.join(", ")),
          h("td", { class: "num" }, fmtNum(p.start_offset)), h("td", { class: "num" }, fmtNum(p.end_offset)), h("td", { class: "num" }, fmtBytes(p.size_bytes))))));
      const sorted = [...t.configs].sort((a, b) => Number(a.default) - Number(b.default) || a.name.localeCompare(b.name));
      configs.replaceChildren(table(["Key", "Value", "Source"], sorted.map((c2) => h("tr", { "data-config": c2.name },
        h("td", { class: "mono" }, c2.name), h("td", { class: "mono" }, c2.sensitive ? "••••" : c2.value ?? "null"),
        h("td", {}, c2.default ? h("span", { class: "pill grey" }, "default") : h("span", { class: "pill" }, "override"))))));
    },
  };
  return page;
}

// ---- messages --------------------------------------------------------------------------
function messagesPage(root, parts, params) {
  const topic = h("select", { id: "msg-topic" });
  const partition = h("input", { id: "msg-partition", type: "number", min: 0, value: 0 });
  const mode = h("select", { id: "msg-mode" }, h("option", { value: "newest" }, "Newest N"), h("option", { value: "offset" }, "From offset"), h("option", { value: "timestamp" }, "From time"));
  const offset = h("input", { id: "msg-offset", type: "number", min: 0, value: 0 });
  const time = h("input", { id: "msg-time", type: "datetime-local" });
  const limit = h("input", { id: "msg-limit", type: "number", min: 1, max: 500, value: 50 });
  const format = h("select", { id: "msg-format" }, h("option", { value: "text" }, "Text"), h("option", { value: "json" }, "JSON"), h("option", { value: "hex" }, "Hex"));
  const filter = h("input", { id: "msg-filter", placeholder: "substring of key or value" });
  const results = h("div", { id: "msg-results" });
  const summary = h("p", { class: "muted", id: "msg-summary" });
  const read = async () => {
    if (!topic.value) return;
    const q = new URLSearchParams({ partition: partition.value || 0, mode: mode.value, limit: limit.value || 50, format: format.value });
    if (mode.value === "offset") q.set("offset", offset.value || 0);
    if (mode.value === "timestamp") q.set("timestamp", time.value ? new Date(time.value).getTime() : 0);
    if (filter.value) q.set("filter", filter.value);
    const data = await act(null, () => api("GET", `/api/topics/${encodeURIComponent(topic.value)}/messages?${q}`));
    if (!data) return;
    summary.textContent = `${data.records.length} records from offset ${data.from_offset} (end offset ${data.end_offset})`;
    results.replaceChildren(...(data.records.length ? data.records.map((r) => h("div", { class: "record", "data-offset": r.offset },
      h("div", { class: "meta" }, h("span", {}, `offset ${r.offset}`), h("span", {}, fmtTime(r.timestamp)), h("span", {}, `key: ${r.key ?? "null"}`),
        ...r.headers.map((x) => h("span", { class: "pill grey" }, `${x.key}=${x.value ?? "null"}`))),
      h("pre", { class: "record-value" }, r.value ?? "null"))) : [h("div", { class: "empty" }, "No records.")]));
  };
  const produce = h("form", { class: "panel", id: "produce-form" }, h("h2", {}, "Produce a test message"),
    h("div", { class: "form-row" },
      h("label", {}, "Key", h("input", { id: "produce-key" })),
      h("label", {}, "Partition (empty = partitioner)", h("input", { id: "produce-partition", type: "number", min: 0 })),
      h("label", {}, "Headers (key=value, comma separated)", h("input", { id: "produce-headers" }))),
    h("label", {}, "Value", h("textarea", { id: "produce-value" })),
    h("div", { class: "form-row" }, h("button", { id: "produce-send", class: "primary", type: "submit" }, "Send")));
  produce.addEventListener("submit", async (event) => {
    event.preventDefault();
    const p = $("#produce-partition").value;
    const body = { key: $("#produce-key").value || null, value: $("#produce-value").value, partition: p === "" ? null : Number(p),
      headers: Object.entries(parsePairs($("#produce-headers").value)).map(([key, value]) => ({ key, value })) };
    const out = await act(null, () => api("POST", `/api/topics/${encodeURIComponent(topic.value)}/messages`, body));
    if (out) { toast(`Sent to partition ${out.partition} at offset ${out.offset}`); partition.value = out.partition; mode.value = "newest"; read(); }
  });
  root.append(h("h1", {}, "Message browser"),
    h("div", { class: "panel" }, h("div", { class: "toolbar" },
      h("label", { class: "grow" }, "Topic", topic), h("label", {}, "Partition", partition), h("label", {}, "Read", mode),
      h("label", {}, "Offset", offset), h("label", {}, "Time", time), h("label", {}, "Limit", limit), h("label", {}, "Show as", format),
      h("label", { class: "grow" }, "Filter", filter), h("button", { id: "msg-read", class: "primary", onclick: read }, "Read")), summary, results),
    isAdmin() ? produce : "");
  act(null, () => api("GET", "/api/topics")).then((data) => {
    if (!data) return;
    topic.replaceChildren(...data.topics.filter((t) => !t.internal).map((t) => h("option", { value: t.name }, t.name)));
    if (params.get("topic")) topic.value = params.get("topic");
    read();
  });
  return {};
}

// ---- groups ----------------------------------------------------------------------------
function groupsPage(root) {
  const list = h("div", { id: "group-list" });
  const canvas = h("canvas", { class: "chart", id: "chart-lag" });
  let charts = null;
  root.append(h("h1", {}, "Consumer groups"),
    h("div", { class: "panel" }, h("div", { class: "chart-title" }, h("h2", {}, "Lag over time"), h("span", { class: "muted" }, "messages behind, last hour")), canvas),
    h("div", { class: "panel" }, list));
  const page = {
    redraw: () => charts && drawChart(canvas, Object.entries(charts.groups).map(([name, points]) => ({ name, points })), { empty: "No groups sampled yet." }),
    async refresh() {
      const [g, c] = await Promise.all([act(null, () => api("GET", "/api/groups")), act(null, () => api("GET", "/api/charts"))]);
      if (c) { charts = c; page.redraw(); }
      if (!g) return;
      list.replaceChildren(table(["Group", "State", "Total lag#", "Topics", "Partitions#"], g.groups.map((x) => h("tr", { "data-group": x.group_id },
        h("td", {}, h("a", { href: `#/groups/${encodeURIComponent(x.group_id)}` }, x.group_id)), h("td", {}, statePill(x.state)),
        h("td", { class: "num", "data-test": "group-lag" }, fmtNum(x.total_lag)), h("td", {}, x.topics.join(", ")), h("td", { class: "num" }, x.partitions))), "No consumer groups."));
    },
  };
  return page;
}

function groupPage(root, parts) {
  const id = parts[0];
  const cards = h("div", { class: "cards" });
  const members = h("div");
  const partitions = h("div");
  const canvas = h("canvas", { class: "chart", id: "chart-group-lag" });
  const resetTo = h("select", { id: "reset-to" }, h("option", { value: "earliest" }, "Earliest"), h("option", { value: "latest" }, "Latest"), h("option", { value: "timestamp" }, "Timestamp"));
  const resetTime = h("input", { id: "reset-time", type: "datetime-local" });
  const resetTopic = h("input", { id: "reset-topic", placeholder: "all committed topics" });
  const resetButton = h("button", { id: "reset-submit", class: "danger", onclick: async () => {
    const body = { to: resetTo.value, topic: resetTopic.value.trim() || null };
    if (resetTo.value === "timestamp") body.timestamp = resetTime.value ? new Date(resetTime.value).getTime() : 0;
    if (await act("Offsets reset", () => api("POST", `/api/groups/${encodeURIComponent(id)}/reset`, body))) page.refresh();
  } }, "Reset offsets");
  const resetNote = h("p", { class: "muted" });
  let history = [];
  root.append(h("h1", {}, h("a", { href: "#/groups" }, "Consumer groups"), " / ", id), cards,
    h("div", { class: "panel" }, h("h2", {}, "Lag over time"), canvas),
    h("div", { class: "panel" }, h("h2", {}, "Partitions"), partitions),
    h("div", { class: "panel" }, h("h2", {}, "Members"), members),
    isAdmin() ? h("div", { class: "panel" }, h("h2", {}, "Reset offsets"), resetNote,
      h("div", { class: "form-row" }, h("label", {}, "To", resetTo), h("label", {}, "Time", resetTime), h("label", {}, "Topic", resetTopic), resetButton)) : "");
  const page = {
    redraw: () => drawChart(canvas, [{ name: "total lag", points: history }], {}),
    async refresh() {
      const g = await act(null, () => api("GET", `/api/groups/${encodeURIComponent(id)}`));
      if (!g) return;
      history = g.lag_history || [];
      page.redraw();
      cards.replaceChildren(h("div", { class: "card" }, h("div", { class: "label" }, "State"), h("div", { class: "value" }, statePill(g.state))),
        card("Total lag", fmtNum(g.total_lag), false, "total-lag"), card("Members", g.members.length), card("Assignor", g.assignor || "–", true),
        card("Coordinator", `${g.coordinator.id} (${g.coordinator.host}:${g.coordinator.port})`, true));
      partitions.replaceChildren(table(["Topic", "Partition#", "Committed#", "End offset#", "Lag#", "Member"], g.partitions.map((p) => h("tr", {},
        h("td", {}, p.topic), h("td", { class: "num" }, p.partition), h("td", { class: "num" }, fmtNum(p.committed)), h("td", { class: "num" }, fmtNum(p.end_offset)),
        h("td", { class: "num" }, fmtNum(p.lag)), h("td", { class: "mono" }, p.member || "–")))));
      members.replaceChildren(table(["Member", "Client id", "Host", "Assignment"], g.members.map((m) => h("tr", {},
        h("td", { class: "mono" }, m.member_id), h("td", {}, m.client_id), h("td", {}, m.host), h("td", {}, m.assignment.join(", ")))), "No active members."));
      const inactive = g.state === "Empty" || g.state === "Dead";
      resetButton.disabled = !inactive;
      resetNote.textContent = inactive ? "The group has no active members; its offsets can be reset." : `Offsets can only be reset while the group is empty (now ${g.state}). Stop its consumers first.`;
    },
  };
  return page;
}

// ---- alerts ----------------------------------------------------------------------------
function alertsPage(root) {
  const rules = h("div", { id: "rule-list" });
  const history = h("div", { id: "alert-history" });
  const kind = h("select", { id: "rule-kind" }, h("option", { value: "group_lag" }, "Consumer group lag above N"), h("option", { value: "broker_down" }, "Broker down"),
    h("option", { value: "under_replicated" }, "Under-replicated partitions"), h("option", { value: "disk_usage" }, "Disk usage above %"));
  const form = h("form", { class: "panel", id: "rule-form" }, h("h2", {}, "New alert rule"),
    h("div", { class: "form-row" },
      h("label", {}, "Name", h("input", { id: "rule-name", required: true, placeholder: "orders lag" })), h("label", {}, "When", kind),
      h("label", {}, "Group", h("input", { id: "rule-group" })), h("label", {}, "Lag threshold", h("input", { id: "rule-threshold", type: "number", value: 1000 })),
      h("label", {}, "Disk %", h("input", { id: "rule-percent", type: "number", value: 85 })),
      h("label", {}, "For (seconds)", h("input", { id: "rule-for", type: "number", min: 0, value: 60 }))),
    h("div", { class: "form-row" }, h("label", {}, "Webhook URL (http://, optional)", h("input", { id: "rule-webhook", placeholder: "http://alerts.internal:9000/hook" })),
      h("button", { id: "rule-create", class: "primary", type: "submit" }, "Add rule")));
  form.addEventListener("submit", async (event) => {
    event.preventDefault();
    const condition = { kind: kind.value };
    if (kind.value === "group_lag") { condition.group = $("#rule-group").value.trim(); condition.threshold = Number($("#rule-threshold").value); }
    if (kind.value === "disk_usage") condition.percent = Number($("#rule-percent").value);
    const body = { name: $("#rule-name").value.trim(), condition, for_seconds: Number($("#rule-for").value), webhook_url: $("#rule-webhook").value.trim() || null };
    if (await act("Rule added", () => api("POST", "/api/alerts/rules", body))) page.refresh();
  });
  const describe = (c) => c.kind === "group_lag" ? `lag of ${c.group} > ${fmtNum(c.threshold)}` : c.kind === "disk_usage" ? `disk > ${c.percent}%`
    : c.kind === "broker_down" ? "a broker is down" : "under-replicated partitions";
  root.append(h("h1", {}, "Alerts"), isAdmin() ? form : "", h("div", { class: "panel" }, h("h2", {}, "Rules"), rules), h("div", { class: "panel" }, h("h2", {}, "History"), history));
  const page = {
    async refresh() {
      const data = await act(null, () => api("GET", "/api/alerts"));
      if (!data) return;
      rules.replaceChildren(table(["Rule", "Condition", "For", "State", "Observed", "Webhook", ""], data.rules.map((r) => h("tr", { "data-rule": r.rule.name },
        h("td", {}, r.rule.name), h("td", {}, describe(r.rule.condition)), h("td", {}, `${r.rule.for_seconds}s`),
        h("td", {}, h("span", { class: `pill ${r.firing ? "bad" : r.pending ? "warn" : "ok"}`, "data-test": "rule-state" }, r.firing ? "firing" : r.pending ? "pending" : "ok")),
        h("td", { class: "muted" }, r.message || "–"), h("td", { class: "mono" }, r.rule.webhook_url || "–"),
        h("td", {}, isAdmin() ? h("button", { class: "ghost", onclick: async () => { if (await act("Rule deleted", () => api("DELETE", `/api/alerts/rules/${r.rule.id}`))) page.refresh(); } }, "Delete") : ""))), "No rules yet."));
      history.replaceChildren(table(["Time", "Rule", "State", "Message", "Webhook"], data.history.map((e) => h("tr", {},
        h("td", {}, fmtTime(e.at_ms)), h("td", {}, e.rule_name), h("td", {}, h("span", { class: `pill ${e.state === "firing" ? "bad" : "ok"}` }, e.state)),
        h("td", {}, e.message), h("td", { class: "muted" }, e.webhook || "–"))), "No alerts have fired."));
    },
  };
  return page;
}

// ---- users -----------------------------------------------------------------------------
function usersPage(root) {
  const list = h("div");
  const form = h("form", { class: "panel", id: "user-form" }, h("h2", {}, "Add or replace a user"),
    h("div", { class: "form-row" }, h("label", {}, "Name", h("input", { id: "user-name", required: true })),
      h("label", {}, "Password (8+ characters)", h("input", { id: "user-password", type: "password", required: true, minlength: 8, autocomplete: "new-password" })),
      h("label", {}, "Role", h("select", { id: "user-role" }, h("option", { value: "viewer" }, "viewer (read only)"), h("option", { value: "admin" }, "admin"))),
      h("button", { id: "user-create", class: "primary", type: "submit" }, "Save")));
  form.addEventListener("submit", async (event) => {
    event.preventDefault();
    const body = { name: $("#user-name").value.trim(), password: $("#user-password").value, role: $("#user-role").value };
    if (await act("User saved", () => api("POST", "/api/users", body))) { $("#user-password").value = ""; page.refresh(); }
  });
  root.append(h("h1", {}, "Users"), isAdmin() ? form : "", h("div", { class: "panel" }, list));
  const page = {
    async refresh() {
      const data = await act(null, () => api("GET", "/api/users"));
      if (!data) return;
      list.replaceChildren(table(["User", "Role", ""], data.users.map((u) => h("tr", {}, h("td", {}, u.name), h("td", {}, h("span", { class: "pill" }, u.role)),
        h("td", {}, isAdmin() && u.name !== state.session.user ? h("button", { class: "ghost", onclick: async () => {
          if (await act("User removed", () => api("DELETE", `/api/users/${encodeURIComponent(u.name)}`))) page.refresh(); } }, "Remove") : "")))));
    },
  };
  return page;
}

document.addEventListener("DOMContentLoaded", boot);
