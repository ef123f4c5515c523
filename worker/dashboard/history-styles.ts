/** Styles of the charts over time (worker/dashboard/browser/history-view.ts), inlined after the page's own. */
export const HISTORY_CSS = `
.history-switch { display: flex; align-items: center; gap: 6px; margin-bottom: 10px; }
.history-switch button { padding: 3px 12px; background: var(--panel); color: var(--ink); border-color: #c9d1dc; font-weight: 500; }
.history-switch button.active { background: var(--accent); border-color: var(--accent); color: #fff; font-weight: 600; }
.lb-charts { display: grid; gap: 16px; }
.lb-history .charts { padding: 0 14px 12px; margin-top: 8px; }
.chart .u-over .chart-marker {
  position: absolute; top: 0; bottom: 0; width: 5px; border-left: 2px dashed #2f6fdf; cursor: help;
}
.chart .u-over .chart-idle {
  position: absolute; inset: 0; z-index: 1; display: flex; align-items: center; justify-content: center;
  pointer-events: none;
}
.chart-idle span { padding: 2px 8px; border-radius: 4px; background: rgba(255, 255, 255, 0.9); color: var(--muted); font-size: 12px; }
.chart .u-legend { font-size: 11px; }
.marker-key { display: inline-block; margin-right: 10px; padding-left: 8px; border-left: 3px solid; }
.marker-key.unhealthy { border-color: #b42318; }
.marker-key.ejected { border-color: #d9480f; }
.marker-key.healthy { border-color: #1a7f4b; }
.marker-key.failover { border-color: #7a4cc2; }
.marker-key.config { border-color: #2f6fdf; }
`;
