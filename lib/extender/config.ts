// Extender configuration: flags/env read and validated once at start-up into a typed object.
import { ConfigError, nonNegative, parseFlags, positive, type FlagSpecs, type ParsedFlags } from "../config/flags.js";
import type { OnBackendError } from "./service.js";
import type { LogLevel } from "./log.js";
import { normalizePathPrefix } from "./http.js";

export const EXTENDER_FLAGS = {
  listen: {
    name: "listen",
    env: "OVERSEER_EXTENDER_LISTEN",
    type: "string",
    default: "127.0.0.1:8888",
    help: "host:port for the extender endpoints, /healthz and /metrics (port 0 = ephemeral)",
  },
  pathPrefix: {
    name: "path-prefix",
    env: "OVERSEER_EXTENDER_PATH_PREFIX",
    type: "string",
    default: "/overseer",
    help: "URL path prefix of the verbs: POST <prefix>/filter and <prefix>/prioritize (urlPrefix in KubeSchedulerConfiguration ends with it)",
  },
  scorerAddress: {
    name: "scorer-address",
    env: "OVERSEER_SCORER_ADDRESS",
    type: "string",
    default: "127.0.0.1:50053",
    help: "host:port of scorer-svc (gRPC, plaintext; scorer-svc's default --listen)",
  },
  scorerTransport: {
    name: "scorer-transport",
    env: "OVERSEER_EXTENDER_SCORER_TRANSPORT",
    type: "string",
    default: "h2",
    help: "client of the scorer-svc calls: 'h2' (lean gRPC unary client on its own HTTP/2 over one TCP socket, less CPU per call) or 'grpc-js' (the generated @grpc/grpc-js client; the fallback)",
    validate: (v) => (v === "h2" || v === "grpc-js" ? undefined : `must be "h2" or "grpc-js", got "${v}"`),
  },
  scorerDeadline: {
    name: "scorer-deadline",
    env: "OVERSEER_EXTENDER_SCORER_DEADLINE",
    type: "duration",
    default: 2000,
    help: "deadline of each scorer-svc call; must be below --http-timeout",
    validate: (v) => positive(v as number),
  },
  httpTimeout: {
    name: "http-timeout",
    env: "OVERSEER_EXTENDER_HTTP_TIMEOUT",
    type: "duration",
    default: 5000,
    help: "kube-scheduler's httpTimeout for this extender (its default is 5s); only used to check --scorer-deadline",
    validate: (v) => positive(v as number),
  },
  onBackendError: {
    name: "on-backend-error",
    env: "OVERSEER_EXTENDER_ON_BACKEND_ERROR",
    type: "string",
    default: "pass",
    help: "when scorer-svc is down/slow: 'pass' (filter passes every node, prioritize gives equal scores) or 'error' (HTTP 503; kube-scheduler's `ignorable` decides)",
    validate: (v) => (v === "pass" || v === "error" ? undefined : `must be "pass" or "error", got "${v}"`),
  },
  maxBodyBytes: {
    name: "max-body-bytes",
    env: "OVERSEER_EXTENDER_MAX_BODY_BYTES",
    type: "int",
    default: 64 * 1024 * 1024,
    help: "largest accepted request body (bytes); larger is 413. Full Node objects (nodeCacheCapable: false) are big",
    validate: (v) => positive(v as number),
  },
  breakerFailures: {
    name: "breaker-failures",
    env: "OVERSEER_EXTENDER_BREAKER_FAILURES",
    type: "int",
    default: 5,
    help: "consecutive scorer-svc failures that open the circuit",
    validate: (v) => positive(v as number),
  },
  breakerCoolDown: {
    name: "breaker-cooldown",
    env: "OVERSEER_EXTENDER_BREAKER_COOLDOWN",
    type: "duration",
    default: 5000,
    help: "how long the circuit stays open before one probe call (half-open)",
    validate: (v) => nonNegative(v as number),
  },
  tlsCert: {
    name: "tls-cert",
    env: "OVERSEER_EXTENDER_TLS_CERT",
    type: "string",
    help: "PEM certificate file: serve HTTPS (enableHTTPS: true); needs --tls-key",
  },
  tlsKey: {
    name: "tls-key",
    env: "OVERSEER_EXTENDER_TLS_KEY",
    type: "string",
    help: "PEM private key file for --tls-cert",
  },
  logLevel: {
    name: "log-level",
    env: "OVERSEER_LOG_LEVEL",
    type: "string",
    default: "info",
    help: "debug, info, warn or error",
    validate: (v) => (["debug", "info", "warn", "error"].includes(v as string) ? undefined : `must be debug, info, warn or error`),
  },
} satisfies FlagSpecs;

/** Which client carries the scorer-svc calls (both implement ScorerBackend). */
export type ScorerTransport = "h2" | "grpc-js";

export interface ExtenderConfig {
  host: string;
  port: number;
  pathPrefix: string;
  scorerAddress: string;
  scorerTransport: ScorerTransport;
  scorerDeadlineMs: number;
  httpTimeoutMs: number;
  onBackendError: OnBackendError;
  maxBodyBytes: number;
  breakerFailures: number;
  breakerCoolDownMs: number;
  tls?: { certFile: string; keyFile: string };
  logLevel: LogLevel;
}

/** host:port (IPv6 as [::1]:port) -> parts. */
export function parseHostPort(text: string, flag: string): { host: string; port: number } {
  const m = /^(?:\[([^\]]+)\]|([^:]+)):(\d+)$/.exec(text.trim());
  if (!m) throw new ConfigError(`--${flag}: "${text}" is not host:port`);
  const port = Number(m[3]);
  if (port > 65535) throw new ConfigError(`--${flag}: port ${port} is out of range`);
  return { host: (m[1] ?? m[2])!, port };
}

/** Cross-field checks on top of the per-flag ones. */
export function toExtenderConfig(f: ParsedFlags<typeof EXTENDER_FLAGS>): ExtenderConfig {
  const { host, port } = parseHostPort(f.listen, "listen");
  parseHostPort(f.scorerAddress, "scorer-address");
  if (f.scorerDeadline >= f.httpTimeout) {
    throw new ConfigError(
      `--scorer-deadline (${f.scorerDeadline}ms) must be below --http-timeout (${f.httpTimeout}ms), or kube-scheduler gives up before the degraded answer arrives`,
    );
  }
  if ((f.tlsCert === undefined) !== (f.tlsKey === undefined)) throw new ConfigError("--tls-cert and --tls-key go together");
  return {
    host,
    port,
    pathPrefix: normalizePathPrefix(f.pathPrefix),
    scorerAddress: f.scorerAddress,
    scorerTransport: f.scorerTransport as ScorerTransport,
    scorerDeadlineMs: f.scorerDeadline,
    httpTimeoutMs: f.httpTimeout,
    onBackendError: f.onBackendError as OnBackendError,
    maxBodyBytes: f.maxBodyBytes,
    breakerFailures: f.breakerFailures,
    breakerCoolDownMs: f.breakerCoolDown,
    tls: f.tlsCert !== undefined && f.tlsKey !== undefined ? { certFile: f.tlsCert, keyFile: f.tlsKey } : undefined,
    logLevel: f.logLevel as LogLevel,
  };
}

export function parseExtenderConfig(argv: readonly string[], env: NodeJS.ProcessEnv): ExtenderConfig {
  return toExtenderConfig(parseFlags(argv, env, EXTENDER_FLAGS));
}
