// Serves a prom-client registry at GET /metrics (and GET /healthz) on its own HTTP port.
import http from "node:http";
import type { AddressInfo } from "node:net";
import type { Registry } from "prom-client";

export interface MetricsServerOptions {
  host: string;
  port: number;
  registry: Registry;
  /** Extra readiness check for /healthz; defaults to always ready. */
  ready?: () => boolean;
}

export interface RunningMetricsServer {
  port: number;
  close(): Promise<void>;
}

export async function startMetricsServer(opts: MetricsServerOptions): Promise<RunningMetricsServer> {
  const server = http.createServer((req, res) => {
    if (req.method !== "GET") {
      res.writeHead(405, { allow: "GET" }).end("method not allowed\n");
      return;
    }
    const path = (req.url ?? "/").split("?")[0];
    if (path === "/metrics") {
      opts.registry.metrics().then(
        (body) => res.writeHead(200, { "content-type": opts.registry.contentType }).end(body),
        (err: unknown) => res.writeHead(500).end(`metrics collection failed: ${String(err)}\n`),
      );
      return;
    }
    if (path === "/healthz") {
      const ok = opts.ready ? opts.ready() : true;
      res.writeHead(ok ? 200 : 503, { "content-type": "text/plain" }).end(ok ? "ok\n" : "not ready\n");
      return;
    }
    res.writeHead(404).end("not found\n");
  });
  await new Promise<void>((resolve, reject) => {
    server.once("error", (err) => reject(new Error(`cannot serve metrics on ${opts.host}:${opts.port}: ${err.message}`)));
    server.listen(opts.port, opts.host, resolve);
  });
  const port = (server.address() as AddressInfo).port;
  return {
    port,
    close: () =>
      new Promise<void>((resolve) => {
        server.closeAllConnections();
        server.close(() => resolve());
      }),
  };
}
