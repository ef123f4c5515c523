/**
 * The confirmation every dashboard action goes through, and the line that reports how it went.
 * The dialog says exactly what will change; nothing is sent before the operator confirms. An API
 * refusal (problem JSON, RFC 9457) is shown with its detail and each field error.
 */
import type { Result } from "./api.ts";
import { byId, el } from "./dom.ts";

/** What a confirmation shows: a title naming the change and one sentence per consequence. */
export interface Confirmation {
  /** e.g. "Drain origin b of pool web". */
  title: string;
  /** What will change, one sentence each. */
  lines: string[];
  /** A consequence worth a second look (e.g. the last origin of a pool), shown highlighted. */
  warning?: string;
  /** The confirm button's label, e.g. "Drain". */
  confirm: string;
}

/** A problem document (RFC 9457) as the API sends it. */
interface Problem {
  title?: string;
  detail?: string;
  errors?: { path?: string; message?: string }[];
}

/**
 * Opens the confirmation; true when the operator confirms, false when they cancel (or press Escape).
 * @example if (await confirmChange({ title: "Disable pool web", lines: [...], confirm: "Disable" })) ...
 */
export function confirmChange(confirmation: Confirmation): Promise<boolean> {
  const { dialog, title, body, ok, cancel } = confirmDialog();
  title.textContent = confirmation.title;
  body.replaceChildren(
    ...confirmation.lines.map((line) => el("p", {}, line)),
    confirmation.warning ? el("p", { class: "warning" }, confirmation.warning) : "",
  );
  ok.textContent = confirmation.confirm;
  dialog.returnValue = "";
  return new Promise((resolve) => {
    dialog.addEventListener("close", () => resolve(dialog.returnValue === "confirm"), { once: true });
    dialog.showModal();
    cancel.focus();
  });
}

interface DialogParts {
  dialog: HTMLDialogElement;
  title: HTMLHeadingElement;
  body: HTMLDivElement;
  ok: HTMLButtonElement;
  cancel: HTMLButtonElement;
}

let parts: DialogParts | undefined;

/** The dialog, built on first use: a read-only page never has one. */
function confirmDialog(): DialogParts {
  if (parts) return parts;
  const title = el("h2", { id: "confirm-title" });
  const body = el("div", { id: "confirm-body" });
  const cancel = el("button", { type: "button", id: "confirm-cancel", class: "secondary" }, "Cancel");
  const ok = el("button", { type: "button", id: "confirm-ok" });
  const dialog = el(
    "dialog",
    { id: "confirm", class: "confirm", "aria-labelledby": "confirm-title" },
    title,
    body,
    el("div", { class: "buttons" }, cancel, ok),
  );
  ok.addEventListener("click", () => {
    showOutcome("busy", `${title.textContent ?? ""}…`);
    dialog.close("confirm");
  });
  cancel.addEventListener("click", () => dialog.close("cancel"));
  document.body.append(dialog);
  parts = { dialog, title, body, ok, cancel };
  return parts;
}

/** Reports how an action went in the page's action line (`#action-status`, made on first use). */
export function showOutcome(kind: "ok" | "error" | "busy", message: string): void {
  let node = document.getElementById("action-status");
  if (!node) {
    node = el("div", { id: "action-status", role: "status" });
    byId("app").prepend(node);
  }
  node.hidden = message === "";
  node.className = `action-status ${kind}`;
  node.dataset.outcome = kind;
  node.textContent = message;
}

/**
 * Why the API refused a change, in words: a stale `If-Match` (someone else changed it first), the
 * read token, or the problem's title and detail with each field error.
 * @example showOutcome("error", refusal(answer, "pool web"))
 */
export function refusal(answer: Result & { ok: false }, subject: string): string {
  const problem = (answer.body && typeof answer.body === "object" ? answer.body : {}) as Problem;
  if (answer.status === 412) {
    return `Nothing was changed: ${subject} was changed by someone else after this page read it. Look at it again and retry if it still makes sense.`;
  }
  if (answer.status === 403)
    return "Nothing was changed: this token may only read; changes need the admin token.";
  const status = answer.status ? `${answer.status} ` : "";
  const head = problem.title ? `${status}${problem.title}` : answer.error;
  const detail = problem.detail ? `: ${problem.detail}` : "";
  const fields = (problem.errors ?? []).map((e) => ` ${e.path ?? ""} ${e.message ?? ""}`.trimEnd()).join(";");
  // A 4xx changes nothing (API contract); after a 5xx or no answer the change may or may not be made.
  const lead =
    answer.status && answer.status < 500 ? "Nothing was changed." : "The change may not have been made;";
  return `${lead} ${head}${detail}${fields ? ` (${fields.trim()})` : ""}`;
}
