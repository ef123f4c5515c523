import { describe, expect, it } from "vitest";
import { jsonSyntaxError } from "../../../worker/http/json-syntax.ts";

function errorOf(text: string): unknown {
  try {
    JSON.parse(text);
  } catch (error) {
    return error;
  }
  throw new Error(`${text} parsed`);
}

describe("jsonSyntaxError", () => {
  it("keeps the reason and place, never the text", () => {
    const secret = "s3cr3t-json-XYZ";
    for (const text of [
      `{"authorization": Bearer ${secret}}`,
      `{"authorization":${secret}}`,
      `{"authorization":"${secret}",}`,
      `{"authorization":"${secret}" "b":1}`,
      `{"authorization":"${secret}`,
      `{"authorization":"${secret}"}${secret}`,
      `{"authorization":"${secret}\u0001"}`,
    ]) {
      const reason = jsonSyntaxError(errorOf(text));
      expect(reason, text).not.toContain("s3cr3t");
      expect(reason.length, text).toBeGreaterThan(10);
    }
  });

  it("says where the error is when the runtime does", () => {
    expect(jsonSyntaxError(errorOf('{"a":1,}'))).toMatch(/at position 7/);
    expect(jsonSyntaxError(errorOf('{"a":1'))).toMatch(/at position 6|end of JSON input/);
  });
});
