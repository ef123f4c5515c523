/**
 * The dashboard's browser entry point. It signs in with a token kept in sessionStorage (never in the
 * URL), then polls the API every two seconds (live state in one `/overview` read; events and metrics
 * every six) and draws with DOM nodes and textContent only.
 * Built into one script by scripts/build-dashboard.ts; the Worker serves it inline under a CSP nonce.
 */
import { AuthError, api, itemsOf, type Result, request } from "./api.ts";
import { byId, time } from "./dom.ts";
import { renderTrafficCharts, resetTrafficCharts } from "./history-view.ts";
import { renderOperations, resetOperations, setUpOperations } from "./operate.ts";
import { markStale, readOverview } from "./overview.ts";
import { type LoadBalancerStatus, renderEvents, renderLoadBalancers, renderPools } from "./render.ts";
import { requestCounts, ShareWindow } from "./shares.ts";

const TOKEN_KEY = "edge-lb.token";
const REFRESH_MS = 2000;
/**
 * Events and metrics each read every pool's PoolState, so they are read on a slower clock than the
 * live state (which `/overview` serves from the edge's snapshots): the counters behind the shares
 * arrive every 30 s anyway, and a transition shows in the pools' states at once.
 */
const SLOW_REFRESH_MS = 6000;

let slowReadAt = Number.NEGATIVE_INFINITY;
let events: Result | undefined;

let timer: ReturnType<typeof setTimeout> | undefined;
const shares = new ShareWindow();

function banner(message: string): void {
  const node = byId("banner");
  node.hidden = message === "";
  node.textContent = message;
}

async function refresh(): Promise<void> {
  const token = sessionStorage.getItem(TOKEN_KEY);
  if (!token) {
    showLogin("");
    return;
  }
  if (document.hidden) {
    timer = setTimeout(refresh, REFRESH_MS);
    return;
  }
  try {
    const slow = Date.now() - slowReadAt >= SLOW_REFRESH_MS;
    if (slow) slowReadAt = Date.now();
    const [{ status, pools, health, ids, configured, stale }, newEvents, metrics] = await Promise.all([
      readOverview(token),
      slow ? api("/events?limit=50", token) : undefined,
      slow ? request<string>("/__lb/metrics", token, { accept: "text/plain" }) : undefined,
    ]);
    if (metrics?.ok) shares.update(requestCounts(metrics.body));
    renderLoadBalancers(status, configured);
    renderPools(pools, health, shares);
    markStale(stale);
    if (newEvents) {
      events = newEvents;
      renderEvents(newEvents);
    }
    await renderOperations(token, pools);
    const lbIds = status.ok
      ? itemsOf<LoadBalancerStatus>(status.body, "loadBalancers").map((lb) => lb.id)
      : [];
    await renderTrafficCharts(token, lbIds, ids);
    const failed = [status, pools, events].find((r) => r !== undefined && !r.ok && !r.unavailable);
    banner(failed && !failed.ok ? `Some data could not be loaded: ${failed.error}` : "");
    byId("updated").textContent = `Updated ${time(Date.now())}`;
  } catch (error) {
    if (error instanceof AuthError) {
      sessionStorage.removeItem(TOKEN_KEY);
      showLogin("Your token is no longer accepted. Sign in again.");
      return;
    }
    banner(`Refresh failed: ${error instanceof Error ? error.message : String(error)}`);
  }
  clearTimeout(timer); // one pending refresh, also when an action asked for one meanwhile
  timer = setTimeout(refresh, REFRESH_MS);
}

function showLogin(message: string): void {
  clearTimeout(timer);
  byId("app").hidden = true;
  byId("logout").hidden = true;
  byId("login-form").hidden = false;
  byId("login-error").textContent = message;
  byId<HTMLInputElement>("token").focus();
}

function showApp(): void {
  byId("login-form").hidden = true;
  byId("app").hidden = false;
  byId("logout").hidden = false;
  shares.reset();
  slowReadAt = Number.NEGATIVE_INFINITY;
  events = undefined;
  resetTrafficCharts();
  resetOperations();
  clearTimeout(timer);
  void refresh();
}

async function signIn(event: SubmitEvent): Promise<void> {
  event.preventDefault();
  const input = byId<HTMLInputElement>("token");
  const token = input.value.trim();
  if (!token) return;
  byId("login-error").textContent = "";
  try {
    const check = await api("/pools", token);
    if (!check.ok && !check.unavailable) {
      byId("login-error").textContent = check.error;
      return;
    }
  } catch (error) {
    byId("login-error").textContent = error instanceof Error ? error.message : String(error);
    return;
  }
  sessionStorage.setItem(TOKEN_KEY, token);
  input.value = "";
  showApp();
}

byId<HTMLFormElement>("login-form").addEventListener("submit", (event) => void signIn(event));
byId("logout").addEventListener("click", () => {
  sessionStorage.removeItem(TOKEN_KEY);
  showLogin("");
});
document.addEventListener("visibilitychange", () => {
  if (!document.hidden && sessionStorage.getItem(TOKEN_KEY)) {
    clearTimeout(timer);
    void refresh();
  }
});
setUpOperations(
  () => sessionStorage.getItem(TOKEN_KEY),
  () => {
    clearTimeout(timer);
    void refresh();
  },
);
if (sessionStorage.getItem(TOKEN_KEY)) showApp();
else showLogin("");
