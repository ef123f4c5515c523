/**
 * Operations routes: pool health, drain and undrain of an origin, and the status of every load
 * balancer, and the dashboard's overview of both (`/pools/{id}/health`,
 * `/pools/{id}/origins/{name}/drain|undrain`, `/status`, `/overview`).
 */
import { Hono } from "hono";
import { ProblemError } from "../http/problem.ts";
import { requireWrite } from "./auth.ts";
import type { ApiEnv } from "./context.ts";
import { waitUntilOf } from "./healthz.ts";
import { readLoadBalancerHistory } from "./lb-history.ts";
import { readOverview } from "./overview.ts";
import { historyWindow, readPoolHistory } from "./pool-history.ts";
import { drainOrigin, readPoolHealth, undrainOrigin } from "./pool-ops.ts";
import { readStatus } from "./status.ts";
import { configStore } from "./store.ts";

/** Mounted at the API base, next to the resource routes. */
export const poolOpsRoutes = new Hono<ApiEnv>();

poolOpsRoutes.get("/pools/:id/health", async (c) => {
  return c.json(await readPoolHealth(c.env, c.req.param("id")));
});

poolOpsRoutes.get("/pools/:id/history", async (c) => {
  const window = historyWindow(c.req.query("window"));
  return c.json(await readPoolHistory(c.env, c.req.param("id"), window));
});

poolOpsRoutes.get("/load_balancers/:id/history", async (c) => {
  const window = historyWindow(c.req.query("window"));
  return c.json(await readLoadBalancerHistory(c.env, c.req.param("id"), window));
});

poolOpsRoutes.post("/pools/:id/origins/:name/drain", requireWrite, async (c) => {
  return c.json(await drainOrigin(c.env, c.req.param("id"), c.req.param("name")));
});

poolOpsRoutes.post("/pools/:id/origins/:name/undrain", requireWrite, async (c) => {
  return c.json(await undrainOrigin(c.env, c.req.param("id"), c.req.param("name")));
});

poolOpsRoutes.get("/status", async (c) => {
  const config = await configStore(c.env).snapshot();
  if (!config) throw new ProblemError(503, "The configuration could not be read; try again.");
  return c.json(await readStatus(c.env, config));
});

poolOpsRoutes.get("/overview", async (c) => {
  return c.json(await readOverview(c.env, waitUntilOf(c)));
});
