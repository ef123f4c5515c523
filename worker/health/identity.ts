/**
 * What identifies the server behind an origin name. Per-origin health state, in the PoolState and
 * in every isolate, belongs to this identity: an origin that keeps its name but gets another address
 * or hostHeader is another server and starts over. Pure.
 */

/**
 * The identity of the server an origin names: its address, and its hostHeader when it has one.
 * @example originTarget({ address: "http://10.0.0.1:8080", hostHeader: null }) === "http://10.0.0.1:8080"
 */
export function originTarget(origin: { address: string; hostHeader: string | null }): string {
  return origin.hostHeader === null ? origin.address : `${origin.address} host=${origin.hostHeader}`;
}
