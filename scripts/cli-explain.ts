/**
 * `explain <url>`: which load balancer, pool and origin a request like that would reach now, and
 * the reason at each step (`GET /explain`).
 */
import { stringify } from "yaml";
import type { ApiClient } from "./cli-client.ts";
import type { Output } from "./cli-config.ts";
import { paint } from "./cli-format.ts";

/** The query of `GET /explain`: `url`, `ip` and one `header.<name>` per header. */
export function explainQuery(
  url: string,
  ip: string | undefined,
  headers: Array<[string, string]>,
): Array<[string, string]> {
  const query: Array<[string, string]> = [["url", url]];
  if (ip !== undefined) query.push(["ip", ip]);
  for (const [name, value] of headers) query.push([`header.${name}`, value]);
  return query;
}

/** `edge-lb explain <url> [--ip <ip>] [--header name=value]... [--json]`. */
export async function explain(
  client: ApiClient,
  url: string,
  ip: string | undefined,
  headers: Array<[string, string]>,
  json: boolean,
  output: Output,
): Promise<number> {
  const { body } = await client.get<unknown>("/explain", { query: explainQuery(url, ip, headers) });
  output.out(json ? `${JSON.stringify(body, null, 2)}\n` : `${renderExplanation(body, output.color)}\n`);
  return 0;
}

/** The explanation as readable text: the decisions first, then every detail the server gave. */
export function renderExplanation(body: unknown, color: boolean): string {
  return paint("Explanation", "bold", color) + "\n" + stringify(body, { lineWidth: 0 }).trimEnd();
}
