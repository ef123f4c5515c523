/**
 * `GET /explain?url=<url>&ip=<ip>&header.<name>=<value>&country=<cc>&continent=<cc>`: which load
 * balancer, pool and origin a request like that would reach now, with the reason at each step.
 * Read access is enough: it changes nothing.
 */
import { Hono } from "hono";
import type { ApiEnv } from "../context.ts";
import { waitUntilOf } from "../healthz.ts";
import { parseExplainQuery } from "./query.ts";
import { explainRequest } from "./trace.ts";

/** The explain route, mounted at the API base. */
export const explainRoutes = new Hono<ApiEnv>();

explainRoutes.get("/explain", async (c) => {
  const described = parseExplainQuery(new URL(c.req.url).searchParams);
  return c.json(await explainRequest(described, c.env, waitUntilOf(c)));
});
