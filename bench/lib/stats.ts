/** Small statistics and number formatting shared by the sections. */

/** Median of a non-empty list (mean of the two middle values for even lengths). */
export function median(values: readonly number[]): number {
  return quantile(values, 0.5);
}

/** Quantile q in [0, 1] with linear interpolation between closest ranks; NaN for an empty list. */
export function quantile(values: readonly number[], q: number): number {
  if (values.length === 0) return Number.NaN;
  const sorted = Float64Array.from(values).sort();
  const position = (sorted.length - 1) * q;
  const lower = Math.floor(position);
  const upper = Math.ceil(position);
  const low = sorted[lower]!;
  return low + (sorted[upper]! - low) * (position - lower);
}

/** Formats a number with a sensible number of significant digits, "n/a" for NaN. */
export function fmt(value: number, digits = 3): string {
  if (!Number.isFinite(value)) return "n/a";
  if (value === 0) return "0";
  const magnitude = Math.floor(Math.log10(Math.abs(value)));
  const decimals = Math.max(0, digits - 1 - magnitude);
  return value.toLocaleString("en-US", { maximumFractionDigits: decimals, minimumFractionDigits: 0 });
}

/** A duration given in ns, in the unit that suits it ("85 ns", "2.8 µs", "1.7 ms"). */
export function duration(ns: number): string {
  if (!Number.isFinite(ns)) return "n/a";
  if (ns < 1000) return `${fmt(ns)} ns`;
  if (ns < 1e6) return `${fmt(ns / 1000)} µs`;
  return `${fmt(ns / 1e6)} ms`;
}

/** `a / b` formatted as a ratio ("0.93×"), "n/a" when either side is missing. */
export function ratio(a: number, b: number): string {
  if (!Number.isFinite(a) || !Number.isFinite(b) || b === 0) return "n/a";
  return `${(a / b).toFixed(2)}×`;
}

/** Seconds with one decimal ("1.3 s"), or the fallback when the value is missing. */
export function seconds(ms: number | null, fallback = "n/a"): string {
  return ms === null || !Number.isFinite(ms) ? fallback : `${(ms / 1000).toFixed(1)} s`;
}

/** Resolves after `ms` milliseconds. */
export function sleep(ms: number): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, ms));
}
