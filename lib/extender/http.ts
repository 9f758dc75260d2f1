// HTTP edge of the extender: routes, the shared checks (method, content type, body size) in
// front of decode -> decide -> encode, and the one place where errors become HTTP statuses.
import http from "node:http";
import https from "node:https";
import type { AddressInfo } from "node:net";
import type { Registry } from "prom-client";
import { HttpError, MethodNotAllowedError, NotFoundError, PayloadTooLargeError, UnsupportedMediaTypeError } from "./errors.js";
import type { Logger } from "./log.js";
import type { ExtenderMetrics, Verb } from "./metrics.js";
import type { ExtenderService } from "./service.js";
import { decodeExtenderBody } from "./body-scan.js";
import { encodeHostPrioritiesJson } from "./wire.js";

export interface ExtenderHttpOptions {
  service: ExtenderService;
  metrics: ExtenderMetrics;
  logger: Logger;
  /** e.g. "/overseer" -> POST /overseer/filter and /overseer/prioritize ("" for /filter). */
  pathPrefix: string;
  maxBodyBytes: number;
  /** When set, GET /metrics on this port serves it. */
  registry?: Registry;
}

/** Normalises a prefix to "" or "/a/b" (leading slash, no trailing slash). */
export function normalizePathPrefix(prefix: string): string {
  const trimmed = prefix.trim().replace(/\/+$/, "");
  if (trimmed === "") return "";
  return trimmed.startsWith("/") ? trimmed : `/${trimmed}`;
}

function isJsonContentType(value: string | undefined): boolean {
  if (value === undefined) return false;
  const media = value.split(";")[0]!.trim().toLowerCase();
  return media === "application/json";
}

/** Reads the body up to `limit` bytes; more (declared or sent) is PayloadTooLargeError. */
function readBody(req: http.IncomingMessage, limit: number): Promise<string> {
  const declared = Number(req.headers["content-length"]);
  if (Number.isFinite(declared) && declared > limit) return Promise.reject(new PayloadTooLargeError(limit));
  return new Promise((resolve, reject) => {
    const chunks: Buffer[] = [];
    let size = 0;
    let done = false;
    req.on("data", (chunk: Buffer) => {
      if (done) return;
      size += chunk.length;
      if (size > limit) {
        done = true;
        chunks.length = 0;
        req.pause();
        reject(new PayloadTooLargeError(limit));
        return;
      }
      chunks.push(chunk);
    });
    req.on("end", () => {
      if (done) return;
      done = true;
      // One chunk is the usual case up to tens of kB: decode it without a concatenated copy.
      resolve(chunks.length === 1 ? chunks[0]!.toString("utf8") : Buffer.concat(chunks, size).toString("utf8"));
    });
    req.on("error", (err) => {
      if (done) return;
      done = true;
      reject(err);
    });
  });
}

function writeJson(res: http.ServerResponse, status: number, body: unknown, extraHeaders: Record<string, string> = {}, text: string | Buffer = JSON.stringify(body)): void {
  res.writeHead(status, { "content-type": "application/json", "content-length": typeof text === "string" ? Buffer.byteLength(text) : text.length, ...extraHeaders });
  res.end(text);
}

/** The one place where a thrown error becomes an HTTP status (the cause goes to the log). */
function writeError(res: http.ServerResponse, err: unknown, logger: Logger, verb: string): number {
  const status = err instanceof HttpError ? err.status : 500;
  const message = err instanceof HttpError ? err.message : `internal error: ${err instanceof Error ? err.message : String(err)}`;
  const headers: Record<string, string> = {};
  if (err instanceof MethodNotAllowedError) headers.allow = err.allow;
  if (status >= 500) logger.error("extender call failed", { verb, status, error: message });
  else logger.debug("request refused", { verb, status, error: message });
  if (!res.headersSent) writeJson(res, status, { Error: message }, headers);
  return status;
}

export function createExtenderHandler(opts: ExtenderHttpOptions): http.RequestListener {
  const prefix = normalizePathPrefix(opts.pathPrefix);
  const routes = new Map<string, Verb>([
    [`${prefix}/filter`, "filter"],
    [`${prefix}/prioritize`, "prioritize"],
  ]);
  const { service, metrics, logger } = opts;

  async function handleVerb(verb: Verb, req: http.IncomingMessage, res: http.ServerResponse): Promise<void> {
    const started = performance.now();
    let status = 200;
    let bodyRead = false;
    try {
      if (req.method !== "POST") throw new MethodNotAllowedError("POST");
      if (!isJsonContentType(req.headers["content-type"])) throw new UnsupportedMediaTypeError(req.headers["content-type"]);
      const text = await readBody(req, opts.maxBodyBytes);
      bodyRead = true;
      const args = decodeExtenderBody(text);
      if (verb === "filter") writeJson(res, 200, await service.filter(args, req.headers));
      else writeJson(res, 200, undefined, {}, encodeHostPrioritiesJson(args.nodeNames, await service.prioritizeScores(args, req.headers), args.plainNames));
    } catch (err) {
      // A refused request's body is not read: close the connection rather than drain it.
      if (!bodyRead) res.setHeader("connection", "close");
      status = writeError(res, err, logger, verb);
      if (status >= 400 && status < 500) metrics.badRequests.inc({ verb, code: String(status) });
      if (err instanceof PayloadTooLargeError) res.once("finish", () => req.destroy());
      return;
    } finally {
      metrics.requestDuration.observe({ verb, code: String(status) }, (performance.now() - started) / 1000);
    }
  }

  return (req, res) => {
    const path = (req.url ?? "/").split("?")[0]!;
    const verb = routes.get(path);
    if (verb !== undefined) {
      void handleVerb(verb, req, res);
      return;
    }
    if (path === "/healthz") {
      // Liveness only: a dead scorer-svc degrades answers, it does not make the extender unhealthy.
      if (req.method !== "GET" && req.method !== "HEAD") writeError(res, new MethodNotAllowedError("GET"), logger, "healthz");
      else res.writeHead(200, { "content-type": "text/plain" }).end("ok\n");
      return;
    }
    if (path === "/metrics" && opts.registry) {
      if (req.method !== "GET") {
        writeError(res, new MethodNotAllowedError("GET"), logger, "metrics");
        return;
      }
      const registry = opts.registry;
      registry.metrics().then(
        (body) => res.writeHead(200, { "content-type": registry.contentType }).end(body),
        (err: unknown) => writeError(res, err, logger, "metrics"),
      );
      return;
    }
    if (req.method !== "GET" && req.method !== "HEAD") res.setHeader("connection", "close");
    writeError(res, new NotFoundError(`no route ${path} (extender verbs: ${[...routes.keys()].join(", ")})`), logger, "unknown");
  };
}

export interface TlsFiles {
  cert: string | Buffer;
  key: string | Buffer;
}

export interface RunningExtenderServer {
  server: http.Server;
  port: number;
  url: string;
  close(): Promise<void>;
}

/** Listens on host:port (0 = ephemeral) over HTTP, or HTTPS when `tls` is given. */
export async function startExtenderServer(opts: {
  handler: http.RequestListener;
  host: string;
  port: number;
  tls?: TlsFiles;
}): Promise<RunningExtenderServer> {
  const server: http.Server = opts.tls ? https.createServer({ cert: opts.tls.cert, key: opts.tls.key }, opts.handler) : http.createServer(opts.handler);
  // Bound slow clients. kube-scheduler's Go client keeps connections alive and closes idle ones
  // after 90 s; keeping ours open longer means the client, not the server, closes an idle
  // connection, so a POST never races a server-side close (Go does not retry a POST).
  server.requestTimeout = 30_000;
  server.headersTimeout = 10_000;
  server.keepAliveTimeout = 120_000;
  await new Promise<void>((resolve, reject) => {
    server.once("error", (err) => reject(new Error(`cannot listen on ${opts.host}:${opts.port}: ${err.message}`)));
    server.listen(opts.port, opts.host, resolve);
  });
  const port = (server.address() as AddressInfo).port;
  const hostForUrl = opts.host.includes(":") ? `[${opts.host}]` : opts.host;
  return {
    server,
    port,
    url: `${opts.tls ? "https" : "http"}://${hostForUrl}:${port}`,
    close: () =>
      new Promise<void>((resolve) => {
        server.closeAllConnections();
        server.close(() => resolve());
      }),
  };
}
