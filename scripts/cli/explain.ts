/**
 * `explain <url>`: which load balancer, pool and origin a request like that would reach now, and
 * the reason at each step (`GET /explain`), as a short report: one labelled block per decision.
 */
import type { ApiClient } from "./client.ts";
import type { Output } from "./config.ts";
import { cell, formatTable, millis, paint, terminalJson, terminalSafeDeep } from "./format.ts";

/** The request to explain, as the command line describes it. */
export interface DescribedRequest {
  url: string;
  ip: string | undefined;
  country: string | undefined;
  continent: string | undefined;
  headers: Array<[string, string]>;
}

interface Share {
  id: string | null;
  share: number;
}

/** The parts of the API's explanation this renderer reads; anything else is left to `--json`. */
export interface Explanation {
  request?: { url?: string; ip?: string | null; country?: string | null; continent?: string | null };
  outcome?: string;
  configVersion?: number;
  loadBalancer?: {
    id: string;
    hostname?: string;
    pathPrefix?: string;
    steering?: string;
    reason?: string;
  } | null;
  reason?: string;
  pools?: Array<{
    id: string;
    verdict?: string;
    reason?: string;
    healthyOrigins?: number;
    origins?: number;
    usableOrigins?: number;
  }>;
  pool?: {
    id: string;
    via?: string;
    algorithm?: string;
    reason?: string;
    steering?: string;
    shares?: Share[];
  } | null;
  affinity?: { type?: string; reason?: string } | null;
  origins?: Array<{
    name: string;
    address?: string;
    weight?: number;
    verdict?: string;
    state?: string | null;
    candidate?: boolean;
    inflight?: number | null;
    latencyMs?: number | null;
    note?: string;
  }>;
  origin?: { name: string; address?: string; reason?: string; shares?: Share[] } | null;
  wouldRespond?: { status: number; problem?: { detail?: string } };
}

/** The query of `GET /explain`: `url`, `ip`, `country`, `continent` and one `header.<name>` per header. */
export function explainQuery(request: DescribedRequest): Array<[string, string]> {
  const query: Array<[string, string]> = [["url", request.url]];
  if (request.ip !== undefined) query.push(["ip", request.ip]);
  if (request.country !== undefined) query.push(["country", request.country]);
  if (request.continent !== undefined) query.push(["continent", request.continent]);
  for (const [name, value] of request.headers) query.push([`header.${name}`, value]);
  return query;
}

/** `edge-lb explain <url> [--ip <ip>] [--header name=value]... [--json]`. */
export async function explain(
  client: ApiClient,
  request: DescribedRequest,
  json: boolean,
  output: Output,
): Promise<number> {
  const { body } = await client.get<Explanation>("/explain", { query: explainQuery(request) });
  output.out(
    json ? `${terminalJson(body, 2)}\n` : `${renderExplanation(terminalSafeDeep(body), output.color)}\n`,
  );
  return 0;
}

const LABEL_WIDTH = 15;

/**
 * The explanation as text, e.g.
 * ```
 * Load balancer: www  www.example.com/ (steering failover)
 *                hostname "www.example.com" matches exactly; ...
 * ```
 */
export function renderExplanation(body: Explanation, color: boolean): string {
  const lines: string[] = [];
  const block = (label: string, head: string, details: string[] = []) => {
    lines.push(`${paint(`${label}:`.padEnd(LABEL_WIDTH), "bold", color)}${head}`);
    for (const detail of details) lines.push(`${" ".repeat(LABEL_WIDTH)}${detail}`);
  };
  const request = body.request ?? {};
  const from = [request.ip, [request.country, request.continent].filter(Boolean).join(", ")].filter(Boolean);
  block("Request", `${request.url ?? "?"}${from.length ? ` from ${from.join(" ")}` : ""}`);

  const lb = body.loadBalancer;
  if (!lb) {
    block("Load balancer", paint("none", "red", color), body.reason ? [body.reason] : []);
  } else {
    const steering = lb.steering ? ` (steering ${lb.steering})` : "";
    block(
      "Load balancer",
      `${lb.id}  ${lb.hostname ?? ""}${lb.pathPrefix ?? ""}${steering}`,
      lb.reason ? [lb.reason] : [],
    );
    const considered = (body.pools ?? []).map((p) => [
      p.id,
      paint(p.verdict ?? "-", p.verdict === "chosen" ? "green" : "gray", color),
      p.healthyOrigins === undefined ? "-" : `${p.healthyOrigins}/${p.origins ?? "?"} healthy`,
      cell(p.reason),
    ]);
    const pool = body.pool;
    const poolDetails = [
      ...(pool?.reason ? [pool.reason] : []),
      ...(pool?.steering ? [pool.steering] : []),
      ...(pool?.shares ? [`shares: ${shares(pool.shares)}`] : []),
      ...(considered.length ? formatTable(["POOL", "VERDICT", "HEALTH", "WHY"], considered).split("\n") : []),
    ];
    const head = pool
      ? `${pool.id}${pool.algorithm ? `  (${pool.algorithm})` : ""}`
      : paint("none", "red", color);
    block("Pool", head, poolDetails);
  }

  const affinity = body.affinity;
  if (affinity?.type && affinity.type !== "none") {
    block("Affinity", affinity.type, affinity.reason ? [affinity.reason] : []);
  }
  if (lb) {
    const origin = body.origin;
    const originDetails = [
      ...(origin?.reason ? [origin.reason] : []),
      ...(origin?.shares ? [`shares: ${shares(origin.shares)}`] : []),
      ...originTable(body, color),
    ];
    block(
      "Origin",
      origin ? `${origin.name}  ${origin.address ?? ""}`.trimEnd() : paint("none", "red", color),
      originDetails,
    );
  }
  if (body.wouldRespond) {
    const { status, problem } = body.wouldRespond;
    block("Answer", paint(`${status}${problem?.detail ? ` ${problem.detail}` : ""}`, "red", color));
  }
  if (body.configVersion !== undefined) block("Config", `version ${body.configVersion}`);
  return lines.join("\n");
}

function originTable(body: Explanation, color: boolean): string[] {
  const origins = body.origins ?? [];
  if (origins.length === 0) return [];
  const rows = origins.map((o) => [
    o.name,
    cell(o.state),
    paint(cell(o.verdict), o.verdict === "usable" ? "green" : "yellow", color),
    cell(o.weight),
    cell(o.inflight),
    millis(o.latencyMs),
    cell(o.note),
  ]);
  return formatTable(["ORIGIN", "STATE", "VERDICT", "WEIGHT", "IN-FLIGHT", "LATENCY", "NOTE"], rows, {
    right: [3, 4, 5],
  }).split("\n");
}

function shares(list: Share[]): string {
  return list.map((s) => `${s.id ?? "none"} ${Math.round(s.share * 1000) / 10}%`).join(", ");
}
