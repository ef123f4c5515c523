/**
 * `POST /explain` with a candidate configuration must not tell the read token whether a guess of a
 * secret header value is right: a candidate that differs from the live pool only in header values
 * is explained exactly like the live pool, whatever the values.
 */
import { describe, expect, it } from "vitest";
import { installConfig, ORIGIN, send } from "../../proxy/support.ts";
import { API, call, json, READ_TOKEN } from "../support.ts";

const SECRET = "s3cr3t-explain-oracle-XYZ";
const HOST = "oracle.explain.test";

function pool(authorization: string) {
  return {
    id: "oracle",
    origins: ["a", "b", "c"].map((name) => ({ name, address: ORIGIN, headers: { authorization } })),
    healthCheck: { headers: { "x-check-key": authorization } },
  };
}
const loadBalancer = { id: "oracle", hostname: HOST, pools: ["oracle"] };

async function impactOf(authorization: string): Promise<unknown> {
  const response = await call("POST", `${API}/explain`, {
    token: READ_TOKEN,
    body: {
      config: { pools: [pool(authorization)], loadBalancers: [loadBalancer] },
      requests: [{ url: `http://${HOST}/` }, { url: `http://${HOST}/x` }],
    },
  });
  expect(response.status).toBe(200);
  return json(response);
}

describe("POST /explain and secret header values", () => {
  it("answers the same for the right value and a wrong guess", async () => {
    installConfig([pool(SECRET)], [loadBalancer]);
    // The live round robin moves on, so a fresh balancer would pick another origin than the live one.
    expect((await send(`http://${HOST}/`)).status).toBe(200);

    const right = await impactOf(SECRET);
    const wrong = await impactOf("a-wrong-guess");
    expect(wrong).toEqual(right);
    expect(right).toMatchObject({ summary: { changed: { origin: { count: 0 } } } });
  });
});
