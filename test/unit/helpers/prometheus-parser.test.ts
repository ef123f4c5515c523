/** The strict exposition parser the metrics tests rely on: it must reject what Prometheus rejects. */
import { describe, expect, it } from "vitest";
import { parseExposition } from "../../helpers/prometheus.ts";

const HISTOGRAM = [
  "# TYPE h histogram",
  'h_bucket{le="0.1"} 1',
  'h_bucket{le="+Inf"} 2',
  "h_sum 0.3",
  "h_count 2",
];

function text(...lines: string[]): string {
  return `${lines.join("\n")}\n`;
}

describe("strict exposition parser", () => {
  it("reads a valid exposition", () => {
    const families = parseExposition(
      text("# HELP c Help \\\\ here.", "# TYPE c counter", 'c{a="x"} 1', ...HISTOGRAM),
    );
    expect(families.get("c")).toMatchObject({ type: "counter", help: "Help \\ here." });
    expect(families.get("h")?.samples).toHaveLength(4);
  });

  it.each([
    ["no final line feed", "# TYPE c counter\nc 1"],
    ["a family split in two", text("# TYPE c counter", "c 1", "# TYPE g gauge", "g 1", 'c{a="x"} 2')],
    ["TYPE after samples", text("c 1", "# TYPE c counter")],
    ["a duplicate series", text("# TYPE c counter", 'c{a="x"} 1', 'c{a="x"} 2')],
    ["a bad escape", text('c{a="\\t"} 1')],
    ["an unterminated label", text('c{a="x} 1')],
    ["a bad value", text("c one")],
    ["a missing value", text("c")],
    ["a bad label name", text('c{1a="x"} 1')],
    ["a negative counter", text("# TYPE c counter", "c -1")],
    ["a histogram without +Inf", text("# TYPE h histogram", 'h_bucket{le="0.1"} 1', "h_sum 1", "h_count 1")],
    [
      "a histogram whose buckets shrink",
      text("# TYPE h histogram", 'h_bucket{le="0.1"} 2', 'h_bucket{le="+Inf"} 1', "h_sum 1", "h_count 1"),
    ],
    ["a histogram without _count", text("# TYPE h histogram", 'h_bucket{le="+Inf"} 1', "h_sum 1")],
    [
      "+Inf that differs from _count",
      text("# TYPE h histogram", 'h_bucket{le="+Inf"} 1', "h_sum 1", "h_count 2"),
    ],
  ])("rejects %s", (_what, input) => {
    expect(() => parseExposition(input)).toThrow();
  });
});
