/**
 * The dashboard's HTML: a sign-in form and the three panels (load balancers, pools, events) that
 * the script fills. Style and script are inlined under a per-response CSP nonce.
 */

import { ACTIONS_CSS } from "./actions-styles.ts";
import { CHART_CSS, DASHBOARD_SCRIPT } from "./bundle.generated.ts";
import { HISTORY_CSS } from "./history-styles.ts";
import { DASHBOARD_CSS } from "./styles.ts";

/** The complete page; `nonce` must be the one named in the response's Content-Security-Policy. */
export function dashboardHtml(nonce: string): string {
  return `<!doctype html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<meta name="referrer" content="no-referrer">
<title>Edge LB</title>
<style nonce="${nonce}">${CHART_CSS}${DASHBOARD_CSS}${ACTIONS_CSS}${HISTORY_CSS}</style>
</head>
<body>
<header>
  <h1>Edge <span>LB</span></h1>
  <div class="spacer"></div>
  <span class="updated" id="updated"></span>
  <span class="role" id="role"></span>
  <button type="button" id="logout" hidden>Sign out</button>
</header>
<main>
  <form id="login-form" class="panel login" method="post" autocomplete="off" hidden>
    <h2>Sign in</h2>
    <p>Paste the read token (READ_TOKEN) or the admin token. It stays in this tab only.</p>
    <label for="token">Token</label>
    <input id="token" type="password" spellcheck="false" autocomplete="off">
    <p class="error" id="login-error" role="alert"></p>
    <button type="submit">Sign in</button>
  </form>
  <div id="app" hidden>
    <div class="banner" id="banner" role="status" hidden></div>
    <section>
      <h2>Load balancers</h2>
      <div class="panel" id="load-balancers"></div>
    </section>
    <section class="history">
      <h2>Traffic over time</h2>
      <div class="history-switch" id="history-switch"></div>
      <div class="lb-charts" id="lb-charts"></div>
    </section>
    <section>
      <h2>Pools</h2>
      <div class="pools" id="pools"></div>
    </section>
    <section class="events">
      <h2>Recent events</h2>
      <div class="panel" id="events"></div>
    </section>
    <section>
      <h2>Notifications</h2>
      <div class="panel" id="notifications"></div>
    </section>
    <section>
      <h2>Configuration history</h2>
      <div class="panel" id="history"></div>
    </section>
  </div>
  <noscript>This dashboard needs JavaScript.</noscript>
</main>
<script nonce="${nonce}">${DASHBOARD_SCRIPT}</script>
</body>
</html>
`;
}
