/**
 * `drain` and `undrain`: take an origin out of rotation gently (weight 0, existing requests
 * finish) and put it back with its weight restored.
 */
import type { DrainResult as ServedDrainResult } from "../../worker/health/types.ts";
import type { ApiClient } from "./client.ts";
import type { Output } from "./config.ts";
import { paint } from "./format.ts";

/** What the API answers to drain and undrain (its zod schema), every field optional for older servers. */
export type DrainResult = Partial<ServedDrainResult>;

/** One line saying what happened, e.g. "Drained web/eu-1: no new requests; 3 in flight to finish ...". */
export function describeDrain(action: "drain" | "undrain", target: string, result: DrainResult): string {
  if (action === "drain") {
    if (result.changed === false) return `${target} was already drained (weight 0); nothing changed.`;
    const inflight = result.inflight ?? 0;
    const finishing =
      inflight > 0
        ? `${inflight} request${inflight === 1 ? "" : "s"} in flight will finish; it shows as draining until then`
        : "no requests in flight";
    const restore =
      typeof result.restoreWeight === "number" ? ` Undrain restores weight ${result.restoreWeight}.` : "";
    return `Drained ${target}: it gets no new requests; ${finishing}.${restore}`;
  }
  if (result.changed === false) {
    return `${target} is not drained (weight ${result.weight ?? "above 0"}); nothing changed.`;
  }
  return `Undrained ${target}: weight ${result.weight ?? "restored"}, it takes new requests again.`;
}

/** `edge-lb drain|undrain <pool> <origin>`. */
export async function setDrain(
  client: ApiClient,
  action: "drain" | "undrain",
  pool: string,
  origin: string,
  output: Output,
): Promise<number> {
  const path = `/pools/${encodeURIComponent(pool)}/origins/${encodeURIComponent(origin)}/${action}`;
  const { body } = await client.request<DrainResult | undefined>("POST", path);
  const line = describeDrain(action, `${pool}/${origin}`, body ?? {});
  output.out(`${body?.changed === false ? line : paint(line, "green", output.color)}\n`);
  return 0;
}
