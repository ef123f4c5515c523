/** Styles of the dashboard's admin controls, confirmation dialog, notifications and history panels. */
export const ACTIONS_CSS = `
header .role { font-size: 12px; color: #b8c2d3; border: 1px solid #4a566c; border-radius: 999px; padding: 1px 8px; }
header .role:empty { display: none; }
button.act { padding: 2px 8px; font-size: 12px; font-weight: 600; background: #fff; color: var(--ink); border: 1px solid #c9d1dc; }
button.act:hover { border-color: var(--accent); color: var(--accent); }
.pool-head button.act { margin-left: 8px; }
td.actions { white-space: nowrap; }
td.actions button + button { margin-left: 6px; }
button.secondary { background: #fff; color: var(--ink); border: 1px solid #c9d1dc; }
dialog.confirm { max-width: 560px; border: 1px solid var(--line); border-radius: 8px; padding: 20px 24px; color: var(--ink); }
dialog.confirm::backdrop { background: rgba(20, 26, 38, 0.45); }
dialog.confirm h2 { font-size: 16px; text-transform: none; letter-spacing: 0; color: var(--ink); margin: 0 0 10px; }
dialog.confirm p { margin: 0 0 8px; }
dialog.confirm .warning { color: var(--warn); background: var(--warn-bg); padding: 6px 10px; border-radius: 6px; }
dialog.confirm .buttons { display: flex; justify-content: flex-end; gap: 10px; margin-top: 16px; }
.action-status { margin-bottom: 16px; padding: 10px 14px; border-radius: 8px; border: 1px solid var(--line); }
.action-status.ok { background: var(--ok-bg); color: var(--ok); }
.action-status.error { background: var(--bad-bg); color: var(--bad); }
.action-status.busy { background: var(--off-bg); color: var(--off); }
#notifications td.result .error { color: var(--bad); }
#history td:nth-child(4) { max-width: 560px; }
`;
