/**
 * Assertions for RFC 9457 problem responses, as every error of the API and the proxy must be.
 */
import { expect } from "vitest";
import type { HttpResult } from "./http.ts";

export interface ProblemBody {
  type: string;
  title: string;
  status: number;
  detail: string;
  errors?: { path: string; message: string }[];
}

/**
 * Asserts that `res` is a problem response with `status` and returns its body.
 * @example const problem = expectProblem(await send(lb.url, { host: "nobody.test" }), 404);
 */
export function expectProblem(res: HttpResult, status: number): ProblemBody {
  expect(res.status, res.text().slice(0, 500)).toBe(status);
  expect(res.header("content-type") ?? "").toMatch(/^application\/problem\+json\b/);
  const body = res.json<ProblemBody>();
  expect(body).toMatchObject({ status, type: expect.any(String), title: expect.any(String) });
  expect(typeof body.detail).toBe("string");
  expect(body.detail.length).toBeGreaterThan(0);
  return body;
}
