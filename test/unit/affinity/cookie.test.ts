import { describe, expect, it } from "vitest";
import {
  type AffinityPin,
  affinitySetCookie,
  importAffinityKey,
  shouldRefreshPin,
  signAffinityCookie,
  verifyAffinityCookie,
} from "../../../worker/affinity/cookie.ts";

const NOW = Date.UTC(2030, 0, 1);
const PIN: AffinityPin = {
  loadBalancerId: "www",
  poolId: "web-eu",
  origin: "eu-1.a_b",
  expiresAt: NOW + 3600_000,
};
const BASE64URL = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_";

function key(secret = "affinity-secret"): Promise<CryptoKey> {
  return importAffinityKey(new TextEncoder().encode(secret));
}

describe("affinity cookie", () => {
  it("round-trips a pin: load balancer, pool, origin and expiry", async () => {
    const k = await key();
    const value = await signAffinityCookie(k, PIN);
    expect(value).toMatch(/^[A-Za-z0-9_-]+\.[A-Za-z0-9_-]{43}$/);
    expect(await verifyAffinityCookie(k, value, { loadBalancerId: "www", now: NOW })).toEqual(PIN);
  });

  it("stores the expiry in whole seconds", async () => {
    const k = await key();
    const value = await signAffinityCookie(k, { ...PIN, expiresAt: NOW + 1999 });
    const pin = await verifyAffinityCookie(k, value, { loadBalancerId: "www", now: NOW });
    expect(pin?.expiresAt).toBe(NOW + 1000);
  });

  it("rejects the cookie once any single character is altered", async () => {
    const k = await key();
    const value = await signAffinityCookie(k, PIN);
    for (let i = 0; i < value.length; i++) {
      const replacement = value[i] === "A" ? "B" : "A";
      const tampered = value.slice(0, i) + replacement + value.slice(i + 1);
      expect(await verifyAffinityCookie(k, tampered, { loadBalancerId: "www", now: NOW })).toBeNull();
    }
  });

  it("rejects a payload re-signed by anyone without the key (forged origin)", async () => {
    const k = await key();
    const [, signature] = (await signAffinityCookie(k, PIN)).split(".");
    const forged = btoa("1|www|web-eu|eu-2|9999999999")
      .replace(/=+$/, "")
      .replace(/\+/g, "-")
      .replace(/\//g, "_");
    expect(
      await verifyAffinityCookie(k, `${forged}.${signature}`, { loadBalancerId: "www", now: NOW }),
    ).toBeNull();
  });

  it("rejects an expired cookie (injected clock)", async () => {
    const k = await key();
    const value = await signAffinityCookie(k, PIN);
    expect(
      await verifyAffinityCookie(k, value, { loadBalancerId: "www", now: PIN.expiresAt - 1 }),
    ).not.toBeNull();
    expect(await verifyAffinityCookie(k, value, { loadBalancerId: "www", now: PIN.expiresAt })).toBeNull();
    expect(
      await verifyAffinityCookie(k, value, { loadBalancerId: "www", now: PIN.expiresAt + 86_400_000 }),
    ).toBeNull();
  });

  it("rejects a cookie issued for another load balancer", async () => {
    const k = await key();
    const value = await signAffinityCookie(k, PIN);
    expect(await verifyAffinityCookie(k, value, { loadBalancerId: "api", now: NOW })).toBeNull();
  });

  it("rejects a cookie signed with another key", async () => {
    const value = await signAffinityCookie(await key("secret-one"), PIN);
    const expected = { loadBalancerId: "www", now: NOW };
    expect(await verifyAffinityCookie(await key("secret-two"), value, expected)).toBeNull();
    expect(await verifyAffinityCookie(await key("secret-one"), value, expected)).toEqual(PIN);
  });

  it("ignores malformed values", async () => {
    const k = await key();
    const valid = await signAffinityCookie(k, PIN);
    const malformed = [
      "",
      null,
      undefined,
      "abc",
      ".",
      `${valid}.x`,
      `${valid}=`,
      valid.replace(".", "!"),
      `a.${valid.split(".")[1]}`,
      "x".repeat(10_000),
      `${BASE64URL}.${BASE64URL}`,
    ];
    for (const value of malformed) {
      expect(await verifyAffinityCookie(k, value, { loadBalancerId: "www", now: NOW })).toBeNull();
    }
  });

  it("refuses to sign ids that would make the payload ambiguous", async () => {
    const k = await key();
    await expect(signAffinityCookie(k, { ...PIN, origin: "a|b" })).rejects.toThrow(RangeError);
    await expect(signAffinityCookie(k, { ...PIN, poolId: "" })).rejects.toThrow(RangeError);
  });

  it("builds the Set-Cookie header with the required attributes", () => {
    expect(affinitySetCookie("__lb", "v.s", { ttlSeconds: 82_800, secure: true })).toBe(
      "__lb=v.s; Max-Age=82800; Path=/; HttpOnly; Secure; SameSite=Lax",
    );
    expect(affinitySetCookie("sticky", "v.s", { ttlSeconds: 60, secure: false })).toBe(
      "sticky=v.s; Max-Age=60; Path=/; HttpOnly; SameSite=Lax",
    );
  });

  it("asks for a refresh once a pin is past half its lifetime", () => {
    const ttlSeconds = 3600;
    const pin = { ...PIN, expiresAt: NOW + ttlSeconds * 1000 };
    expect(shouldRefreshPin(pin, NOW, ttlSeconds)).toBe(false);
    expect(shouldRefreshPin(pin, NOW + 1_799_000, ttlSeconds)).toBe(false);
    expect(shouldRefreshPin(pin, NOW + 1_801_000, ttlSeconds)).toBe(true);
  });
});
