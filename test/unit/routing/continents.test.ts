import { describe, expect, it } from "vitest";
import { continentOf } from "../../../worker/routing/continents.ts";

describe("continentOf", () => {
  it("gives the continent request.cf carries beside the country", () => {
    expect(continentOf("DE")).toBe("EU");
    expect(continentOf("us")).toBe("NA");
    expect(continentOf("JP")).toBe("AS");
    expect(continentOf("BR")).toBe("SA");
    expect(continentOf("AU")).toBe("OC");
    expect(continentOf("ZA")).toBe("AF");
    expect(continentOf("AQ")).toBe("AN");
  });

  it("has no continent for codes with no place", () => {
    expect(continentOf("XX")).toBeNull();
    expect(continentOf("T1")).toBeNull();
    expect(continentOf("toString")).toBeNull();
  });

  it("covers every assigned ISO 3166-1 alpha-2 code", () => {
    // Intl knows region names; the codes it names and the table must not miss are the assigned ones,
    // less the deprecated, reserved and grouping codes it also names.
    const notCountries = new Set(
      "AC AN BU CP CQ CS DD DG DY EA EU EZ FX HV IC NH QO RH SU TA TP UK UN VD XA XB YD YU ZR ZZ".split(" "),
    );
    const names = new Intl.DisplayNames(["en"], { type: "region" });
    const letters = "ABCDEFGHIJKLMNOPQRSTUVWXYZ";
    const missing: string[] = [];
    let named = 0;
    for (const a of letters) {
      for (const b of letters) {
        const code = a + b;
        if (notCountries.has(code) || names.of(code) === code) continue;
        named++;
        if (continentOf(code) === null) missing.push(code);
      }
    }
    expect(missing).toEqual([]);
    expect(named).toBeGreaterThanOrEqual(249);
  });
});
