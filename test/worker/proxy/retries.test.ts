import { describe, expect, it } from "vitest";
import { installConfig, ORIGIN, problemOf, REFUSING, send } from "./support.ts";

/** An origin whose answer to `/<code>` is that status (the test origin's `/status/<code>`). */
const STATUS_ORIGIN = `${ORIGIN}/status`;

function twoOrigins(id: string, first: string, second: string, lb: Record<string, unknown> = {}): string {
  installConfig(
    [
      {
        id,
        origins: [
          // The heavier origin takes the first pick of a fresh round robin.
          { name: "first", address: first, weight: 10 },
          { name: "second", address: second },
        ],
      },
    ],
    [{ id, hostname: `${id}.test`, pools: [id], debugHeaders: true, ...lb }],
  );
  return `http://${id}.test`;
}

describe("retries", () => {
  it("retries a GET that got a retryable status on another origin", async () => {
    const base = twoOrigins("status-retry", STATUS_ORIGIN, ORIGIN);
    const response = await send(`${base}/503`);
    expect(response.status).toBe(200);
    expect(response.headers.get("x-lb-origin")).toBe("second");
    expect(await response.text()).toBe("ok");
  });

  it("passes the origin's own response on when the last attempt got a retryable status", async () => {
    const base = twoOrigins("all-503", STATUS_ORIGIN, STATUS_ORIGIN);
    const response = await send(`${base}/503`);
    expect(response.status).toBe(503);
    expect(response.headers.get("content-type")).toBe("text/plain");
    expect(await response.text()).toBe("status 503");
  });

  it("does not retry when the policy allows no extra attempts", async () => {
    const base = twoOrigins("no-retry", STATUS_ORIGIN, ORIGIN, { retries: { attempts: 0 } });
    const response = await send(`${base}/503`);
    expect(response.status).toBe(503);
    expect(response.headers.get("x-lb-origin")).toBe("first");
  });

  it("does not retry a method outside the policy's list", async () => {
    const base = twoOrigins("post-503", STATUS_ORIGIN, ORIGIN);
    const response = await send(`${base}/503`, { method: "POST", body: "order" });
    expect(response.status).toBe(503);
    expect(response.headers.get("x-lb-origin")).toBe("first");
  });

  it("passes on a status that is not in onStatus without retrying", async () => {
    const base = twoOrigins("status-500", STATUS_ORIGIN, ORIGIN);
    const response = await send(`${base}/500`);
    expect(response.status).toBe(500);
    expect(response.headers.get("x-lb-origin")).toBe("first");
  });

  it("retries a connection failure on another origin", async () => {
    const base = twoOrigins("refused-retry", REFUSING, ORIGIN);
    const response = await send(`${base}/`);
    expect(response.status).toBe(200);
    expect(response.headers.get("x-lb-origin")).toBe("second");
  });

  it("sends a small request body again on the retry", async () => {
    const base = twoOrigins("body-retry", REFUSING, ORIGIN);
    const response = await send(`${base}/echo`, { method: "PUT", body: "hello" });
    expect(response.status).toBe(200);
    const echo = (await response.json()) as { method: string; headers: Record<string, string> };
    expect(echo.method).toBe("PUT");
    expect(echo.headers["content-length"]).toBe("5");
  });

  it("sends a POST whose connection was refused to another origin, since nothing reached the first", async () => {
    const base = twoOrigins("post-refused", REFUSING, ORIGIN);
    const response = await send(`${base}/echo`, { method: "POST", body: "order" });
    expect(response.status).toBe(200);
    expect(response.headers.get("x-lb-origin")).toBe("second");
    const echo = (await response.json()) as { method: string; headers: Record<string, string> };
    expect(echo.method).toBe("POST");
    expect(echo.headers["content-length"]).toBe("5");
  });

  it("retries a timeout on another origin", async () => {
    // `/slow` stalls on the first origin; on the second it becomes /status/slow, answered at once.
    const base = twoOrigins("timeout-retry", ORIGIN, STATUS_ORIGIN, { timeouts: { requestMs: 200 } });
    const response = await send(`${base}/slow`);
    expect(response.status).toBe(200);
    expect(response.headers.get("x-lb-origin")).toBe("second");
  });

  it("never tries an origin twice, so a pool of three gets at most three attempts", async () => {
    installConfig(
      [
        {
          id: "three-down",
          origins: [
            { name: "a", address: REFUSING },
            { name: "b", address: REFUSING },
            { name: "c", address: REFUSING },
          ],
        },
      ],
      [{ id: "three-down", hostname: "three-down.test", pools: ["three-down"], retries: { attempts: 5 } }],
    );
    const response = await send("http://three-down.test/");
    expect(response.status).toBe(502);
    expect((await problemOf(response)).detail).toContain("3 attempts");
  });

  it("stops after the policy's number of extra attempts", async () => {
    installConfig(
      [
        {
          id: "budget",
          origins: ["a", "b", "c", "d"].map((name) => ({ name, address: REFUSING })),
        },
      ],
      [{ id: "budget", hostname: "budget.test", pools: ["budget"], retries: { attempts: 1 } }],
    );
    const response = await send("http://budget.test/");
    expect(response.status).toBe(502);
    expect((await problemOf(response)).detail).toContain("2 attempts");
  });
});
