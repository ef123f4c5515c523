import { describe, expect, it } from "vitest";
import { type LoadBalancer, LoadBalancerSchema } from "../../../worker/config/schema.ts";
import { normalizePath } from "../../../worker/http/path.ts";
import { buildRouteIndex, matchLoadBalancer } from "../../../worker/routing/match.ts";

function lb(id: string, pathPrefix: string): LoadBalancer {
  return {
    ...LoadBalancerSchema.parse({ id, hostname: "www.example.com", pools: ["p"], pathPrefix }),
    version: 1,
  };
}

describe("path normalisation (RFC 3986 6.2.2)", () => {
  it("decodes unreserved characters and upper-cases every other percent-encoding", () => {
    expect(normalizePath("/%61dmin")).toBe("/admin");
    expect(normalizePath("/%41%5a%30%2D%2e%5F%7e")).toBe("/AZ0-._~");
    expect(normalizePath("/a%2fb%3a%20c")).toBe("/a%2Fb%3A%20c");
    expect(normalizePath("/%e4%b8%ad")).toBe("/%E4%B8%AD");
  });

  it("leaves paths without escapes and malformed escapes alone", () => {
    const plain = "/api/v1/users";
    expect(normalizePath(plain)).toBe(plain);
    expect(normalizePath("/100%")).toBe("/100%");
    expect(normalizePath("/%zz%6")).toBe("/%zz%6");
    expect(normalizePath("/%%61")).toBe("/%a");
  });

  it("routes an encoded path to the load balancer of the path it names", () => {
    const index = buildRouteIndex([lb("site", "/"), lb("admin", "/admin"), lb("tilde", "/%7Euser")]);
    const route = (path: string) => matchLoadBalancer(index, "www.example.com", path)?.loadBalancer.id;
    expect(route("/admin/users")).toBe("admin");
    expect(route("/%61dmin")).toBe("admin");
    expect(route("/%61%64%6d%69%6e/users")).toBe("admin");
    expect(route("/%41dmin")).toBe("site");
    expect(route("/~user/x")).toBe("tilde");
    expect(route("/%7euser")).toBe("tilde");
    // A reserved character stays encoded: %2F is not a segment boundary.
    expect(route("/admin%2Fusers")).toBe("site");
  });
});
