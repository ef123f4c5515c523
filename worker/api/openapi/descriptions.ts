/**
 * What each field of a pool and a load balancer means (API.md), added to the generated JSON Schemas
 * so the document and its page explain fields, not only their types. Keyed by component and field
 * path (`[]` steps into array items).
 */
import type { JsonSchema } from "./document.ts";

const FIELDS: Record<string, Record<string, string>> = {
  Pool: {
    id: "Immutable slug chosen by the client.",
    enabled: "A disabled pool counts as unhealthy.",
    algorithm:
      "round_robin (smooth weighted), random (weighted), least_connections, least_request (power of two choices), " +
      "least_time, hash, first.",
    hashOn: 'For algorithm "hash": ip, path, header:<name>, cookie:<name> or query:<name>.',
    minimumOrigins: "The pool is healthy while at least this many origins are healthy.",
    slowStartSeconds: "A recovered or new origin ramps its weight up over this time.",
    origins: "1 to 1000 origins, names unique within the pool.",
    "origins[].address": "http(s)://host[:port][/base path]; no credentials, query or fragment.",
    "origins[].weight": "0 to 1000; 0 receives no new traffic (drain).",
    "origins[].enabled": "false removes the origin from rotation; it is still health-checked.",
    "origins[].backup": "Used only when no non-backup origin of the pool is healthy.",
    "origins[].hostHeader": "Host to present upstream (same-zone hostnames only on Cloudflare).",
    "origins[].headers": "Extra request headers sent to this origin.",
    "origins[].maxConnections": "Cap on in-flight requests to this origin, across all edges.",
    healthCheck:
      "Active checks; null means none (origins count as healthy unless passive checks eject them).",
    "healthCheck.expectedCodes": 'Codes, classes or ranges, e.g. "200", "2xx", "200-299,301". Default "2xx".',
    "healthCheck.expectedBody": "A substring the body must contain.",
    "healthCheck.timeoutMs":
      "Must be less than the interval. Default 5000, or half the interval when that is shorter.",
    "healthCheck.healthyThreshold": "Consecutive successes to become healthy (rise).",
    "healthCheck.unhealthyThreshold": "Consecutive failures to become unhealthy (fall).",
    passiveHealth: "Outlier detection from live traffic.",
    "passiveHealth.consecutiveFailures": "5xx, connection errors and timeouts in a row before an ejection.",
    "passiveHealth.ejectionSeconds": "First ejection; repeated ejections grow, capped at 10x.",
    "passiveHealth.maxEjectionPercent": "Never eject more than this share of a pool.",
    version: "Read-only: 1 on creation, one more on each change; ignored in requests.",
  },
  LoadBalancer: {
    id: "Immutable slug chosen by the client.",
    hostname: 'Exact, or a wildcard "*.example.com"; "localhost" allowed.',
    pathPrefix: "Longest matching prefix wins among load balancers of the same hostname.",
    pools: "Ordered, 1 to 20; each must exist.",
    fallbackPool: "Used when no pool is healthy; its health is ignored. Must exist.",
    steering:
      "failover (first healthy pool in order), random (weighted by poolWeights), geo (regionPools/countryPools, " +
      "then pools), least_connections (pool with the fewest in-flight requests).",
    poolWeights: 'Pool id to weight, for steering "random"; keys must be in pools.',
    regionPools: 'Region or continent code to pools, e.g. {"WEUR": ["web-eu"]}.',
    countryPools: 'ISO 3166 alpha-2 country code to pools, e.g. {"US": ["web-us"]}.',
    "sessionAffinity.type": "none, cookie (signed, HttpOnly, SameSite=Lax), header or ip.",
    "sessionAffinity.headerName": 'Required for type "header".',
    "sessionAffinity.onOriginFailure":
      "reselect: pick again and re-pin; temporary: use another origin while the pinned one is down.",
    "retries.attempts": "Extra tries on other origins, 0 to 5.",
    "retries.onStatus": "Statuses that count as failures and are retried.",
    "retries.methods": "Methods that may be retried (idempotent by default).",
    "retries.bufferBodyBytes": "Bodies up to this size are kept so the request can be retried.",
    debugHeaders: "Add x-lb-pool, x-lb-origin and Server-Timing to responses.",
    version: "Read-only: 1 on creation, one more on each change; ignored in requests.",
  },
};

/** Adds the known field descriptions to a component's schema (a copy; the input is not changed). */
export function describeFields(component: string, schema: JsonSchema): JsonSchema {
  const docs = FIELDS[component];
  return docs ? annotate(schema, "", docs) : schema;
}

function annotate(schema: JsonSchema, path: string, docs: Record<string, string>): JsonSchema {
  const out: JsonSchema = { ...schema };
  const properties = schema.properties as Record<string, JsonSchema> | undefined;
  if (properties) {
    const annotated: Record<string, JsonSchema> = {};
    for (const [key, child] of Object.entries(properties)) {
      const childPath = path ? `${path}.${key}` : key;
      const described = annotate(child, childPath, docs);
      const text = docs[childPath];
      annotated[key] = text && !described.description ? { description: text, ...described } : described;
    }
    out.properties = annotated;
  }
  if (schema.items && typeof schema.items === "object") {
    out.items = annotate(schema.items as JsonSchema, `${path}[]`, docs);
  }
  if (Array.isArray(schema.anyOf)) {
    out.anyOf = (schema.anyOf as JsonSchema[]).map((member) => annotate(member, path, docs));
  }
  return out;
}
