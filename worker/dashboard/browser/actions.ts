/**
 * The admin token's controls on the pools panel: drain and undrain an origin, enable and disable an
 * origin or a pool. Each asks for a confirmation that says what will change, then calls the
 * management API: the drain endpoints, or a merge patch of the pool sent with `If-Match` (the version
 * of the pool the confirmation was built from, read when the button is pressed), so a change someone
 * else makes while the confirmation is open is refused, not overwritten.
 * Buttons are only ever built for the admin token; the read token's page has none.
 */
import { API, itemsOf, type Result, request } from "./api.ts";
import { type Confirmation, confirmChange, refusal, showOutcome } from "./confirm.ts";
import { byId, el } from "./dom.ts";
import type { PoolView } from "./render.ts";

type OriginView = NonNullable<PoolView["origins"]>[number];

/** A pool as GET /pools lists it (with its version, for If-Match). */
export interface PoolResource extends PoolView {
  version?: number;
}

/** The parts of a configured load balancer that tell what a pool or drain change does to it. */
export interface LoadBalancerUse {
  id: string;
  pools?: string[];
  fallbackPool?: string | null;
  sessionAffinity?: { type?: string; drainSeconds?: number };
}

/** What the page needs to act: the token, and a way to redraw at once after a change. */
export interface ActionHooks {
  token: () => string | null;
  changed: () => void;
}

export type ActionName =
  | "drain"
  | "undrain"
  | "disable-origin"
  | "enable-origin"
  | "disable-pool"
  | "enable-pool";

/** One action: its confirmation, the request it sends and the sentence that reports it done. */
export interface Action extends Confirmation {
  send: (token: string) => Promise<Result>;
  subject: string;
  done: (body: unknown) => string;
}

let hooks: ActionHooks | undefined;
let busy = false;

/** Listens for the action buttons (once); `hooks` gives the token and redraws after a change. */
export function setUpActions(given: ActionHooks): void {
  if (hooks) return;
  hooks = given;
  byId("pools").addEventListener("click", (event) => {
    const button = (event.target as Element).closest<HTMLButtonElement>("button[data-action]");
    if (button) void run(button);
  });
}

/** Adds the buttons to the pools panel just drawn from `pools` (admin token only). */
export function decoratePools(pools: PoolView[]): void {
  for (const pool of pools) {
    const panel = document.querySelector<HTMLElement>(`#pools [data-pool="${CSS.escape(pool.id)}"]`);
    if (!panel) continue;
    const enabled = pool.enabled !== false;
    panel
      .querySelector(".pool-head")
      ?.append(
        actionButton(
          enabled ? "disable-pool" : "enable-pool",
          pool.id,
          undefined,
          enabled ? "Disable pool" : "Enable pool",
        ),
      );
    panel.querySelector("thead tr")?.append(el("th", {}, "Actions"));
    for (const origin of pool.origins ?? []) {
      const row = panel.querySelector(`tbody tr[data-origin="${CSS.escape(origin.name)}"]`);
      const drained = origin.weight === 0;
      const on = origin.enabled !== false;
      row?.append(
        el(
          "td",
          { class: "actions" },
          actionButton(drained ? "undrain" : "drain", pool.id, origin.name, drained ? "Undrain" : "Drain"),
          actionButton(
            on ? "disable-origin" : "enable-origin",
            pool.id,
            origin.name,
            on ? "Disable" : "Enable",
          ),
        ),
      );
    }
  }
}

function actionButton(
  action: ActionName,
  pool: string,
  origin: string | undefined,
  label: string,
): HTMLButtonElement {
  return el(
    "button",
    {
      type: "button",
      class: "act",
      "data-action": action,
      "data-pool": pool,
      "data-origin": origin,
      "aria-label": `${label} ${origin === undefined ? `pool ${pool}` : `origin ${origin} of pool ${pool}`}`,
    },
    label,
  );
}

/**
 * Reads the pool and the load balancers as they are now (the confirmation describes them, and the
 * pool's version goes in `If-Match`), asks for the confirmation, then sends the change.
 */
async function run(button: HTMLButtonElement): Promise<void> {
  const token = hooks?.token();
  if (busy || !token) return;
  const name = button.dataset.action as ActionName;
  const poolId = button.dataset.pool ?? "";
  const originName = button.dataset.origin;
  busy = true;
  try {
    const [pool, loadBalancers] = await Promise.all([
      request<PoolResource>(`${API}/pools/${encodeURIComponent(poolId)}`, token),
      request(`${API}/load_balancers`, token),
    ]);
    if (!pool.ok || !loadBalancers.ok) {
      showOutcome(
        "error",
        refusal(pool.ok ? (loadBalancers as Result & { ok: false }) : pool, `pool ${poolId}`),
      );
      return;
    }
    const reason = alreadyDone(name, pool.body, originName);
    const action = actionFor(name, pool.body, originName, itemsOf<LoadBalancerUse>(loadBalancers.body));
    if (reason || !action) {
      showOutcome("error", reason ?? `Nothing was changed: pool ${poolId} has no origin ${originName}.`);
      hooks?.changed();
      return;
    }
    if (!(await confirmChange(action))) return;
    const answer = await action.send(token);
    if (answer.ok) showOutcome("ok", action.done(answer.body));
    else showOutcome("error", refusal(answer, action.subject));
    // What the page shows is now out of date: no action on it until the refresh redraws it.
    for (const node of byId("pools").querySelectorAll<HTMLButtonElement>("button[data-action]")) {
      node.disabled = true;
    }
    hooks?.changed();
  } finally {
    busy = false;
  }
}

/**
 * Why an action no longer applies (someone else did it since the page was drawn), or undefined.
 * @example alreadyDone("drain", pool, "b") // "Nothing was changed: origin b of pool web is already drained."
 */
export function alreadyDone(
  name: ActionName,
  pool: PoolResource,
  originName: string | undefined,
): string | undefined {
  const origin = (pool.origins ?? []).find((o) => o.name === originName);
  const state =
    name === "disable-pool" && pool.enabled === false
      ? "disabled"
      : name === "enable-pool" && pool.enabled !== false
        ? "enabled"
        : name === "drain" && origin?.weight === 0
          ? "drained"
          : name === "undrain" && origin !== undefined && origin.weight !== 0
            ? "taking requests"
            : name === "disable-origin" && origin?.enabled === false
              ? "disabled"
              : name === "enable-origin" && origin !== undefined && origin.enabled !== false
                ? "enabled"
                : undefined;
  if (!state) return undefined;
  const subject = name.endsWith("-pool") ? `pool ${pool.id}` : `origin ${originName} of pool ${pool.id}`;
  return `Nothing was changed: ${subject} is already ${state}.`;
}

/**
 * The confirmation and the request of one action, from the pool as the page last showed it;
 * undefined when the origin is not in it.
 * @example actionFor("drain", pool, "b", loadBalancers)?.lines
 */
export function actionFor(
  name: ActionName,
  pool: PoolResource,
  originName: string | undefined,
  loadBalancers: LoadBalancerUse[],
): Action | undefined {
  const users = loadBalancers.filter(
    (lb) => (lb.pools ?? []).includes(pool.id) || lb.fallbackPool === pool.id,
  );
  if (name === "disable-pool" || name === "enable-pool")
    return poolAction(pool, name === "enable-pool", users);
  const origin = (pool.origins ?? []).find((o) => o.name === originName);
  if (!origin) return undefined;
  if (name === "drain") return drain(pool, origin, users);
  if (name === "undrain") return undrain(pool, origin);
  return originSwitch(pool, origin, name === "enable-origin");
}

const who = (pool: PoolResource, origin: OriginView) => `origin ${origin.name} of pool ${pool.id}`;

function drain(pool: PoolResource, origin: OriginView, users: LoadBalancerUse[]): Action {
  const weight = origin.weight ?? 1;
  const lines = [
    `New requests stop going to it: its weight goes from ${weight} to 0 (undrain restores ${weight}).`,
    "Requests already in flight finish; it shows as draining until they have.",
  ];
  const pinning = users.filter((lb) => lb.sessionAffinity?.type && lb.sessionAffinity.type !== "none");
  if (pinning.length > 0) {
    const seconds = Math.max(...pinning.map((lb) => lb.sessionAffinity?.drainSeconds ?? 0));
    const names = pinning.map((lb) => lb.id).join(", ");
    lines.push(
      seconds > 0
        ? `Pinned sessions (affinity of ${names}) keep it for ${seconds} s, then move to other origins.`
        : `Sessions pinned to it (affinity of ${names}) move to other origins at once.`,
    );
  }
  return {
    title: `Drain ${who(pool, origin)}`,
    lines,
    warning: lastOne(pool, origin, "takes new requests"),
    confirm: "Drain",
    subject: `pool ${pool.id}`,
    send: (token) => post(token, pool.id, origin.name, "drain"),
    done: (body) => `Drained ${who(pool, origin)}: weight 0, state ${stateOf(body)}.`,
  };
}

function undrain(pool: PoolResource, origin: OriginView): Action {
  return {
    title: `Undrain ${who(pool, origin)}`,
    lines: [
      "It takes new requests again: its weight goes from 0 back to the weight it had before the drain (1 if it was set to 0 by hand).",
    ],
    confirm: "Undrain",
    subject: `pool ${pool.id}`,
    send: (token) => post(token, pool.id, origin.name, "undrain"),
    done: (body) => `Undrained ${who(pool, origin)}: weight ${weightOf(body)}.`,
  };
}

function originSwitch(pool: PoolResource, origin: OriginView, enable: boolean): Action {
  const origins = (pool.origins ?? []).map((o) => (o.name === origin.name ? { ...o, enabled: enable } : o));
  const lines = enable
    ? [
        `It goes back into rotation with weight ${origin.weight ?? 1}: new requests reach it as soon as it is healthy.`,
      ]
    : [
        "It is taken out of rotation: no new requests go to it, and sessions pinned to it move to other origins.",
        "It is still health-checked, so its state stays visible.",
      ];
  lines.push(versionLine(pool));
  return {
    title: `${enable ? "Enable" : "Disable"} ${who(pool, origin)}`,
    lines,
    warning: enable ? undefined : lastOne(pool, origin, "is enabled"),
    confirm: enable ? "Enable" : "Disable",
    subject: `pool ${pool.id}`,
    send: (token) => patchPool(token, pool, { origins }),
    done: () => `${enable ? "Enabled" : "Disabled"} ${who(pool, origin)}.`,
  };
}

function poolAction(pool: PoolResource, enable: boolean, users: LoadBalancerUse[]): Action {
  const names = users.map((lb) => lb.id).join(", ");
  const lines = enable
    ? [
        `Pool ${pool.id} counts as healthy again once its origins are${names ? `; ${names} send to it again as their steering decides` : ""}.`,
      ]
    : [
        `Pool ${pool.id} counts as unhealthy: ${names ? `${names} stop sending to it and fail over to their next healthy pool or their fallback pool` : "no load balancer uses it, so no traffic moves"}.`,
        "Its origins keep being health-checked.",
      ];
  lines.push(versionLine(pool));
  return {
    title: `${enable ? "Enable" : "Disable"} pool ${pool.id}`,
    lines,
    confirm: enable ? "Enable pool" : "Disable pool",
    subject: `pool ${pool.id}`,
    send: (token) => patchPool(token, pool, { enabled: enable }),
    done: () => `${enable ? "Enabled" : "Disabled"} pool ${pool.id}.`,
  };
}

function versionLine(pool: PoolResource): string {
  return `Sent with If-Match: version ${pool.version ?? "?"} of pool ${pool.id}; refused if it changed since this page read it.`;
}

/** A warning when `origin` is the last one of the pool that still `what`s. */
function lastOne(pool: PoolResource, origin: OriginView, what: string): string | undefined {
  const others = (pool.origins ?? []).filter(
    (o) => o.name !== origin.name && o.enabled !== false && (o.weight ?? 1) > 0,
  );
  return others.length === 0
    ? `It is the last origin of pool ${pool.id} that ${what}: the pool will have none left for new requests.`
    : undefined;
}

function post(token: string, pool: string, origin: string, verb: "drain" | "undrain"): Promise<Result> {
  const path = `${API}/pools/${encodeURIComponent(pool)}/origins/${encodeURIComponent(origin)}/${verb}`;
  return request(path, token, { method: "POST" });
}

function patchPool(token: string, pool: PoolResource, patch: Record<string, unknown>): Promise<Result> {
  return request(`${API}/pools/${encodeURIComponent(pool.id)}`, token, {
    method: "PATCH",
    body: patch,
    headers: pool.version === undefined ? {} : { "if-match": `"${pool.version}"` },
  });
}

function stateOf(body: unknown): string {
  const state = (body as { state?: unknown } | null)?.state;
  return typeof state === "string" ? state : "unknown";
}

function weightOf(body: unknown): string {
  const weight = (body as { weight?: unknown } | null)?.weight;
  return typeof weight === "number" ? String(weight) : "?";
}
