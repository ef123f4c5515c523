import { describe, expect, it } from "vitest";
import { LoadBalancerSchema } from "../../../worker/config/schema.ts";
import { declaredBodyBytes, mirrorVerdict } from "../../../worker/routing/mirror.ts";
import { seeded } from "../../helpers/seeded-random.ts";

function mirror(input: Record<string, unknown>) {
  const lb = LoadBalancerSchema.parse({
    id: "x",
    hostname: "x.test",
    pools: ["a"],
    mirror: { pool: "shadow", ...input },
  });
  if (!lb.mirror) throw new Error("no mirror");
  return lb.mirror;
}

describe("mirror verdict", () => {
  it("defaults: every GET and HEAD up to 64 KiB", () => {
    const m = mirror({});
    expect(m).toEqual({ pool: "shadow", percent: 100, methods: ["GET", "HEAD"], maxBodyBytes: 65_536 });
    expect(mirrorVerdict(m, "GET", 0, () => 0.99)).toBe("mirror");
    expect(mirrorVerdict(m, "POST", 0, () => 0)).toBe("method");
  });

  it("copies the configured share", () => {
    const m = mirror({ percent: 25 });
    const random = seeded(7);
    let copied = 0;
    for (let i = 0; i < 10_000; i++) if (mirrorVerdict(m, "GET", 0, random) === "mirror") copied++;
    expect(Math.abs(copied - 2500)).toBeLessThan(250);
    expect(mirrorVerdict(mirror({ percent: 0 }), "GET", 0, () => 0)).toBe("sampled_out");
  });

  it("skips bodies larger than maxBodyBytes", () => {
    const m = mirror({ methods: ["POST"], maxBodyBytes: 10 });
    expect(mirrorVerdict(m, "POST", 11, () => 0)).toBe("too_large");
    expect(mirrorVerdict(m, "POST", 10, () => 0)).toBe("mirror");
    expect(mirrorVerdict(m, "POST", null, () => 0)).toBe("mirror");
  });

  it("reads the declared body size", () => {
    expect(declaredBodyBytes(null, false)).toBe(0);
    expect(declaredBodyBytes("42", true)).toBe(42);
    expect(declaredBodyBytes(null, true)).toBeNull();
    expect(declaredBodyBytes("4x", true)).toBeNull();
  });
});
