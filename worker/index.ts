import { Hono } from "hono";
import type { Env } from "./env.ts";

export { ConfigStore } from "../durable-objects/config-store.ts";
export { PoolState } from "../durable-objects/pool-state.ts";

const app = new Hono<{ Bindings: Env }>();
app.all("*", (c) => c.text("not yet"));

export default app;
