/**
 * The dashboard's browser code, served inline as a string: the Worker cannot compile TypeScript for
 * the browser at run time and the page must work without any other request. It signs in with a
 * token kept in sessionStorage (never in the URL), then polls the API every two seconds and draws
 * with DOM nodes and textContent only, so no configured value is ever parsed as HTML.
 */
export const DASHBOARD_SCRIPT = String.raw`
"use strict";
(() => {
  const API = "/__lb/api/v1";
  const TOKEN_KEY = "edge-lb.token";
  const REFRESH_MS = 2000;
  const SHARE_WINDOW_MS = 30000;
  const UNAVAILABLE = new Set([404, 405, 501]);
  const $ = (id) => document.getElementById(id);

  let timer = 0;
  let samples = [];
  let shares = new Map();

  class AuthError extends Error {}

  function el(tag, attrs, ...children) {
    const node = document.createElement(tag);
    for (const [key, value] of Object.entries(attrs || {})) {
      if (value === undefined || value === null || value === false) continue;
      if (key === "class") node.className = value;
      else node.setAttribute(key, String(value));
    }
    for (const child of children.flat()) {
      if (child === undefined || child === null) continue;
      node.append(typeof child === "string" || typeof child === "number" ? document.createTextNode(String(child)) : child);
    }
    return node;
  }

  const text = (value) => (value === undefined || value === null || value === "" ? "-" : String(value));
  const badge = (state) => el("span", { class: "badge " + state, "data-state": state }, state);

  function time(value) {
    const at = typeof value === "number" ? value : Date.parse(value);
    return Number.isFinite(at) ? new Date(at).toLocaleTimeString([], { hour12: false }) : "-";
  }

  async function request(path, token, accept) {
    let response;
    try {
      response = await fetch(path, {
        headers: { authorization: "Bearer " + token, accept: accept || "application/json" },
        cache: "no-store",
      });
    } catch (error) {
      return { ok: false, error: "cannot reach the API" };
    }
    if (response.status === 401) throw new AuthError("The token was not accepted.");
    const body = await response.text();
    let parsed = body;
    try {
      parsed = JSON.parse(body);
    } catch (error) {
      // Not JSON (the metrics text): keep the text as it is.
    }
    if (response.ok) return { ok: true, body: parsed };
    const detail = parsed && typeof parsed === "object" && parsed.detail ? parsed.detail : response.statusText;
    if (UNAVAILABLE.has(response.status)) return { ok: false, unavailable: true, error: "not available" };
    return { ok: false, error: response.status + " " + detail };
  }

  const api = (path, token) => request(API + path, token);

  function itemsOf(body, key) {
    if (Array.isArray(body)) return body;
    if (body && Array.isArray(body.items)) return body.items;
    if (body && key && Array.isArray(body[key])) return body[key];
    return [];
  }

  function notice(result) {
    return el("div", { class: result.unavailable ? "unavailable" : "unavailable error" }, result.unavailable ? "not available" : text(result.error));
  }

  // Requests per origin come from edge_lb_requests_total at /__lb/metrics (summed over load
  // balancers and status classes); the share shown is each origin's part of its pool's requests
  // over the last 30 seconds.
  function requestCounts(metrics) {
    const counts = new Map();
    if (typeof metrics !== "string") return counts;
    for (const line of metrics.split("\n")) {
      const match = /^([a-zA-Z_:][a-zA-Z0-9_:]*)\{([^}]*)\}\s+([0-9.eE+-]+)/.exec(line);
      if (!match || match[1] !== "edge_lb_requests_total") continue;
      const labels = {};
      for (const pair of match[2].matchAll(/([a-zA-Z_][a-zA-Z0-9_]*)="((?:[^"\\]|\\.)*)"/g)) labels[pair[1]] = pair[2];
      if (labels.pool === undefined || labels.origin === undefined) continue;
      const key = labels.pool + "\n" + labels.origin;
      counts.set(key, (counts.get(key) || 0) + Number(match[3]));
    }
    return counts;
  }

  // Shares cover a sliding window: the counters now against the oldest sample still inside it.
  function updateShares(counts) {
    const now = Date.now();
    samples.push({ at: now, counts });
    while (samples.length > 2 && samples[1].at <= now - SHARE_WINDOW_MS) samples.shift();
    const oldest = samples[0].counts;
    const deltas = new Map();
    const totals = new Map();
    for (const [key, value] of counts) {
      const delta = Math.max(0, value - (oldest.get(key) || 0));
      const pool = key.split("\n")[0];
      deltas.set(key, delta);
      totals.set(pool, (totals.get(pool) || 0) + delta);
    }
    const next = new Map();
    for (const [key, delta] of deltas) {
      const total = totals.get(key.split("\n")[0]);
      if (total > 0) next.set(key, delta / total);
    }
    shares = next;
  }

  function shareCell(pool, origin) {
    const value = shares.get(pool + "\n" + origin);
    if (value === undefined) return el("td", { class: "muted" }, "-");
    const fill = el("div", { class: "fill" });
    fill.style.width = Math.round(value * 100) + "%";
    return el("td", {}, el("div", { class: "share" }, el("div", { class: "bar" }, fill), el("span", { class: "pct" }, Math.round(value * 100) + "%")));
  }

  // Rules, hash split, pool override and mirror of a load balancer, one short line each (read-only).
  function trafficOf(lb) {
    if (!lb) return [];
    const lines = [];
    if (lb.steering === "hash") {
      const weights = lb.poolWeights || {};
      const split = (lb.pools || []).map((p) => p + " " + (p in weights ? weights[p] : 1)).join(" / ");
      lines.push("split on " + lb.splitOn + ": " + split);
    }
    if (lb.poolOverrideHeader) lines.push("override header " + lb.poolOverrideHeader);
    for (const rule of lb.rules || []) {
      const then = rule.then || {};
      const action = then.pools ? "pools " + then.pools.join(" → ") : then.respond ? "respond " + then.respond.status : then.redirect ? "redirect " + then.redirect.status + " " + then.redirect.location : "?";
      lines.push("rule " + rule.name + " [" + Object.keys(rule.when || {}).join(", ") + "] → " + action);
    }
    if (lb.mirror) lines.push("mirror " + lb.mirror.percent + "% of " + lb.mirror.methods.join("/") + " → " + lb.mirror.pool);
    return lines;
  }

  function renderLoadBalancers(status, configured) {
    const target = $("load-balancers");
    const byId = new Map(configured && configured.ok ? itemsOf(configured.body).map((lb) => [lb.id, lb]) : []);
    if (!status.ok) return target.replaceChildren(notice(status));
    const items = itemsOf(status.body, "loadBalancers");
    if (items.length === 0) return target.replaceChildren(el("div", { class: "empty" }, "No load balancers yet."));
    const rows = items.map((lb) => {
      const serving = lb.enabled === false ? null : lb.pool;
      const kind = lb.enabled === false ? "disabled" : !serving ? "none" : lb.via === "fallback" ? "draining" : "healthy";
      const label = lb.enabled === false ? "disabled" : !serving ? "no pool" : lb.via === "fallback" ? serving + " (fallback)" : serving;
      const state = el("span", { class: "badge " + kind, "data-serving": serving || "" }, label);
      const host = text(lb.hostname) + (lb.pathPrefix && lb.pathPrefix !== "/" ? lb.pathPrefix : "");
      const order = (Array.isArray(lb.pools) ? lb.pools.join(" → ") : "") + (lb.fallbackPool ? " · fallback " + lb.fallbackPool : "");
      return el(
        "tr",
        { "data-load-balancer": lb.id },
        el("td", {}, el("strong", {}, text(lb.id))),
        el("td", { class: "mono" }, host),
        el("td", {}, state),
        el("td", {}, text(lb.reason)),
        el("td", { class: "muted" }, order || "-"),
        el("td", { class: "muted", "data-traffic": lb.id }, ...trafficOf(byId.get(lb.id)).map((line) => el("div", {}, line))),
      );
    });
    const head = el("tr", {}, ["Load balancer", "Host", "Serving pool", "Why", "Pools in order", "Traffic"].map((h) => el("th", {}, h)));
    target.replaceChildren(el("table", {}, el("thead", {}, head), el("tbody", {}, rows)));
  }

  function renderPools(pools, health) {
    const target = $("pools");
    if (!pools.ok) return target.replaceChildren(el("div", { class: "panel" }, notice(pools)));
    const items = itemsOf(pools.body);
    if (items.length === 0) return target.replaceChildren(el("div", { class: "panel empty" }, "No pools yet."));
    target.replaceChildren(...items.map((pool) => renderPool(pool, health.get(pool.id))));
  }

  function renderPool(pool, result) {
    const origins = Array.isArray(pool.origins) ? pool.origins : [];
    const report = result && result.ok ? result.body : null;
    const byName = new Map(((report && report.origins) || []).map((o) => [o.name, o]));
    const overall = pool.enabled === false ? "disabled" : !report ? "unknown" : report.healthy ? "healthy" : "unhealthy";
    const count = report && report.healthyOrigins !== undefined ? report.healthyOrigins + "/" + origins.length + " healthy" : "";
    const head = el("div", { class: "pool-head" }, el("h3", {}, pool.id), badge(overall), el("span", { class: "meta" }, [text(pool.algorithm), count].filter(Boolean).join(" · ")));
    if (result && !result.ok) head.append(el("span", { class: "muted" }, "health " + result.error));
    const rows = origins.map((origin) => {
      const h = byName.get(origin.name) || {};
      const state = h.state || (report ? (h.healthy ? "healthy" : "unhealthy") : "unknown");
      return el(
        "tr",
        { "data-origin": origin.name, "data-state": state },
        el("td", {}, el("strong", {}, origin.name), origin.backup ? el("span", { class: "tag" }, "backup") : null),
        el("td", { class: "mono muted" }, text(origin.address)),
        el("td", {}, badge(state)),
        el("td", { class: "num" }, typeof h.latencyMs === "number" ? Math.round(h.latencyMs) + " ms" : "-"),
        el("td", { class: "num" }, text(h.inflight === undefined ? "-" : h.inflight)),
        el("td", { class: "num" }, text(origin.weight)),
        shareCell(pool.id, origin.name),
        el("td", { class: "error", title: h.lastError || "" }, h.lastError || ""),
      );
    });
    const header = el("tr", {}, [["Origin"], ["Address"], ["State"], ["Latency", "num"], ["In-flight", "num"], ["Weight", "num"], ["Share", "", "Share of the pool's requests over the last 30 s"], ["Last error"]].map(([h, c, title]) => el("th", { class: c, title }, h)));
    return el("div", { class: "panel", "data-pool": pool.id }, head, el("table", {}, el("thead", {}, header), el("tbody", {}, rows)));
  }

  // Bad news red, recoveries green, the rest (configuration changes) neutral.
  function eventClass(kind) {
    const name = String(kind || "");
    if (/unhealthy|down|eject|failover|unreachable|timeout/.test(name)) return "unhealthy";
    if (/healthy|up|returned|recover/.test(name)) return "healthy";
    return "";
  }

  function renderEvents(events) {
    const target = $("events");
    if (!events.ok) return target.replaceChildren(notice(events));
    const items = itemsOf(events.body, "events");
    if (items.length === 0) return target.replaceChildren(el("div", { class: "empty" }, "No events yet."));
    const rows = items.map((event) =>
      el(
        "li",
        { "data-kind": event.kind },
        el("span", { class: "muted mono", title: text(event.at || event.timestamp || event.time) }, time(event.at || event.timestamp || event.time)),
        el("span", {}, el("span", { class: "badge " + eventClass(event.kind) }, text(event.kind))),
        el("span", { class: "mono" }, text(event.subject)),
        el("span", {}, text(event.message)),
      ),
    );
    const missing = Array.isArray(events.body.unavailablePools) ? events.body.unavailablePools : [];
    const note = missing.length ? el("div", { class: "unavailable" }, "Events of " + missing.join(", ") + " could not be read just now.") : null;
    target.replaceChildren(...[note, el("ul", {}, rows)].filter(Boolean));
  }

  async function refresh() {
    const token = sessionStorage.getItem(TOKEN_KEY);
    if (!token) return showLogin("");
    if (document.hidden) {
      timer = setTimeout(refresh, REFRESH_MS);
      return;
    }
    try {
      const [status, pools, events, metrics, configured] = await Promise.all([
        api("/status", token),
        api("/pools", token),
        api("/events?limit=50", token),
        request("/__lb/metrics", token, "text/plain"),
        api("/load_balancers", token),
      ]);
      const health = new Map();
      const ids = pools.ok ? itemsOf(pools.body).map((p) => p.id) : [];
      for (let i = 0; i < ids.length; i += 6) {
        const batch = ids.slice(i, i + 6);
        const answers = await Promise.all(batch.map((id) => api("/pools/" + encodeURIComponent(id) + "/health", token)));
        batch.forEach((id, j) => health.set(id, answers[j]));
      }
      if (metrics.ok) updateShares(requestCounts(metrics.body));
      renderLoadBalancers(status, configured);
      renderPools(pools, health);
      renderEvents(events);
      const failed = [status, pools, events].find((r) => !r.ok && !r.unavailable);
      $("banner").hidden = !failed;
      $("banner").textContent = failed ? "Some data could not be loaded: " + failed.error : "";
      $("updated").textContent = "Updated " + time(Date.now());
    } catch (error) {
      if (error instanceof AuthError) {
        sessionStorage.removeItem(TOKEN_KEY);
        return showLogin("Your token is no longer accepted. Sign in again.");
      }
      $("banner").hidden = false;
      $("banner").textContent = "Refresh failed: " + error.message;
    }
    timer = setTimeout(refresh, REFRESH_MS);
  }

  function showLogin(message) {
    clearTimeout(timer);
    $("app").hidden = true;
    $("logout").hidden = true;
    $("login-form").hidden = false;
    $("login-error").textContent = message;
    $("token").focus();
  }

  function showApp() {
    $("login-form").hidden = true;
    $("app").hidden = false;
    $("logout").hidden = false;
    samples = [];
    shares = new Map();
    clearTimeout(timer);
    refresh();
  }

  async function signIn(event) {
    event.preventDefault();
    const token = $("token").value.trim();
    if (!token) return;
    $("login-error").textContent = "";
    try {
      const check = await api("/pools", token);
      if (!check.ok && !check.unavailable) {
        $("login-error").textContent = check.error;
        return;
      }
    } catch (error) {
      $("login-error").textContent = error.message;
      return;
    }
    sessionStorage.setItem(TOKEN_KEY, token);
    $("token").value = "";
    showApp();
  }

  $("login-form").addEventListener("submit", signIn);
  $("logout").addEventListener("click", () => {
    sessionStorage.removeItem(TOKEN_KEY);
    showLogin("");
  });
  document.addEventListener("visibilitychange", () => {
    if (!document.hidden && sessionStorage.getItem(TOKEN_KEY)) {
      clearTimeout(timer);
      refresh();
    }
  });
  if (sessionStorage.getItem(TOKEN_KEY)) showApp();
  else showLogin("");
})();
`;
