/**
 * What the dashboard adds to each refresh for operating, as opposed to watching: the token's role,
 * the admin controls on the pools panel, the configuration history with rollback, and the
 * notifications' delivery state. The history and notifications are read every few seconds, not on
 * every refresh; a change made from the page reads them again at once.
 */

import { decoratePools, setUpActions } from "./actions.ts";
import { itemsOf, type Result } from "./api.ts";
import { byId } from "./dom.ts";
import { renderHistory, setUpHistory } from "./history.ts";
import { renderNotifications } from "./notifications.ts";
import type { PoolView } from "./render.ts";
import { forgetRole, roleOf } from "./role.ts";

/** The history and notifications panels are read at most this often. */
const SLOW_PANELS_MS = 6000;

let slowReadAt = 0;

/**
 * Wires the action buttons once.
 * @param token the signed-in token, read when an action runs
 * @param redraw refreshes the page at once (after a change)
 */
export function setUpOperations(token: () => string | null, redraw: () => void): void {
  const changed = () => {
    slowReadAt = 0;
    redraw();
  };
  setUpActions({ token, changed });
  setUpHistory(token, changed);
  byId("logout").addEventListener("click", forgetRole);
}

/** After the pools panel was drawn: role label, admin controls, and the slower panels when due. */
export async function renderOperations(token: string, pools: Result): Promise<void> {
  const role = await roleOf(token);
  const admin = role === "admin";
  const label = byId("role");
  label.textContent = admin ? "admin" : "read-only";
  label.dataset.role = role;
  if (admin && pools.ok) decoratePools(itemsOf<PoolView>(pools.body));
  if (Date.now() - slowReadAt < SLOW_PANELS_MS) return;
  slowReadAt = Date.now();
  await Promise.all([renderHistory(token, admin), renderNotifications(token)]);
}

/** The next refresh reads the slower panels again (a new sign-in). */
export function resetOperations(): void {
  slowReadAt = 0;
  forgetRole();
}
