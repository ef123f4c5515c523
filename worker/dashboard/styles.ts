/** The dashboard's stylesheet, inlined into the page (no external requests: the page works offline). */
export const DASHBOARD_CSS = `
:root {
  --bg: #f4f6f9; --panel: #ffffff; --ink: #1c2430; --muted: #5f6b7a; --line: #e2e7ee;
  --accent: #f38020; --ok: #1a7f4b; --ok-bg: #e3f5eb; --bad: #b42318; --bad-bg: #fde8e6;
  --warn: #8a5a00; --warn-bg: #fff3d6; --off: #5f6b7a; --off-bg: #eceff3;
  font-family: system-ui, -apple-system, "Segoe UI", Roboto, "Noto Sans", sans-serif;
  color: var(--ink); background: var(--bg);
}
* { box-sizing: border-box; }
body { margin: 0; font-size: 14px; line-height: 1.45; }
header {
  display: flex; align-items: center; gap: 16px; padding: 12px 24px; min-height: 58px;
  background: #1d2433; color: #fff;
}
header h1 { font-size: 17px; margin: 0; font-weight: 600; letter-spacing: 0.2px; }
header h1 span { color: var(--accent); }
header .spacer { flex: 1; }
header .updated { color: #b8c2d3; font-size: 12px; }
header button { background: transparent; color: #dfe5ef; border: 1px solid #4a566c; }
header button:hover { background: #2b3447; }
main { max-width: 1200px; margin: 0 auto; padding: 20px 24px 40px; }
section { margin-bottom: 24px; }
h2 { font-size: 13px; text-transform: uppercase; letter-spacing: 0.6px; color: var(--muted); margin: 0 0 8px; }
.panel { background: var(--panel); border: 1px solid var(--line); border-radius: 8px; overflow: hidden; }
.pools { display: grid; grid-template-columns: 1fr; gap: 16px; }
.pool-head { display: flex; align-items: center; gap: 10px; padding: 10px 14px; border-bottom: 1px solid var(--line); }
.pool-head h3 { margin: 0; font-size: 15px; }
.pool-head .meta { color: var(--muted); font-size: 12px; margin-left: auto; }
table { width: 100%; border-collapse: collapse; }
th, td { text-align: left; padding: 7px 14px; border-bottom: 1px solid var(--line); vertical-align: middle; }
th { white-space: nowrap; font-size: 11px; text-transform: uppercase; letter-spacing: 0.5px; color: var(--muted); font-weight: 600; background: #fafbfc; }
tr:last-child td { border-bottom: none; }
td.num, th.num { text-align: right; font-variant-numeric: tabular-nums; }
td.muted, .muted { color: var(--muted); }
td.error { color: var(--bad); max-width: 220px; overflow: hidden; text-overflow: ellipsis; white-space: nowrap; }
code, .mono { font-family: ui-monospace, "SF Mono", Menlo, Consolas, monospace; font-size: 12.5px; }
.badge {
  display: inline-block; padding: 1px 8px; border-radius: 999px; font-size: 12px; font-weight: 600;
  background: var(--off-bg); color: var(--off); white-space: nowrap;
}
.badge.healthy { background: var(--ok-bg); color: var(--ok); }
.badge.unhealthy, .badge.ejected, .badge.none { background: var(--bad-bg); color: var(--bad); }
.badge.draining { background: var(--warn-bg); color: var(--warn); }
.tag { margin-left: 6px; font-size: 11px; color: var(--muted); border: 1px solid var(--line); border-radius: 4px; padding: 0 4px; }
.share { display: flex; align-items: center; gap: 8px; min-width: 120px; }
.share .bar { flex: 1; height: 6px; background: var(--line); border-radius: 3px; overflow: hidden; }
.share .fill { height: 100%; background: var(--accent); width: 0; }
.share .pct { width: 40px; text-align: right; font-variant-numeric: tabular-nums; color: var(--muted); font-size: 12px; }
.events li { display: grid; grid-template-columns: 90px 130px 160px 1fr; gap: 12px; padding: 7px 14px; border-bottom: 1px solid var(--line); }
.events li:last-child { border-bottom: none; }
.events ul { list-style: none; margin: 0; padding: 0; max-height: 360px; overflow: auto; }
.unavailable, .empty { padding: 14px; color: var(--muted); font-style: italic; }
.banner { margin-bottom: 16px; padding: 10px 14px; border-radius: 8px; background: var(--bad-bg); color: var(--bad); border: 1px solid #f5c2bd; }
.banner[hidden] { display: none; }
button {
  font: inherit; padding: 6px 14px; border-radius: 6px; cursor: pointer;
  border: 1px solid var(--accent); background: var(--accent); color: #fff; font-weight: 600;
}
.login { max-width: 380px; margin: 12vh auto; padding: 28px; }
.login h2 { font-size: 18px; text-transform: none; letter-spacing: 0; color: var(--ink); margin-bottom: 6px; }
.login p { color: var(--muted); margin: 0 0 16px; }
.login label { display: block; font-weight: 600; margin-bottom: 6px; }
.login input { width: 100%; padding: 8px 10px; border: 1px solid #c9d1dc; border-radius: 6px; font: inherit; margin-bottom: 14px; }
.login .error { color: var(--bad); min-height: 1.4em; margin: 0 0 10px; }
[hidden] { display: none !important; }
.charts { display: flex; flex-wrap: wrap; gap: 12px; margin-top: 12px; }
.chart .u-title { font-size: 12px; font-weight: 600; }
.chart-events { flex-basis: 100%; font-size: 12px; }
`;
