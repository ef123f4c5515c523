/**
 * The notifications panel: each webhook (GET /notifications) with its last delivery attempt (when,
 * the receiver's status or the error, the outcome) and the events still waiting for a retry
 * (GET /notifications/{id}/deliveries). Read token and admin token alike. The receiver is shown by
 * its scheme and host only: a webhook URL's path often is a credential (Slack's are), and the
 * secret is never in an answer to begin with.
 */
import { API, api, itemsOf, request } from "./api.ts";
import { byId, el, text, time } from "./dom.ts";

/** A notification as GET /notifications lists it. */
export interface NotificationView {
  id: string;
  url?: string;
  events?: string[];
  format?: string;
  enabled?: boolean;
}

/** One delivery attempt. */
export interface AttemptView {
  eventId?: string;
  type?: string;
  at?: string;
  attempt?: number;
  status?: number | null;
  error?: string | null;
  outcome?: string;
}

/** An event still waiting for a successful delivery. */
export interface PendingView {
  eventId?: string;
  type?: string;
  attempts?: number;
  nextAttemptAt?: string;
}

/** Delivery reads in flight at once. */
const BATCH = 6;

/** Redraws the notifications panel. */
export async function renderNotifications(token: string): Promise<void> {
  const target = byId("notifications");
  const list = await api("/notifications", token);
  if (!list.ok) {
    target.replaceChildren(
      el("div", { class: "unavailable" }, list.unavailable ? "not available" : list.error),
    );
    return;
  }
  const items = itemsOf<NotificationView>(list.body);
  if (items.length === 0) {
    target.replaceChildren(el("div", { class: "empty" }, "No notifications configured."));
    return;
  }
  const rows: HTMLTableRowElement[] = [];
  for (let i = 0; i < items.length; i += BATCH) {
    const batch = items.slice(i, i + BATCH);
    const answers = await Promise.all(
      batch.map((n) => request(`${API}/notifications/${encodeURIComponent(n.id)}/deliveries?limit=1`, token)),
    );
    batch.forEach((notification, j) => {
      const answer = answers[j];
      const body = answer?.ok
        ? (answer.body as { items?: AttemptView[]; pending?: PendingView[] })
        : undefined;
      rows.push(row(notification, body?.items?.[0], body?.pending, answer?.ok ? undefined : answer?.error));
    });
  }
  const head = el(
    "tr",
    {},
    ["Notification", "Receiver", "Events", "Last attempt", "Result", "Pending retries"].map((h) =>
      el("th", {}, h),
    ),
  );
  target.replaceChildren(el("table", {}, el("thead", {}, head), el("tbody", {}, rows)));
}

function row(
  notification: NotificationView,
  last: AttemptView | undefined,
  pending: PendingView[] | undefined,
  failed: string | undefined,
): HTMLTableRowElement {
  const waiting = pending ?? [];
  const next = waiting
    .map((p) => p.nextAttemptAt)
    .filter((at): at is string => typeof at === "string")
    .sort()[0];
  const events = notification.events?.length ? notification.events.join(", ") : "all";
  return el(
    "tr",
    {
      "data-notification": notification.id,
      "data-outcome": last?.outcome ?? "none",
      "data-pending": String(waiting.length),
    },
    el(
      "td",
      {},
      el("strong", {}, notification.id),
      notification.enabled === false ? el("span", { class: "tag" }, "disabled") : null,
    ),
    el("td", { class: "mono muted" }, receiver(notification.url)),
    el("td", { class: "muted" }, `${events} (${text(notification.format)})`),
    el("td", { class: "mono muted", title: text(last?.at) }, last ? time(last.at) : "never"),
    el("td", { class: "result" }, failed ? el("span", { class: "error" }, failed) : result(last)),
    el(
      "td",
      { class: "pending" },
      waiting.length === 0
        ? "none"
        : `${waiting.length} (${waiting.map((p) => p.type).join(", ")}), next ${time(next)}`,
    ),
  );
}

/** The outcome badge and the receiver's status, or the error when it did not answer. */
function result(last: AttemptView | undefined): (Node | string)[] | string {
  if (!last) return "no delivery yet";
  const answer =
    typeof last.status === "number" ? `HTTP ${last.status}` : last.error ? last.error : "no answer";
  const detail = typeof last.status === "number" && last.error ? ` ${last.error}` : "";
  const outcome = last.outcome ?? "unknown";
  const label = el("span", { class: `badge ${outcomeClass(outcome)}`, "data-state": outcome }, outcome);
  return [label, ` ${text(last.type)} · ${answer}${detail}`];
}

function outcomeClass(outcome: string | undefined): string {
  if (outcome === "delivered") return "healthy";
  if (outcome === "failed") return "unhealthy";
  return outcome === "retrying" ? "draining" : "unknown";
}

/** `https://hooks.example.com` for `https://hooks.example.com/services/T0/B0/secret`. */
export function receiver(url: string | undefined): string {
  if (!url) return "-";
  try {
    return new URL(url).origin;
  } catch {
    return "-";
  }
}
