import { describe, expect, it } from "vitest";
import type { AffinityPin } from "../../../worker/affinity/cookie.ts";
import {
  resolveAffinity,
  resolveCookieAffinity,
  resolveKeyAffinity,
} from "../../../worker/affinity/resolve.ts";
import { createHashBalancer } from "../../../worker/balancing/hash.ts";
import type { Candidate } from "../../../worker/balancing/types.ts";

const NOW = Date.UTC(2030, 0, 1);
const TTL = 3600;
const POOL = ["a", "b", "c"].map((name) => ({ name, weight: 1 }));
const ALL: Candidate[] = POOL.map((origin, index) => ({ ...origin, index, inflight: 0, latencyMs: null }));
const without = (...names: string[]) => ALL.filter((c) => !names.includes(c.name));
/** The pool's algorithm, standing in: always the last usable origin, so its choice is visible. */
const chooseLast = (candidates: readonly Candidate[]) => candidates[candidates.length - 1];

function pinTo(origin: string, overrides: Partial<AffinityPin> = {}): AffinityPin {
  return { loadBalancerId: "www", poolId: "web", origin, expiresAt: NOW + TTL * 1000, ...overrides };
}

function cookie(
  pin: AffinityPin | null,
  candidates: readonly Candidate[],
  onOriginFailure: "reselect" | "temporary",
) {
  const decision = resolveCookieAffinity({
    pin,
    poolId: "web",
    poolOrigins: POOL,
    candidates,
    onOriginFailure,
    choose: chooseLast,
    now: NOW,
    ttlSeconds: TTL,
  });
  return { origin: decision.origin?.name, issueCookie: decision.issueCookie, outcome: decision.outcome };
}

describe("cookie affinity", () => {
  it("picks with the pool's algorithm and pins a client that has no cookie", () => {
    expect(cookie(null, ALL, "reselect")).toEqual({ origin: "c", issueCookie: true, outcome: "new" });
  });

  it("serves a pinned client from its origin without re-sending the cookie", () => {
    expect(cookie(pinTo("a"), ALL, "reselect")).toEqual({
      origin: "a",
      issueCookie: false,
      outcome: "pinned",
    });
    expect(cookie(pinTo("a"), ALL, "temporary")).toEqual({
      origin: "a",
      issueCookie: false,
      outcome: "pinned",
    });
  });

  it("re-issues the cookie of an active session past half its lifetime", () => {
    const aging = pinTo("a", { expiresAt: NOW + 1000 });
    expect(cookie(aging, ALL, "reselect")).toEqual({ origin: "a", issueCookie: true, outcome: "pinned" });
  });

  it("reselect: re-pins to another origin when the pinned one is down", () => {
    expect(cookie(pinTo("c"), without("c"), "reselect")).toEqual({
      origin: "b",
      issueCookie: true,
      outcome: "reselected",
    });
  });

  it("temporary: serves from another origin but keeps the pin, and returns when it recovers", () => {
    expect(cookie(pinTo("c"), without("c"), "temporary")).toEqual({
      origin: "b",
      issueCookie: false,
      outcome: "temporary",
    });
    expect(cookie(pinTo("c"), ALL, "temporary")).toEqual({
      origin: "c",
      issueCookie: false,
      outcome: "pinned",
    });
  });

  it("replaces a pin to an origin removed from the pool, in both modes", () => {
    for (const mode of ["reselect", "temporary"] as const) {
      expect(cookie(pinTo("gone"), ALL, mode)).toEqual({
        origin: "c",
        issueCookie: true,
        outcome: "reselected",
      });
    }
  });

  it("ignores a pin to another pool and pins the client in this one", () => {
    expect(cookie(pinTo("a", { poolId: "other" }), ALL, "temporary")).toEqual({
      origin: "c",
      issueCookie: true,
      outcome: "new",
    });
  });

  it("treats a pin to another pool of the load balancer whose origin is down by onOriginFailure", () => {
    const elsewhere = pinTo("a", { poolId: "other" });
    const decide = (mode: "reselect" | "temporary") =>
      resolveCookieAffinity({
        pin: elsewhere,
        poolId: "web",
        poolOrigins: POOL,
        pinElsewhereExists: true,
        candidates: ALL,
        onOriginFailure: mode,
        choose: chooseLast,
        now: NOW,
        ttlSeconds: TTL,
      });
    expect(decide("temporary")).toMatchObject({ issueCookie: false, outcome: "temporary" });
    expect(decide("reselect")).toMatchObject({ issueCookie: true, outcome: "reselected" });
    expect(decide("reselect").origin?.name).toBe("c");
  });

  it("issues nothing when no origin is usable", () => {
    for (const pin of [null, pinTo("a")]) {
      expect(cookie(pin, [], "reselect")).toEqual({
        origin: undefined,
        issueCookie: false,
        outcome: "unavailable",
      });
    }
  });

  it("issues nothing when the pool's algorithm finds nothing", () => {
    const decision = resolveAffinity({
      pinned: null,
      pinnedInPool: false,
      candidates: ALL,
      onOriginFailure: "reselect",
      choose: () => undefined,
      cookie: true,
      refresh: false,
    });
    expect(decision).toEqual({ origin: undefined, issueCookie: false, outcome: "new" });
  });
});

describe("header and ip affinity", () => {
  const pool = Array.from({ length: 10 }, (_, i) => ({ name: `o${i}`, weight: 1 }));
  const all: Candidate[] = pool.map((origin, index) => ({ ...origin, index, inflight: 0, latencyMs: null }));
  const hash = createHashBalancer(pool);
  const keys = Array.from({ length: 2000 }, (_, i) => `198.51.100.${i % 256}-${i}`);

  it("serves each key from its home origin and never sets a cookie", () => {
    for (const key of keys) {
      const decision = resolveKeyAffinity(hash, key, all, Math.random);
      expect(decision.origin?.name).toBe(hash.home(key));
      expect(decision.issueCookie).toBe(false);
      expect(decision.outcome).toBe("pinned");
    }
  });

  it("moves the keys of a down origin to a stable next preference, and back when it recovers", () => {
    const usable = all.filter((c) => c.name !== "o4");
    let displaced = 0;
    for (const key of keys) {
      const during = resolveKeyAffinity(hash, key, usable, Math.random);
      expect(during.issueCookie).toBe(false);
      if (hash.home(key) === "o4") {
        displaced++;
        expect(during.outcome).toBe("temporary");
        expect(during.origin?.name).not.toBe("o4");
        expect(resolveKeyAffinity(hash, key, usable, Math.random).origin).toBe(during.origin);
      } else {
        expect(during.origin?.name).toBe(hash.home(key));
      }
      expect(resolveKeyAffinity(hash, key, all, Math.random).origin?.name).toBe(hash.home(key));
    }
    expect(displaced).toBeGreaterThan(0);
  });
});
