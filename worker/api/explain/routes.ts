/**
 * `GET /explain?url=<url>&ip=<ip>&header.<name>=<value>&country=<cc>&continent=<cc>`: which load
 * balancer, pool and origin a request like that would reach now, with the reason at each step.
 * Read access is enough: it changes nothing. `POST /explain` compares a candidate configuration
 * with the live one for a list of requests (./compare.ts).
 */
import { Hono } from "hono";
import { JSON_TYPES, readJsonObject } from "../body.ts";
import type { ApiEnv } from "../context.ts";
import { waitUntilOf } from "../healthz.ts";
import { explainImpact, parseImpactBody } from "./compare.ts";
import { parseExplainQuery } from "./query.ts";
import { explainRequest } from "./trace.ts";

/** The explain route, mounted at the API base. */
export const explainRoutes = new Hono<ApiEnv>();

explainRoutes.get("/explain", async (c) => {
  const described = parseExplainQuery(new URL(c.req.url).searchParams);
  return c.json(await explainRequest(described, c.env, waitUntilOf(c)));
});

/** `POST /explain`: where each described request goes now and under a candidate configuration. */
explainRoutes.post("/explain", async (c) => {
  const { config, requests } = parseImpactBody(await readJsonObject(c.req.raw, JSON_TYPES));
  return c.json(await explainImpact(config, requests, c.env, waitUntilOf(c)));
});
