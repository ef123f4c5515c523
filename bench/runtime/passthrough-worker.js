/**
 * The baseline for the proxy-overhead benchmark: the least a Worker can do to forward a request,
 * round robin over the same origins (env.ORIGINS, a JSON list of base URLs), with no configuration,
 * health or state.
 */
let next = 0;

export default {
  async fetch(request, env) {
    const origins = env.ORIGINS;
    const base = origins[next];
    next = (next + 1) % origins.length;
    const url = new URL(request.url);
    return fetch(base + url.pathname + url.search, {
      method: request.method,
      headers: request.headers,
      body: request.body,
      redirect: "manual",
    });
  },
};
