import { expect, it } from "vitest";
import { PoolSchema } from "../../worker/config/schema.ts";

it("applies defaults", () => {
  const pool = PoolSchema.parse({ id: "web", origins: [{ name: "a", address: "http://127.0.0.1:1" }] });
  expect(pool.algorithm).toBe("round_robin");
});
