import { env, SELF } from "cloudflare:test";
import { expect, it } from "vitest";

it("answers healthz through the DO", async () => {
  const res = await SELF.fetch("http://lb.test/__lb/healthz");
  expect(await res.json()).toEqual({ ok: true, store: "pong" });
  expect(env.ADMIN_TOKEN).toBe("test-admin-token");
});
