/**
 * The configuration history panel (GET /config/versions) and, for the admin token, rollback to one
 * of its versions: a dry run first (POST /config/rollback?dryRun=true), whose answer and a field
 * diff of the two documents fill the confirmation; then the rollback itself with `If-Match` set to
 * the version the dry run saw, so a change made meanwhile is refused rather than undone unseen.
 */
import { API, api, itemsOf, request } from "./api.ts";
import { confirmChange, refusal, showOutcome } from "./confirm.ts";
import { byId, el, text, time } from "./dom.ts";

/** One entry of GET /config/versions. */
export interface VersionEntry {
  version: number;
  at?: string;
  role?: string;
  summary?: string;
}

interface KindChanges {
  created?: string[];
  updated?: string[];
  deleted?: string[];
}

/** POST /config/rollback's answer. */
interface RollbackAnswer {
  version: number;
  rolledBackTo?: number;
  changes?: { pools?: KindChanges; loadBalancers?: KindChanges };
}

/** Versions listed in the panel. */
const SHOWN = 15;
/** Field differences listed in a confirmation at most; the rest are counted. */
const MAX_DIFF_LINES = 12;

let onChange: (() => void) | undefined;
let busy = false;

/** Listens for rollback buttons (once). */
export function setUpHistory(token: () => string | null, changed: () => void): void {
  if (onChange) return;
  onChange = changed;
  byId("history").addEventListener("click", (event) => {
    const button = (event.target as Element).closest<HTMLButtonElement>('button[data-action="rollback"]');
    const current = Number(byId("history").dataset.current);
    const given = token();
    if (button && given && !busy) void rollback(given, Number(button.dataset.version), current);
  });
}

/** Redraws the history panel; `admin` adds a rollback button to every version but the current one. */
export async function renderHistory(token: string, admin: boolean): Promise<void> {
  const target = byId("history");
  const answer = await api(`/config/versions?limit=${SHOWN}`, token);
  if (!answer.ok) {
    target.replaceChildren(
      el("div", { class: "unavailable" }, answer.unavailable ? "not available" : answer.error),
    );
    return;
  }
  const items = itemsOf<VersionEntry>(answer.body);
  if (items.length === 0) {
    target.replaceChildren(el("div", { class: "empty" }, "No configuration changes yet."));
    return;
  }
  const current = items[0]?.version ?? 0;
  target.dataset.current = String(current);
  const rows = items.map((entry) =>
    el(
      "tr",
      { "data-version": entry.version },
      el("td", { class: "num" }, String(entry.version)),
      el("td", { class: "muted mono", title: text(entry.at) }, time(entry.at)),
      el("td", {}, text(entry.role)),
      el("td", {}, text(entry.summary)),
      admin
        ? el(
            "td",
            { class: "actions" },
            entry.version === current
              ? el("span", { class: "muted" }, "current")
              : el(
                  "button",
                  {
                    type: "button",
                    class: "act",
                    "data-action": "rollback",
                    "data-version": entry.version,
                    "aria-label": `Roll back to version ${entry.version}`,
                  },
                  "Roll back to this",
                ),
          )
        : null,
    ),
  );
  const head = el(
    "tr",
    {},
    ["Version", "At", "By", "What changed", admin ? "Actions" : null].map((h) =>
      h === null ? null : el("th", {}, h),
    ),
  );
  target.replaceChildren(el("table", {}, el("thead", {}, head), el("tbody", {}, rows)));
}

async function rollback(token: string, version: number, current: number): Promise<void> {
  busy = true;
  try {
    showOutcome("busy", `Checking what a rollback to version ${version} would change…`);
    const ifMatch = { "if-match": `"${current}"` };
    const dry = await request<RollbackAnswer>(`${API}/config/rollback?dryRun=true`, token, {
      method: "POST",
      body: { version },
      headers: ifMatch,
    });
    if (!dry.ok) {
      showOutcome("error", refusal(dry, "the configuration"));
      return;
    }
    const changes = changeLines(dry.body);
    if (changes.length === 0) {
      showOutcome("ok", `Nothing to roll back: the configuration already equals version ${version}.`);
      return;
    }
    const diff = await fieldDiff(token, version);
    showOutcome("ok", "");
    const confirmed = await confirmChange({
      title: `Roll back to version ${version}`,
      lines: [
        `The configuration becomes version ${version}'s document again, as a new version after ${dry.body.version}.`,
        ...changes,
        ...diff,
        `Sent with If-Match: version ${dry.body.version}; refused if the configuration changes before you confirm.`,
      ],
      confirm: `Roll back to ${version}`,
    });
    if (!confirmed) return;
    const done = await request<RollbackAnswer>(`${API}/config/rollback`, token, {
      method: "POST",
      body: { version },
      headers: { "if-match": `"${dry.body.version}"` },
    });
    for (const node of byId("history").querySelectorAll<HTMLButtonElement>("button[data-action]")) {
      node.disabled = true;
    }
    if (done.ok) {
      showOutcome(
        "ok",
        `Rolled back to version ${version}: the configuration is now version ${done.body.version}.`,
      );
    } else {
      showOutcome("error", refusal(done, "the configuration"));
    }
    onChange?.();
  } finally {
    busy = false;
  }
}

/** "Pools updated: web, api" and the like, from a rollback's `changes`. */
export function changeLines(answer: RollbackAnswer): string[] {
  const lines: string[] = [];
  const kinds: [string, KindChanges | undefined][] = [
    ["Pools", answer.changes?.pools],
    ["Load balancers", answer.changes?.loadBalancers],
  ];
  for (const [label, changes] of kinds) {
    for (const verb of ["created", "updated", "deleted"] as const) {
      const ids = changes?.[verb] ?? [];
      if (ids.length > 0) lines.push(`${label} ${verb}: ${ids.join(", ")}.`);
    }
  }
  return lines;
}

/** Each field that differs between the current document and version `version`'s, as "path: now → then". */
async function fieldDiff(token: string, version: number): Promise<string[]> {
  const [now, then] = await Promise.all([api("/config", token), api(`/config/versions/${version}`, token)]);
  if (!now.ok || !then.ok) return [];
  const lines: string[] = [];
  for (const kind of ["pools", "loadBalancers"] as const) {
    const before = byIdOf((now.body as Record<string, unknown>)[kind]);
    const after = byIdOf((then.body as Record<string, unknown>)[kind]);
    for (const id of new Set([...before.keys(), ...after.keys()])) {
      const a = before.get(id);
      const b = after.get(id);
      if (a && b) diffValues(a, b, `${kind === "pools" ? "pool" : "load balancer"} ${id}: `, lines);
    }
  }
  if (lines.length <= MAX_DIFF_LINES) return lines;
  return [...lines.slice(0, MAX_DIFF_LINES), `…and ${lines.length - MAX_DIFF_LINES} more field changes.`];
}

function byIdOf(list: unknown): Map<string, unknown> {
  const items = Array.isArray(list) ? (list as { id?: unknown }[]) : [];
  return new Map(items.map((item) => [String(item.id), item]));
}

/** Appends one line per leaf that differs; origins and rules are matched by name, `version` ignored. */
export function diffValues(now: unknown, then: unknown, path: string, out: string[]): void {
  if (JSON.stringify(now) === JSON.stringify(then)) return;
  if (isRecord(now) && isRecord(then)) {
    for (const key of new Set([...Object.keys(now), ...Object.keys(then)])) {
      if (key === "version") continue;
      diffValues(now[key], then[key], `${path}${path.endsWith(": ") ? "" : "."}${key}`, out);
    }
    return;
  }
  if (
    Array.isArray(now) &&
    Array.isArray(then) &&
    [...now, ...then].every((x) => isRecord(x) && "name" in x)
  ) {
    const named = (list: unknown[]) => new Map(list.map((x) => [String((x as { name: unknown }).name), x]));
    const a = named(now);
    const b = named(then);
    for (const name of new Set([...a.keys(), ...b.keys()]))
      diffValues(a.get(name), b.get(name), `${path}[${name}]`, out);
    return;
  }
  out.push(`${path}: ${show(now)} → ${show(then)}`);
}

function isRecord(value: unknown): value is Record<string, unknown> {
  return typeof value === "object" && value !== null && !Array.isArray(value);
}

function show(value: unknown): string {
  if (value === undefined) return "(none)";
  const json = JSON.stringify(value);
  return json.length > 60 ? `${json.slice(0, 57)}…` : json;
}
