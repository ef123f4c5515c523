/**
 * nginx as a reference load balancer in front of the same origins, when it is on PATH: one worker
 * process, `least_conn`, upstream keep-alive, `max_fails=1` and `proxy_next_upstream error timeout`.
 * Nothing requires it; sections skip the nginx rows when it is missing.
 */
import { spawn } from "node:child_process";
import { mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { connect } from "node:net";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { onCleanup } from "../lib/cleanup.ts";
import { nginxVersion } from "../lib/machine.ts";
import { freePort } from "../lib/ports.ts";
import { sleep } from "../lib/stats.ts";

export interface RunningNginx {
  url: string;
  stop(): Promise<void>;
}

/** Whether an nginx binary is on PATH. */
export function hasNginx(): boolean {
  return nginxVersion() !== null;
}

function canConnect(port: number): Promise<boolean> {
  return new Promise((resolve) => {
    const socket = connect(port, "127.0.0.1");
    socket.once("connect", () => {
      socket.destroy();
      resolve(true);
    });
    socket.once("error", () => resolve(false));
  });
}

function config(dir: string, port: number, originPorts: readonly number[]): string {
  const servers = originPorts
    .map((p) => `    server 127.0.0.1:${p} max_fails=1 fail_timeout=10s;`)
    .join("\n");
  const asRoot = process.getuid?.() === 0 ? "user root;\n" : "";
  return `${asRoot}worker_processes 1;
pid ${dir}/nginx.pid;
error_log ${dir}/error.log error;
events { worker_connections 4096; }
http {
  access_log off;
  # nginx closes a client connection after 1000 requests by default; the load generator's
  # connections must stay open like the Workers' do.
  keepalive_requests 1000000;
  client_body_temp_path ${dir}/body;
  proxy_temp_path ${dir}/proxy;
  fastcgi_temp_path ${dir}/fastcgi;
  uwsgi_temp_path ${dir}/uwsgi;
  scgi_temp_path ${dir}/scgi;
  upstream origins {
    least_conn;
${servers}
    keepalive 64;
    keepalive_requests 1000000;
  }
  server {
    listen 127.0.0.1:${port};
    location / {
      proxy_pass http://origins;
      proxy_http_version 1.1;
      proxy_set_header Connection "";
      proxy_next_upstream error timeout;
      proxy_connect_timeout 2s;
    }
  }
}
`;
}

/** Starts nginx in the foreground on a free loopback port in front of the given origin ports. */
export async function startNginx(originPorts: readonly number[]): Promise<RunningNginx> {
  const dir = mkdtempSync(join(tmpdir(), "edge-lb-bench-nginx-"));
  mkdirSync(join(dir, "body"));
  const port = await freePort();
  const confPath = join(dir, "nginx.conf");
  writeFileSync(confPath, config(dir, port, originPorts));
  const child = spawn("nginx", ["-p", dir, "-c", confPath, "-g", "daemon off;"], {
    stdio: ["ignore", "ignore", "pipe"],
  });
  let stderr = "";
  child.stderr?.on("data", (chunk: Buffer) => {
    stderr += chunk.toString();
  });
  const stop = onCleanup(
    "nginx",
    async () => {
      if (child.exitCode === null && child.signalCode === null) {
        const exited = new Promise<void>((resolve) => child.once("exit", () => resolve()));
        child.kill("SIGTERM");
        const timer = setTimeout(() => child.kill("SIGKILL"), 3000);
        await exited;
        clearTimeout(timer);
      }
      rmSync(dir, { recursive: true, force: true });
    },
    () => {
      child.kill("SIGTERM");
      rmSync(dir, { recursive: true, force: true });
    },
  );
  for (let waited = 0; !(await canConnect(port)); waited += 50) {
    if (child.exitCode !== null || waited > 5000) {
      let log = "";
      try {
        log = readFileSync(join(dir, "error.log"), "utf8");
      } catch {
        // No log written yet.
      }
      await stop();
      throw new Error(`nginx did not start: ${stderr}${log}`.trim());
    }
    await sleep(50);
  }
  return { url: `http://127.0.0.1:${port}`, stop };
}
