/**
 * One benchmark origin, run as its own child process so it never competes with the load generator's
 * event loop: a keep-alive Node HTTP server that answers every request at once with a small body
 * naming the origin. Prints `{"port":N}` on its first stdout line; exits when its parent goes away.
 *
 * Usage: node origin-server.ts <name> [port]
 */
import { createServer } from "node:http";

const name = process.argv[2] ?? "origin";
const port = Number(process.argv[3] ?? 0);
const body = Buffer.from(`${name}\n`);

const server = createServer((req, res) => {
  req.resume();
  res.writeHead(200, {
    "content-type": "text/plain",
    "content-length": body.length,
    "x-origin": name,
  });
  res.end(body);
});
server.keepAliveTimeout = 65_000;
server.headersTimeout = 66_000;

server.listen(port, "127.0.0.1", () => {
  const address = server.address();
  const bound = typeof address === "object" && address ? address.port : port;
  process.stdout.write(`${JSON.stringify({ port: bound })}\n`);
});

// The harness talks to us over IPC only to know we are alive: losing it means the harness is gone.
process.on("disconnect", () => process.exit(0));
