/**
 * Header values are secrets (credentials for origins): the admin token sees them, the read token sees
 * "<redacted>" everywhere the configuration is shown, and a document carrying the placeholder is
 * refused rather than stored.
 */
import { describe, expect, it } from "vitest";
import { API, call, json, READ_TOKEN } from "./support.ts";

const SECRET_ORIGIN = "origin-credential-3f9a";
const SECRET_CHECK = "check-credential-77c1";

const POOL = {
  id: "redact-web",
  origins: [
    { name: "a", address: "http://127.0.0.1:9001", headers: { authorization: `Bearer ${SECRET_ORIGIN}` } },
    { name: "b", address: "http://127.0.0.1:9002" },
  ],
  healthCheck: { path: "/health", headers: { "x-check-key": SECRET_CHECK } },
};

async function setUp(): Promise<void> {
  const response = await call("PUT", `${API}/pools/${POOL.id}`, { body: POOL });
  if (response.status === 404) expect((await call("POST", `${API}/pools`, { body: POOL })).status).toBe(201);
}

describe("secrets and the read token", () => {
  it("shows header values to the admin token only", async () => {
    await setUp();
    for (const path of [`/pools/${POOL.id}`, "/pools", "/config"]) {
      const admin = await (await call("GET", `${API}${path}`)).text();
      expect(admin, path).toContain(SECRET_ORIGIN);
      expect(admin, path).toContain(SECRET_CHECK);

      const read = await call("GET", `${API}${path}`, { token: READ_TOKEN });
      expect(read.status, path).toBe(200);
      const text = await read.text();
      expect(text, path).not.toContain(SECRET_ORIGIN);
      expect(text, path).not.toContain(SECRET_CHECK);
      expect(text, path).toContain('"authorization":"<redacted>"');
      expect(text, path).toContain('"x-check-key":"<redacted>"');
    }
  });

  it("redacts kept versions of the configuration for the read token", async () => {
    await setUp();
    const { version } = await json<{ version: number }>(await call("GET", `${API}/config`));
    const path = `${API}/config/versions/${version}`;
    const admin = await call("GET", path);
    if (admin.status === 404) return expect.fail("configuration history is not kept");
    expect(await admin.text()).toContain(SECRET_ORIGIN);
    const read = await (await call("GET", path, { token: READ_TOKEN })).text();
    expect(read).not.toContain(SECRET_ORIGIN);
    expect(read).not.toContain(SECRET_CHECK);
  });

  it("refuses a document exported with the read token and applied back, and keeps the secrets", async () => {
    await setUp();
    const exported = await json<Record<string, unknown>>(
      await call("GET", `${API}/config`, { token: READ_TOKEN }),
    );
    const applied = await call("PUT", `${API}/config`, { body: exported });
    expect(applied.status).toBe(400);
    const problem = await json<{ errors: { path: string; message: string }[] }>(applied);
    expect(problem.errors.map((e) => e.path)).toEqual(
      expect.arrayContaining([expect.stringMatching(/^pools\[\d+\]\.origins\[0\]\.headers\.authorization$/)]),
    );
    expect(problem.errors[0]?.message).toContain("<redacted>");

    const patched = await call("PATCH", `${API}/pools/${POOL.id}`, {
      body: { healthCheck: { headers: { "x-check-key": "<redacted>" } } },
      contentType: "application/merge-patch+json",
    });
    expect(patched.status).toBe(400);
    const after = await (await call("GET", `${API}/pools/${POOL.id}`)).text();
    expect(after).toContain(SECRET_ORIGIN);
    expect(after).toContain(SECRET_CHECK);
  });
});
