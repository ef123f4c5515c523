/**
 * The configuration as one document (`GET`/`PUT /config`), the audit log and the merged event feed.
 */
import { Hono } from "hono";
import type { StoreEvent } from "../../durable-objects/config-store/types.ts";
import { countDoCall } from "../edge/do-calls.ts";
import type { Env } from "../env.ts";
import { etag, parseIfMatch } from "../http/preconditions.ts";
import { ProblemError, problemType } from "../http/problem.ts";
import { requireWrite } from "./auth.ts";
import { JSON_TYPES, readJsonObject } from "./body.ts";
import { type ApiEnv, writerRole } from "./context.ts";
import { failoverEvents } from "./failover-events.ts";
import { documentFor } from "./redact.ts";
import { configStore, installSnapshot, unwrap } from "./store.ts";

export const DEFAULT_LIMIT = 100;
export const MAX_LIMIT = 1000;
/** PoolState DOs asked for their events at once. */
const EVENT_FANOUT = 6;

/** `/config`, `/audit` and `/events`, mounted at the API base. */
export const configRoutes = new Hono<ApiEnv>();

configRoutes.get("/config", async (c) => {
  const snapshot = await configStore(c.env).snapshot();
  if (!snapshot) throw new ProblemError(503, "The configuration could not be read; try again.");
  c.header("etag", etag(snapshot.version));
  return c.json(
    documentFor(c.var.access, {
      version: snapshot.version,
      pools: snapshot.pools,
      loadBalancers: snapshot.loadBalancers,
    }),
  );
});

configRoutes.put("/config", requireWrite, async (c) => {
  // A misspelt `dryRun` must not turn a check into a replacement of everything.
  for (const name of new URL(c.req.url).searchParams.keys()) {
    if (name !== "dryRun") throw invalidQuery(name, 'is unknown here; PUT /config takes only "dryRun"');
  }
  const dryRun = booleanQuery(c.req.query("dryRun"), "dryRun");
  const input = await readJsonObject(c.req.raw, JSON_TYPES);
  const ifMatch = parseIfMatch(c.req.header("if-match"));
  const { version, changes, snapshot } = unwrap(
    await configStore(c.env).replaceConfig(input, ifMatch, dryRun, writerRole(c.var.access)),
  );
  await installSnapshot(c.env, snapshot);
  if (!dryRun) c.header("etag", etag(version));
  return c.json({ version, dryRun, changes });
});

configRoutes.get("/audit", async (c) => {
  const limit = limitQuery(c.req.query("limit"));
  return c.json({ items: await configStore(c.env).audit(limit) });
});

configRoutes.get("/events", async (c) => {
  const limit = limitQuery(c.req.query("limit"));
  const store = configStore(c.env);
  const [own, snapshot] = await Promise.all([store.events(limit), store.snapshot()]);
  const poolIds = snapshot?.pools.map((pool) => pool.id) ?? [];
  const { events, unavailable } = await poolEvents(c.env, poolIds, limit);
  const failover = await failoverEvents(c.env, snapshot, limit);
  for (const id of failover.unavailable) if (!unavailable.includes(id)) unavailable.push(id);
  const items = [...own, ...events, ...failover.events]
    .filter((event) => Number.isFinite(event.at) && Math.abs(event.at) <= 8.64e15)
    .sort((a, b) => b.at - a.at)
    .slice(0, limit)
    .map((event) => {
      const timestamp = new Date(event.at).toISOString();
      return { timestamp, at: timestamp, kind: event.kind, subject: event.subject, message: event.message };
    });
  return c.json(unavailable.length > 0 ? { items, unavailablePools: unavailable } : { items });
});

/** The newest events of every pool; pools whose PoolState does not answer are listed, not fatal. */
async function poolEvents(
  env: Env,
  poolIds: readonly string[],
  limit: number,
): Promise<{ events: StoreEvent[]; unavailable: string[] }> {
  const events: StoreEvent[] = [];
  const unavailable: string[] = [];
  for (let start = 0; start < poolIds.length; start += EVENT_FANOUT) {
    const batch = poolIds.slice(start, start + EVENT_FANOUT);
    const results = await Promise.allSettled(
      batch.map((id) => {
        countDoCall("admin");
        return env.POOL_STATE.getByName(id).events(limit);
      }),
    );
    results.forEach((result, i) => {
      if (result.status === "fulfilled") events.push(...result.value);
      else {
        unavailable.push(batch[i] ?? "");
        console.log(
          JSON.stringify({ event: "pool_events_failed", pool: batch[i], error: String(result.reason) }),
        );
      }
    });
  }
  return { events, unavailable };
}

/** `?limit=`: an integer from 1 to MAX_LIMIT, DEFAULT_LIMIT when absent. */
export function limitQuery(value: string | undefined): number {
  if (value === undefined) return DEFAULT_LIMIT;
  if (!/^\d{1,7}$/.test(value) || Number(value) < 1 || Number(value) > MAX_LIMIT) {
    throw invalidQuery("limit", `must be an integer from 1 to ${MAX_LIMIT}`);
  }
  return Number(value);
}

/** A boolean query flag: true/1 or false/0, false when absent. */
export function booleanQuery(value: string | undefined, name: string): boolean {
  if (value === undefined || value === "false" || value === "0") return false;
  if (value === "true" || value === "1" || value === "") return true;
  throw invalidQuery(name, 'must be "true" or "false"');
}

function invalidQuery(name: string, message: string): ProblemError {
  return new ProblemError(400, `Query parameter ${name} ${message}.`, {
    type: problemType("validation"),
    title: "Validation failed",
    errors: [{ path: name, message }],
  });
}
