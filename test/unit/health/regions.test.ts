import { describe, expect, it } from "vitest";
import { checksClearEjection, passedChecksSince } from "../../../worker/health/active.ts";
import { newRecord } from "../../../worker/health/record.ts";
import {
  applyRegionalProbe,
  describeQuorum,
  quorumOf,
  type RegionRecord,
} from "../../../worker/health/regions.ts";

const REGIONS = ["wnam", "weur", "apac"];
const thresholds = { healthyThreshold: 2, unhealthyThreshold: 2 };

function probe(
  views: Map<string, RegionRecord>,
  record: ReturnType<typeof newRecord>,
  region: string,
  ok: boolean,
  at: number,
  regions = REGIONS,
) {
  return applyRegionalProbe(
    "web",
    record,
    views,
    regions,
    { region, ok, error: ok ? null : "timeout after 500 ms", latencyMs: ok ? 5 : null, at },
    thresholds,
  );
}

/** Probes every region once at `at`; `failing` lists the regions whose probe fails. */
function round(
  views: Map<string, RegionRecord>,
  record: ReturnType<typeof newRecord>,
  failing: string[],
  at: number,
  regions = REGIONS,
) {
  return regions
    .map((region) => probe(views, record, region, !failing.includes(region), at, regions))
    .filter((e) => e !== null);
}

describe("regional quorum", () => {
  it("is healthy by a strict majority and unhealthy once no such majority is left", () => {
    const view = (check: RegionRecord["check"]) => ({ check }) as RegionRecord;
    const views = (...checks: RegionRecord["check"][]) =>
      new Map(REGIONS.map((r, i) => [r, view(checks[i] ?? "unknown")]));
    expect(quorumOf(REGIONS, views("healthy", "healthy", "unhealthy")).check).toBe("healthy");
    expect(quorumOf(REGIONS, views("healthy", "unhealthy", "unhealthy")).check).toBe("unhealthy");
    expect(quorumOf(REGIONS, views("healthy", "unknown", "unknown")).check).toBe("unknown");
    // An even split is no majority of healthy regions.
    expect(quorumOf(["wnam", "weur"], views("healthy", "unhealthy")).check).toBe("unhealthy");
    expect(describeQuorum({ healthy: 1, unhealthy: 2, of: 3 })).toBe("unhealthy by 2 of 3 regions");
  });

  it("changes the origin's verdict once per change of the quorum, not per region", () => {
    const record = newRecord("b", "t", 0);
    const views = new Map<string, RegionRecord>();
    expect(round(views, record, [], 1).map((e) => e.message)).toEqual([
      "origin b is healthy by 2 of 3 regions",
    ]);
    expect(round(views, record, ["weur"], 2)).toEqual([]);
    expect(round(views, record, ["weur"], 3)).toEqual([]);
    expect(record.check).toBe("healthy");
    expect(round(views, record, ["weur", "apac"], 4)).toEqual([]);
    const down = round(views, record, ["weur", "apac"], 5);
    expect(down.map((e) => e.kind)).toEqual(["origin_unhealthy"]);
    expect(down[0]?.message).toContain("by 2 of 3 regions");
    expect(record.failures).toBe(2);
  });

  it("ends an ejection by active checks only when a majority of regions passed them since it began", () => {
    const record = newRecord("b", "t", 0);
    const views = new Map<string, RegionRecord>();
    round(views, record, [], 1);
    round(views, record, [], 2);
    const ejectedAt = 3;
    round(views, record, ["weur", "apac"], 4);
    round(views, record, ["weur", "apac"], 5);
    expect(checksClearEjection(passedChecksSince(record, thresholds), ejectedAt)).toBe(false);
    round(views, record, ["apac"], 6);
    expect(checksClearEjection(passedChecksSince(record, thresholds), ejectedAt)).toBe(false);
    round(views, record, ["apac"], 7);
    // Healthy again by 2 of 3, but wnam passed all along: only weur's run began after the ejection.
    expect(record.check).toBe("healthy");
    expect(checksClearEjection(passedChecksSince(record, thresholds), ejectedAt)).toBe(false);
    round(views, record, [], 8);
    round(views, record, [], 9);
    expect(checksClearEjection(passedChecksSince(record, thresholds), ejectedAt)).toBe(true);
  });
});
