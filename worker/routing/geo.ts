/**
 * Geo steering's preference: which pools a request from a given place prefers. Pure: the place is
 * an input (`request.cf.country` and `request.cf.continent` at the edge), so tests set it freely.
 *
 * Order: the pools of `countryPools[country]`, then those of `regionPools[continent]`, then the
 * load balancer's `pools`. Continent codes are the ones `request.cf.continent` carries: AF, AN, AS,
 * EU, NA, OC, SA. Cloudflare's own load-balancing region codes (WNAM, WEU, SEAS, ...) are accepted
 * as `regionPools` keys by the schema but are not derived here: `request.cf` does not carry them,
 * and the country (and, for the US and Canada, state) table behind them is Cloudflare's to change.
 * A key that no request can produce simply never matches; `countryPools` gives finer control.
 */
import type { LoadBalancer } from "../config/schema.ts";

/** Where a request comes from; null when the runtime does not say. */
export interface GeoLocation {
  /** ISO 3166-1 alpha-2, upper case, e.g. "DE" (`request.cf.country`). */
  readonly country: string | null;
  /** Continent code, e.g. "EU" (`request.cf.continent`). */
  readonly continent: string | null;
}

export interface GeoPreference {
  /** Pool ids, most preferred first; may repeat ids (the caller skips repeats). */
  readonly pools: readonly string[];
  /** Which table entries applied, e.g. `country "DE" → [web-eu]; then pools in configured order`. */
  readonly reason: string;
}

/**
 * The pool preference of `loadBalancer` for a request from `location`.
 * @example geoPreference(lb, { country: "DE", continent: "EU" }).pools // ["web-eu", "web-us"]
 */
export function geoPreference(
  loadBalancer: Pick<LoadBalancer, "pools" | "countryPools" | "regionPools">,
  location: GeoLocation,
): GeoPreference {
  const country = normalizeCode(location.country);
  const continent = normalizeCode(location.continent);
  const byCountry = country ? ownValue(loadBalancer.countryPools, country) : undefined;
  const byContinent = continent ? ownValue(loadBalancer.regionPools, continent) : undefined;
  const steps: string[] = [];
  if (byCountry) steps.push(`country "${country}" → [${byCountry.join(", ")}]`);
  if (byContinent) steps.push(`continent "${continent}" → [${byContinent.join(", ")}]`);
  if (steps.length === 0) {
    const where = describe(country, continent);
    return {
      pools: loadBalancer.pools,
      reason: `geo: no pools mapped for ${where}; pools in configured order`,
    };
  }
  const pools = [...(byCountry ?? []), ...(byContinent ?? []), ...loadBalancer.pools];
  return { pools, reason: `geo: ${steps.join("; ")}; then pools in configured order` };
}

/** Codes are matched upper case; anything that is not 2-5 letters matches nothing. */
function normalizeCode(code: string | null): string | null {
  if (typeof code !== "string") return null;
  const upper = code.trim().toUpperCase();
  return /^[A-Z]{2,5}$/.test(upper) ? upper : null;
}

/** A record lookup that never reaches `Object.prototype` (keys come from the request). */
function ownValue(
  record: Readonly<Record<string, readonly string[]>>,
  key: string,
): readonly string[] | undefined {
  return Object.hasOwn(record, key) ? record[key] : undefined;
}

function describe(country: string | null, continent: string | null): string {
  if (!country && !continent) return "an unknown location";
  return [country ? `country "${country}"` : null, continent ? `continent "${continent}"` : null]
    .filter((part) => part !== null)
    .join(", ");
}
