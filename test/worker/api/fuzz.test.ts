/**
 * No input gets a 500: junk of every JSON type at every field of a pool and a load balancer, on
 * create, patch and the whole-configuration document, and junk in paths and query strings.
 */
import { describe, expect, it, vi } from "vitest";
import { API, call, create, expectProblem } from "./support.ts";

// Hundreds of requests per test: a guard against hangs, not a timing assertion (a loaded 2-core
// machine takes seconds; the suite-wide 30 s guard was too tight for these).
vi.setConfig({ testTimeout: 120_000 });

const JUNK: unknown[] = [
  null,
  true,
  "",
  "x",
  "NaN",
  "Infinity",
  "\u0000",
  "\ud83d\udca5",
  "y".repeat(5000),
  -1,
  0,
  1.5,
  1e308,
  -1e308,
  [],
  [null],
  [{}],
  {},
  { a: 1 },
];

const FULL_POOL = {
  description: "full",
  enabled: true,
  algorithm: "hash",
  hashOn: "header:x-user",
  minimumOrigins: 1,
  slowStartSeconds: 10,
  origins: [
    {
      name: "a",
      address: "http://127.0.0.1:1/base",
      weight: 2,
      enabled: true,
      backup: false,
      hostHeader: "a.example.com",
      headers: { "x-a": "1" },
      maxConnections: 10,
    },
  ],
  healthCheck: {
    // Off, so the fuzzed pools send no probes anywhere.
    enabled: false,
    path: "/h",
    method: "GET",
    headers: { "x-h": "1" },
    expectedCodes: "200-299,301",
    expectedBody: "ok",
    intervalSeconds: 30,
    timeoutMs: 1000,
    healthyThreshold: 2,
    unhealthyThreshold: 3,
    followRedirects: false,
  },
  passiveHealth: {
    enabled: true,
    consecutiveFailures: 5,
    ejectionSeconds: 30,
    maxEjectionPercent: 50,
    failOn: "gateway",
  },
};

const FULL_LB = {
  description: "",
  hostname: "*.fuzz.test",
  pathPrefix: "/api",
  enabled: true,
  pools: ["fz-base"],
  fallbackPool: "fz-base",
  steering: "random",
  poolWeights: { "fz-base": 1 },
  regionPools: { WEUR: ["fz-base"] },
  countryPools: { US: ["fz-base"] },
  sessionAffinity: {
    type: "header",
    cookieName: "__lb",
    headerName: "x-s",
    ttlSeconds: 60,
    onOriginFailure: "temporary",
  },
  retries: { attempts: 1, onStatus: [502], methods: ["GET"], bufferBodyBytes: 1024 },
  timeouts: { requestMs: 1000 },
  debugHeaders: true,
};

type Path = (string | number)[];

/** Every path into `value`, objects and arrays included. */
function paths(value: unknown, prefix: Path = []): Path[] {
  const found: Path[] = prefix.length > 0 ? [prefix] : [];
  if (Array.isArray(value)) {
    value.forEach((item, i) => {
      found.push(...paths(item, [...prefix, i]));
    });
  } else if (value !== null && typeof value === "object") {
    for (const [key, item] of Object.entries(value)) found.push(...paths(item, [...prefix, key]));
  }
  return found;
}

function replaced(value: unknown, path: Path, junk: unknown): unknown {
  const copy = structuredClone(value) as Record<string | number, unknown>;
  let target = copy;
  for (const key of path.slice(0, -1)) target = target[key] as Record<string | number, unknown>;
  target[path[path.length - 1] as string | number] = junk;
  return copy;
}

async function expectNo500(response: Response, what: string): Promise<void> {
  if (response.status >= 400) await expectProblem(response, response.status, what);
  else await response.body?.cancel();
  expect(response.status, what).toBeLessThan(500);
}

describe("junk at every field", () => {
  it("never answers 500 on create or in a whole-configuration dry run", async () => {
    await create("pools", { id: "fz-base", ...FULL_POOL });
    let n = 0;
    for (const [kind, full] of [
      ["pools", FULL_POOL],
      ["load_balancers", FULL_LB],
    ] as const) {
      for (const path of paths(full)) {
        for (const junk of JUNK) {
          const input = replaced(full, path, junk) as Record<string, unknown>;
          const what = `${kind} ${path.join(".")} = ${JSON.stringify(junk)?.slice(0, 20)}`;
          const id = `fz-${n++}`;
          const created = await call("POST", `${API}/${kind}`, { body: { ...input, id } });
          await expectNo500(created, what);
          const doc =
            kind === "pools"
              ? { pools: [{ ...input, id: "fz-base" }] }
              : { pools: [{ ...FULL_POOL, id: "fz-base" }], loadBalancers: [{ ...input, id: "fz-lb" }] };
          await expectNo500(await call("PUT", `${API}/config?dryRun=true`, { body: doc }), `config ${what}`);
        }
      }
    }
  });

  it("never answers 500 to a junk merge patch", async () => {
    await create("pools", { id: "fz-patch", ...FULL_POOL });
    for (const path of paths(FULL_POOL)) {
      for (const junk of JUNK) {
        const patch = replaced(FULL_POOL, path, junk);
        const what = `${path.join(".")} = ${JSON.stringify(junk)?.slice(0, 20)}`;
        const response = await call("PATCH", `${API}/pools/fz-patch`, { body: patch });
        await expectNo500(response, what);
        if (response.status === 200) await call("PUT", `${API}/pools/fz-patch`, { body: FULL_POOL });
      }
    }
  });
});

describe("junk in the configuration document", () => {
  it("never answers 500, and applies nothing", async () => {
    const before = await (await call("GET", `${API}/config`)).text();
    // An empty list is a valid document (it deletes everything), not junk.
    for (const junk of JUNK.filter((value) => !(Array.isArray(value) && value.length === 0))) {
      for (const doc of [
        { pools: junk },
        { loadBalancers: junk },
        { pools: [junk] },
        { loadBalancers: [junk] },
      ]) {
        const what = JSON.stringify(doc).slice(0, 40);
        await expectNo500(await call("PUT", `${API}/config`, { body: doc }), what);
      }
    }
    expect(await (await call("GET", `${API}/config`)).text()).toBe(before);
  });
});

describe("junk in paths and queries", () => {
  it("never answers 500 to odd paths", async () => {
    const odd = [
      "/pools/%",
      "/pools/%ZZ",
      "/pools/%00",
      "/pools/%2e%2e",
      "/pools/..%2F..%2Fconfig",
      `/pools/${"a".repeat(10_000)}`,
      "/pools//",
      "/pools/x/origins/%FF/drain",
      "/pools/x/origins//drain",
      `/pools/x/origins/${"b".repeat(10_000)}/undrain`,
      "/load_balancers/%E2%82",
      "/config/",
      "/status?x=%",
      "/events?limit=1e3",
      "/events?limit=%00",
      "/events?limit=",
      "/events?limit=1&limit=2",
      "/explain",
      "/explain?url=%",
      "/explain?url=javascript:alert(1)",
      "/explain?url=http://x.test/&ip=999.1.1.1",
      "/explain?url=http://x.test/&header.=x",
      `/explain?url=http://x.test/${"p".repeat(10_000)}`,
      "/pools?limit=-1&sort=%",
    ];
    for (const path of odd) {
      for (const method of ["GET", "POST", "PUT", "PATCH", "DELETE"]) {
        const response = await call(method, `${API}${path}`, {
          body: method === "GET" || method === "DELETE" ? undefined : {},
        });
        await expectNo500(response, `${method} ${path.slice(0, 60)}`);
      }
    }
  });
});

describe("junk at the limits", () => {
  /** Oversized values at each new bound, with reserved and placeholder header values among them. */
  const OVERSIZED: [string, unknown][] = [
    ["pathPrefix", `/${"p".repeat(5000)}`],
    [
      "regionPools",
      Object.fromEntries(
        Array.from({ length: 100 }, (_, i) => [
          `R${String.fromCharCode(65 + (i % 26))}${i}`.slice(0, 5).toUpperCase(),
          ["fz-base"],
        ]),
      ),
    ],
    [
      "countryPools",
      Object.fromEntries(
        Array.from({ length: 676 }, (_, i) => [
          String.fromCharCode(65 + Math.floor(i / 26), 65 + (i % 26)),
          ["fz-base"],
        ]),
      ),
    ],
    ["countryPools", { US: Array.from({ length: 50 }, () => "fz-base") }],
    ["retries", { bufferBodyBytes: 10 * 1024 * 1024 + 1 }],
    ["retries", { bufferBodyBytes: 1e308 }],
  ];
  const HEADER_JUNK: unknown[] = [
    Object.fromEntries(Array.from({ length: 200 }, (_, i) => [`x-h-${i}`, "v"])),
    { "x-edge-lb-hops": "0" },
    { "X-Forwarded-Anything": "x" },
    { "proxy-authorization": "Basic x" },
    { authorization: "<redacted>" },
  ];

  it("never answers 500 to values past a bound, in a resource or a document", async () => {
    await call("PUT", `${API}/pools/fz-base`, { body: FULL_POOL });
    if ((await call("GET", `${API}/pools/fz-base`)).status === 404)
      await create("pools", { id: "fz-base", ...FULL_POOL });
    for (const [field, junk] of OVERSIZED) {
      const what = `load balancer ${field}`;
      const input = { ...FULL_LB, id: "fz-limit-lb", [field]: junk };
      await expectNo500(await call("POST", `${API}/load_balancers`, { body: input }), what);
      const doc = { pools: [{ ...FULL_POOL, id: "fz-base" }], loadBalancers: [input] };
      await expectNo500(await call("PUT", `${API}/config?dryRun=true`, { body: doc }), `config ${what}`);
    }
    for (const headers of HEADER_JUNK) {
      const what = `headers ${JSON.stringify(headers).slice(0, 40)}`;
      const origins = [{ ...FULL_POOL.origins[0], headers }];
      const response = await call("POST", `${API}/pools`, {
        body: { ...FULL_POOL, id: "fz-headers", origins },
      });
      await expectNo500(response, what);
      expect(response.status, what).toBe(400);
      const check = { ...FULL_POOL.healthCheck, headers };
      await expectNo500(
        await call("PATCH", `${API}/pools/fz-base`, { body: { healthCheck: check } }),
        `check ${what}`,
      );
    }
  });

  it("never answers 500 to documents past the configuration's bounds", async () => {
    const pool = (id: string, origins: number) => ({
      id,
      origins: Array.from({ length: origins }, (_, i) => ({ name: `o${i}`, address: "http://127.0.0.1:9" })),
    });
    const documents: [string, unknown][] = [
      ["1001 pools", { pools: Array.from({ length: 1001 }, (_, i) => pool(`fzp${i}`, 1)) }],
      ["10001 origins", { pools: Array.from({ length: 11 }, (_, i) => pool(`fzo${i}`, 1000)) }],
      ["10001 pools", { pools: Array.from({ length: 10_001 }, (_, i) => ({ id: `z${i}` })) }],
    ];
    for (const [what, doc] of documents) {
      for (const query of ["?dryRun=true", ""]) {
        const response = await call("PUT", `${API}/config${query}`, { body: doc });
        await expectNo500(response, `${what}${query}`);
        expect(response.status, what).toBeGreaterThanOrEqual(400);
      }
    }
  });
});
