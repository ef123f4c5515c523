import { Hono } from "hono";
import type { Env } from "./env.ts";

export { ConfigStore } from "../durable-objects/config-store.ts";
export { PoolState } from "../durable-objects/pool-state.ts";

const app = new Hono<{ Bindings: Env }>();
app.get("/__lb/healthz", async (c) =>
  c.json({ ok: true, store: await c.env.CONFIG_STORE.getByName("global").ping() }),
);
app.all("*", (c) => c.text("proxy"));

export default app;
