/**
 * Shorthands for the import tests: the notes of an import, and small Cloudflare documents around
 * the one object a test is about.
 */
import { importCloudflare } from "../../../../scripts/cli/import-cloudflare.ts";
import {
  type CloudflareObject,
  cloudflareExport,
  cloudflareLoadBalancer,
  cloudflareOrigin,
  cloudflarePool,
} from "../../../helpers/cloudflare-documents.ts";

/** The notes as "kind at" lines, in order. */
export function notes(document: unknown): string[] {
  return importCloudflare(document).report.map((note) => `${note.kind} ${note.at}`);
}

/** The message of the first note at `at`. */
export function noteAt(document: unknown, at: string): string | undefined {
  return importCloudflare(document).report.find((note) => note.at === at)?.message;
}

/** One pool "web" with one origin checked by `monitor`, under one load balancer. */
export function withMonitor(monitor: CloudflareObject, origin: CloudflareObject = {}) {
  return cloudflareExport({
    monitors: [monitor],
    pools: [
      cloudflarePool({
        id: "p1",
        name: "web",
        monitor: monitor.id,
        origins: [cloudflareOrigin({ name: "a", address: "a.example.com", ...origin })],
      }),
    ],
    load_balancers: [cloudflareLoadBalancer({ id: "l1", name: "www.example.com", default_pools: ["p1"] })],
  });
}

/** Pools p1, p2, p3 ("pool-p1", ...) and one load balancer on p1 and p2 with `fields`, and what it became. */
export function loadBalancerOf(fields: CloudflareObject) {
  const document = cloudflareExport({
    pools: ["p1", "p2", "p3"].map((id) =>
      cloudflarePool({
        id,
        name: `pool-${id}`,
        origins: [cloudflareOrigin({ name: "a", address: `${id}.example.com` })],
      }),
    ),
    load_balancers: [
      cloudflareLoadBalancer({ id: "l1", name: "www.example.com", default_pools: ["p1", "p2"], ...fields }),
    ],
  });
  return { document, lb: importCloudflare(document).config.loadBalancers[0] };
}
