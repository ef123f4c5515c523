/**
 * An audit of every output for secrets: origin and health-check header values, notification secrets
 * and webhook paths, the admin token and the session-affinity key. Distinctive values are set on
 * each kind, a realistic round of changes runs (create, header value changed, dry runs, rollback,
 * notification created, re-keyed and tested, probes, proxied traffic, bad writes), and then every
 * response the read token gets, every log line, every Analytics point and every webhook body must
 * hold none of them, nor their SHA-256 (hex, base64 or base64url): a hash the read token sees is a
 * public value an attacker can test guesses against.
 */
import { env, runDurableObjectAlarm } from "cloudflare:test";
import { afterEach, describe, expect, inject, it, vi } from "vitest";
import { send } from "../proxy/support.ts";
import { ADMIN_TOKEN, API, call, json, READ_TOKEN } from "./support.ts";
import { received, waitFor } from "./webhooks.ts";

const ORIGIN = `http://127.0.0.1:${inject("probeOriginPort")}`;
const HOOK = "s3cr3t-hook-path-XYZ";
const SECRET = {
  originHeader: "s3cr3t-origin-hdr-XYZ",
  originHeaderV2: "s3cr3t-origin-hdr-v2-XYZ",
  checkHeader: "s3cr3t-check-hdr-XYZ",
  notifySecret: "s3cr3t-notify-secret-XYZ",
  notifySecretV2: "s3cr3t-notify-secret-v2-XYZ",
  /** Sent only in writes that are refused: an echo of it in a problem would be a leak. */
  refused: "s3cr3t-refused-value-XYZ",
  hookPath: HOOK,
  affinitySecret: "s3cr3t-affinity-secret-XYZ",
  /** Short: a parser quotes only a few characters around an error. */
  unquoted: "s3cXYZ9k",
  adminToken: ADMIN_TOKEN,
};
const POOL_ID = "audit-web";
const LB_HOST = "audit-secrets.test";

function pool(originHeader: string): Record<string, unknown> {
  return {
    id: POOL_ID,
    origins: [
      { name: "a", address: ORIGIN, headers: { authorization: originHeader } },
      // `b` answers health checks with 503 (`/status/503`): a transition, events and webhooks.
      { name: "b", address: `${ORIGIN}/status`, headers: { "x-api-key": originHeader } },
    ],
    healthCheck: {
      path: "/503",
      headers: { "x-check-key": SECRET.checkHeader },
      intervalSeconds: 60,
      timeoutMs: 2000,
      healthyThreshold: 1,
      unhealthyThreshold: 1,
    },
  };
}

afterEach(() => {
  vi.restoreAllMocks();
});

/** Every form of `secret` that must not be shown: itself and its SHA-256 as hex, base64 and base64url. */
async function forms(secret: string): Promise<string[]> {
  const digest = new Uint8Array(await crypto.subtle.digest("SHA-256", new TextEncoder().encode(secret)));
  const hex = [...digest].map((byte) => byte.toString(16).padStart(2, "0")).join("");
  const base64 = btoa(String.fromCharCode(...digest));
  const base64url = base64.replace(/\+/g, "-").replace(/\//g, "_").replace(/=+$/, "");
  return [secret, hex, base64.replace(/=+$/, ""), base64url];
}

/** A response as text: status, every header and the body. */
async function transcript(response: Response): Promise<string> {
  const headers = [...response.headers].map(([name, value]) => `${name}: ${value}`).join("\n");
  return `${response.status}\n${headers}\n\n${await response.text()}`;
}

describe("secrets in every output", () => {
  it("shows no secret, nor a hash of one, to the read token, in logs, metrics or webhooks", async () => {
    const logs: string[] = [];
    for (const level of ["log", "info", "warn", "error", "debug"] as const) {
      vi.spyOn(console, level).mockImplementation((...args: unknown[]) => {
        logs.push(args.map((arg) => (typeof arg === "string" ? arg : JSON.stringify(arg))).join(" "));
      });
    }
    /** Outputs that must hold no secret: [where, text]. */
    const outputs: [string, string][] = [];
    const points: unknown[] = [];
    const traffic = {
      ...env,
      REQUEST_LOG_SAMPLE_RATE: "1",
      AFFINITY_SECRET: SECRET.affinitySecret,
      ANALYTICS: { writeDataPoint: (point?: AnalyticsEngineDataPoint) => void points.push(point ?? {}) },
    };
    const admin = async (method: string, path: string, body?: unknown, contentType?: string) => {
      const response = await call(method, `${API}${path}`, { body, contentType });
      const text = await response.text();
      expect(response.status, `${method} ${path}: ${text}`).toBeLessThan(300);
      return text;
    };

    // Create: a webhook with a secret (its URL path is a credential too), a pool, a load balancer.
    await admin("POST", "/notifications", {
      id: "audit",
      url: `${ORIGIN}/hook/${HOOK}`,
      secret: SECRET.notifySecret,
    });
    // The same in the slack format, and one whose receiver refuses connections (its errors are shown).
    await admin("POST", "/notifications", {
      id: "audit-slack",
      url: `${ORIGIN}/hook/${HOOK}-slack?token=${HOOK}`,
      format: "slack",
      events: ["config_changed"],
      secret: SECRET.notifySecret,
    });
    await admin("POST", "/notifications", {
      id: "audit-refused",
      url: `http://127.0.0.1:1/hook/${HOOK}`,
      secret: SECRET.notifySecret,
    });
    await admin("POST", "/pools", pool(SECRET.originHeader));
    await admin("POST", "/load_balancers", {
      id: "audit-lb",
      hostname: LB_HOST,
      pools: [POOL_ID],
      sessionAffinity: { type: "cookie" },
    });
    const createdAt = (await json<{ version: number }>(await call("GET", `${API}/config`))).version;
    await runDurableObjectAlarm(env.POOL_STATE.getByName(POOL_ID));

    // Traffic through the edge, with an affinity cookie set and sent back.
    const first = await send(`http://${LB_HOST}/200`, {}, traffic);
    expect(first.status).toBe(200);
    const cookie = first.headers.get("set-cookie")?.split(";")[0] ?? "";
    expect((await send(`http://${LB_HOST}/200`, { headers: { cookie } }, traffic)).status).toBe(200);

    // Change a header value, preview and roll it back.
    await admin("PUT", `/pools/${POOL_ID}`, pool(SECRET.originHeaderV2));
    const current = JSON.parse(await admin("GET", "/config")) as { pools: Record<string, unknown>[] };
    const document = {
      ...current,
      pools: current.pools.map((p) => (p.id === POOL_ID ? pool(SECRET.originHeader) : p)),
    };
    outputs.push(["PUT /config?dryRun (admin)", await admin("PUT", "/config?dryRun=true", document)]);
    outputs.push([
      "rollback dry run (admin)",
      await admin("POST", "/config/rollback?dryRun=true", { version: createdAt }),
    ]);
    outputs.push(["rollback (admin)", await admin("POST", "/config/rollback", { version: createdAt })]);
    await runDurableObjectAlarm(env.POOL_STATE.getByName(POOL_ID));

    // Re-key the webhook and send a test event.
    outputs.push([
      "notification patch (admin)",
      await admin(
        "PATCH",
        "/notifications/audit",
        { secret: SECRET.notifySecretV2 },
        "application/merge-patch+json",
      ),
    ]);
    outputs.push(["notification test (admin)", await admin("POST", "/notifications/audit/test")]);
    const refusedTest = await admin("POST", "/notifications/audit-refused/test");
    expect(JSON.parse(refusedTest)).toMatchObject({ delivered: false, error: expect.any(String) });
    outputs.push(["refused receiver's test (admin)", refusedTest]);

    // Writes that are refused, with the admin token and with the read token, each carrying a secret.
    const reservedHeader = {
      ...pool(SECRET.refused),
      origins: [{ name: "a", address: ORIGIN, headers: { host: SECRET.refused } }],
    };
    const requests = [{ url: `http://${LB_HOST}/` }];
    const refusedWrites: [string, string, unknown, string | null][] = [
      [
        "POST",
        "/notifications",
        { id: "short", url: `${ORIGIN}/hook/short`, secret: "s3cr3t-refused" },
        ADMIN_TOKEN,
      ],
      ["POST", "/notifications", { id: "bad", url: `ftp://127.0.0.1/${SECRET.refused}` }, ADMIN_TOKEN],
      ["POST", "/pools", { ...pool(`${SECRET.refused}\u0001`), id: "audit-bad" }, ADMIN_TOKEN],
      [
        "POST",
        "/pools",
        {
          ...pool(SECRET.refused),
          id: "audit-bad",
          origins: [{ name: "a", address: ORIGIN, headers: { host: SECRET.refused } }],
        },
        ADMIN_TOKEN,
      ],
      ["PUT", `/pools/${POOL_ID}`, { ...pool(SECRET.refused), algorithm: "nope" }, ADMIN_TOKEN],
      ["PUT", `/pools/${POOL_ID}`, pool(SECRET.refused), READ_TOKEN],
      ["PATCH", "/notifications/audit", { secret: SECRET.refused }, READ_TOKEN],
      ["PUT", `/pools/${POOL_ID}`, pool(SECRET.refused), `wrong-${SECRET.refused}`],
      ["PUT", "/config", { pools: [reservedHeader], loadBalancers: [] }, ADMIN_TOKEN],
      ["POST", "/explain", { config: { pools: [reservedHeader], loadBalancers: [] }, requests }, READ_TOKEN],
    ];
    const unquoted = `{"id":"audit-bad","origins":[{"name":"a","headers":{"authorization":${SECRET.unquoted}}}]}`;
    const malformed = await call("POST", `${API}/pools`, { raw: unquoted });
    expect(malformed.status).toBe(400);
    outputs.push(["malformed JSON", await transcript(malformed)]);
    for (const [method, path, body, token] of refusedWrites) {
      const response = await call(method, `${API}${path}`, { body, token });
      expect(response.status, `${method} ${path}`).toBeGreaterThanOrEqual(400);
      outputs.push([`refused ${method} ${path}`, await transcript(response)]);
    }

    // Webhook deliveries: the configuration changes and the test event.
    const hooks = await waitFor(
      () => received(HOOK),
      (list) =>
        list.some((d) => d.body.includes('"type":"test"')) &&
        list.filter((d) => d.body.includes("config_changed")).length >= 3,
      "config_changed and test deliveries",
    );
    const slack = await waitFor(
      () => received(`${HOOK}-slack`),
      (list) => list.length >= 3,
      "config_changed deliveries in the slack format",
    );
    for (const delivery of [...hooks, ...slack]) {
      const { "x-edge-lb-signature": _signature, ...headers } = delivery.headers;
      outputs.push(["webhook delivery", `${JSON.stringify(headers)}\n${delivery.body}`]);
    }

    // Everything the read token can read.
    const versions = await json<{ items: { version: number }[] }>(
      await call("GET", `${API}/config/versions`, { token: READ_TOKEN }),
    );
    expect(versions.items.length).toBeGreaterThanOrEqual(4);
    const reads = [
      ...[
        "/pools",
        `/pools/${POOL_ID}`,
        "/load_balancers",
        "/load_balancers/audit-lb",
        "/config",
        "/config/versions",
      ].map((p) => API + p),
      ...versions.items.map((item) => `${API}/config/versions/${item.version}`),
      ...[
        "/audit",
        "/events",
        "/status",
        "/overview",
        `/pools/${POOL_ID}/health`,
        `/pools/${POOL_ID}/history`,
      ].map((p) => API + p),
      ...[
        "/load_balancers/audit-lb/history",
        "/notifications",
        "/notifications/audit",
        "/notifications/audit/deliveries",
        "/notifications/audit-slack",
        "/notifications/audit-slack/deliveries",
        "/notifications/audit-refused",
        "/notifications/audit-refused/deliveries",
      ].map((p) => API + p),
      `${API}/explain?url=${encodeURIComponent(`http://${LB_HOST}/200`)}&header.cookie=${encodeURIComponent(cookie)}`,
      "/__lb/metrics",
      "/__lb/",
      "/__lb/openapi.json",
      "/__lb/docs",
      "/__lb/healthz",
    ];
    for (const path of reads) {
      const response = await call("GET", path, { token: READ_TOKEN });
      expect(response.status, path).toBe(200);
      const etag = response.headers.get("etag");
      if (etag !== null)
        expect(etag, `${path} ETag is the version, nothing derived from content`).toMatch(/^"\d+"$/);
      outputs.push([`GET ${path} (read)`, await transcript(response)]);
    }
    const explained = await call("POST", `${API}/explain`, {
      token: READ_TOKEN,
      body: { requests: [{ url: `http://${LB_HOST}/200`, headers: { cookie } }] },
    });
    expect(explained.status).toBe(200);
    outputs.push(["POST /explain (read)", await transcript(explained)]);

    vi.restoreAllMocks();
    const affinityKey = await env.CONFIG_STORE.getByName("global").affinityKey();
    const forbidden = await Promise.all(
      [...Object.entries(SECRET), ["affinityKey", affinityKey] as const].map(async ([name, value]) => ({
        name,
        forms: await forms(value),
      })),
    );
    outputs.push(...logs.map((line): [string, string] => ["log line", line]));
    outputs.push(...points.map((point): [string, string] => ["analytics point", JSON.stringify(point)]));
    const leaks: string[] = [];
    for (const [where, text] of outputs) {
      for (const { name, forms: shapes } of forbidden) {
        // The admin token reads the webhook's URL in full; everything else about it is secret to all.
        if (name === "hookPath" && where.endsWith("(admin)")) continue;
        if (shapes.some((shape) => text.includes(shape)))
          leaks.push(`${name} in ${where}: ${text.slice(0, 300)}`);
      }
    }
    expect(leaks).toEqual([]);

    // The audit saw what it audits: the changes were logged and delivered, the traffic observed,
    // and the admin token still reads every secret it set.
    expect(logs.filter((line) => line.includes('"config_change"')).length).toBeGreaterThanOrEqual(4);
    expect(logs.some((line) => line.includes('"event":"request"'))).toBe(true);
    expect(logs.some((line) => line.includes('"notification_delivery_failed"'))).toBe(true);
    expect(points.length).toBe(2);
    expect(cookie).not.toBe("");
    const readConfig = outputs.find(([where]) => where === `GET ${API}/config (read)`)?.[1] ?? "";
    expect(readConfig).toContain('"authorization":"<redacted>"');
    expect(readConfig).toContain('"x-check-key":"<redacted>"');
    const asAdmin = await admin("GET", `/pools/${POOL_ID}`);
    expect(asAdmin).toContain(SECRET.originHeader);
    expect(asAdmin).toContain(SECRET.checkHeader);
  }, 60_000);
});
