import { createServer } from "node:net";

/**
 * A loopback port that was free a moment ago, for servers that cannot listen on port 0 and report
 * it (nginx, an inspector).
 * @example const port = await freePort(); // e.g. 40213
 */
export function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = createServer();
    server.once("error", reject);
    server.listen(0, "127.0.0.1", () => {
      const address = server.address();
      const port = typeof address === "object" && address ? address.port : 0;
      server.close(() => resolve(port));
    });
  });
}
