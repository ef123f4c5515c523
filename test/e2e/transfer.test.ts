import { randomBytes } from "node:crypto";
import { Readable } from "node:stream";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { poolOf, servePool } from "../helpers/admin-client.ts";
import { send } from "../helpers/http.ts";
import { startLoadBalancer, type TestLoadBalancer } from "../helpers/load-balancer.ts";
import { deterministicBytes, sha256 } from "../helpers/origins.ts";
import { throughLb } from "../helpers/through-lb.ts";

const FIVE_MIB = 5 * 1024 * 1024;

let lb: TestLoadBalancer;

beforeAll(async () => {
  lb = await startLoadBalancer({ origins: ["files"] });
  await servePool(lb.api, "files.test", poolOf("files", lb.origins));
});

afterAll(async () => {
  await lb?.stop();
});

describe("large bodies", () => {
  it("a 5 MiB upload with a length arrives byte-identical", async () => {
    const payload = randomBytes(FIVE_MIB);

    const { echo } = await throughLb(lb.url, "files.test", {
      method: "POST",
      path: "/upload",
      headers: { "content-type": "application/octet-stream" },
      body: payload,
    });

    expect(echo.method).toBe("POST");
    expect(echo.bodyBytes).toBe(FIVE_MIB);
    expect(echo.bodySha256).toBe(sha256(payload));
  });

  it("a 5 MiB chunked PUT, larger than the retry buffer, arrives byte-identical", async () => {
    const payload = randomBytes(FIVE_MIB);
    const chunks = Array.from({ length: 80 }, (_, i) => payload.subarray(i * 65_536, (i + 1) * 65_536));

    const { echo } = await throughLb(lb.url, "files.test", {
      method: "PUT",
      path: "/upload",
      headers: { "content-type": "application/octet-stream" },
      body: Readable.from(chunks),
    });

    expect(echo.method).toBe("PUT");
    expect(echo.bodyBytes).toBe(FIVE_MIB);
    expect(echo.bodySha256).toBe(sha256(payload));
  });

  it("a 5 MiB download arrives byte-identical", async () => {
    const res = await send(lb.url, { host: "files.test", path: `/download?bytes=${FIVE_MIB}` });

    expect(res.status).toBe(200);
    expect(res.header("x-origin")).toBe("files");
    expect(res.body.length).toBe(FIVE_MIB);
    expect(sha256(res.body)).toBe(sha256(deterministicBytes(FIVE_MIB)));
  });
});
