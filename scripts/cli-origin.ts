/**
 * `drain` and `undrain`: take an origin out of rotation gently (weight 0, existing requests
 * finish) and put it back with its weight restored.
 */
import type { ApiClient } from "./cli-client.ts";
import type { Output } from "./cli-config.ts";
import { paint } from "./cli-format.ts";

/** `edge-lb drain|undrain <pool> <origin>`. */
export async function setDrain(
  client: ApiClient,
  action: "drain" | "undrain",
  pool: string,
  origin: string,
  output: Output,
): Promise<number> {
  const path = `/pools/${encodeURIComponent(pool)}/origins/${encodeURIComponent(origin)}/${action}`;
  await client.request<unknown>("POST", path);
  const message =
    action === "drain"
      ? `Draining ${pool}/${origin}: it gets no new requests; "edge-lb status" shows it as draining until its in-flight requests finish.`
      : `Undrained ${pool}/${origin}: its weight is restored and it takes new requests again.`;
  output.out(`${paint(action === "drain" ? "Drained" : "Undrained", "green", output.color)}. ${message}\n`);
  return 0;
}
