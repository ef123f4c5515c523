import { describe, expect, it } from "vitest";
import { parseInvocation, UsageError } from "../../../scripts/cli/args.ts";
import { DocumentError } from "../../../scripts/cli/document.ts";
import { parseRequestLines, renderImpact } from "../../../scripts/cli/history.ts";

const ENV = { EDGE_LB_ENDPOINT: "https://lb.example.com", EDGE_LB_TOKEN: "t" };

describe("history, rollback and apply --requests arguments", () => {
  it("parses the new commands and flags", () => {
    expect(parseInvocation(["rollback", "12", "--dry-run"], ENV)).toMatchObject({
      command: "rollback",
      args: ["12"],
      dryRun: true,
    });
    expect(parseInvocation(["history", "--json"], ENV)).toMatchObject({ command: "history", json: true });
    expect(parseInvocation(["apply", "lb.yaml", "--dry-run", "--requests", "s.jsonl"], ENV)).toMatchObject({
      command: "apply",
      dryRun: true,
      requests: "s.jsonl",
    });
  });

  it("refuses flags a command does not take and missing arguments", () => {
    expect(() => parseInvocation(["history", "--requests", "s.jsonl"], ENV)).toThrow(UsageError);
    expect(() => parseInvocation(["rollback"], ENV)).toThrow(UsageError);
  });
});

describe("sample requests and the impact summary", () => {
  it("reads one JSON object per line and skips blank lines", () => {
    const text = '{"url":"https://a.test/"}\n\n{"url":"https://b.test/","ip":"203.0.113.7"}\r\n';
    expect(parseRequestLines(text, "s.jsonl")).toEqual([
      { url: "https://a.test/" },
      { url: "https://b.test/", ip: "203.0.113.7" },
    ]);
  });

  it("names the line that is not JSON, and refuses an empty file", () => {
    expect(() => parseRequestLines('{"url":"https://a.test/"}\n{nope', "s.jsonl")).toThrow(/s\.jsonl:2:/);
    expect(() => parseRequestLines("\n\n", "s.jsonl")).toThrow(DocumentError);
  });

  it("renders counts and shares", () => {
    const text = renderImpact({
      requests: 200,
      changed: {
        loadBalancer: { count: 0, share: 0 },
        pool: { count: 48, share: 0.24 },
        origin: { count: 61, share: 0.305 },
      },
      affinityPinsBroken: 3,
    });
    expect(text).toBe(
      [
        "Impact on 200 sample requests:",
        "  change load balancer       0  (0.0%)",
        "  change pool               48  (24.0%)",
        "  change origin             61  (30.5%)",
        "  affinity pins broken       3",
      ].join("\n"),
    );
  });

  it("renders the drawn part of the changes when the server gives it", () => {
    const text = renderImpact({
      requests: 10,
      changed: {
        loadBalancer: { count: 0, share: 0 },
        pool: { count: 4, share: 0.4 },
        origin: { count: 5, share: 0.5 },
      },
      drawn: { pool: { count: 4, share: 0.4 }, origin: { count: 4, share: 0.4 } },
      affinityPinsBroken: 0,
    });
    expect(text.split("\n")).toEqual([
      "Impact on 10 sample requests:",
      "  change load balancer       0  (0.0%)",
      "  change pool                4  (40.0%)",
      "  change origin              5  (50.0%)",
      "    drawn pool               4  (40.0%)",
      "    drawn origin             4  (40.0%)",
      "  affinity pins broken       0",
    ]);
  });
});
