/** Where one attempt is sent: shared by the proxy that builds it and the edge that checks reachability. */
export interface UpstreamTarget {
  /** The URL to fetch. */
  readonly url: string;
  /**
   * With `hostHeader`: the origin's own host, which the request must actually reach (Cloudflare's
   * `cf.resolveOverride`); null otherwise.
   */
  readonly resolveOverride: string | null;
}
