// Assembles the extender from its parts (backend, breaker, metrics, service, HTTP handler):
// used by cmd/extender/main.ts, by the tests and by the benchmark.
import { readFileSync } from "node:fs";
import { Registry } from "prom-client";
import { createCircuitBreaker, type CircuitBreaker } from "./circuit-breaker.js";
import type { ExtenderConfig } from "./config.js";
import { createExtenderHandler, startExtenderServer, type RunningExtenderServer } from "./http.js";
import { createJsonLogger, type Logger } from "./log.js";
import { createExtenderMetrics, type ExtenderMetrics } from "./metrics.js";
import { createH2ScorerBackend } from "./h2-scorer-backend.js";
import { createGrpcScorerBackend, type ScorerBackend } from "./scorer-backend.js";
import { createExtenderService, type ExtenderService } from "./service.js";

export interface ExtenderParts {
  backend?: ScorerBackend;
  registry?: Registry;
  logger?: Logger;
  now?: () => number;
}

export interface Extender {
  server: RunningExtenderServer;
  service: ExtenderService;
  breaker: CircuitBreaker;
  metrics: ExtenderMetrics;
  registry: Registry;
  close(): Promise<void>;
}

/** The scorer-svc client chosen by --scorer-transport. */
export function createScorerBackend(config: Pick<ExtenderConfig, "scorerAddress" | "scorerTransport">): ScorerBackend {
  return config.scorerTransport === "grpc-js" ? createGrpcScorerBackend({ address: config.scorerAddress }) : createH2ScorerBackend({ address: config.scorerAddress });
}

export async function startExtender(config: ExtenderConfig, parts: ExtenderParts = {}): Promise<Extender> {
  const logger = parts.logger ?? createJsonLogger({ level: config.logLevel });
  const registry = parts.registry ?? new Registry();
  const metrics = createExtenderMetrics(registry);
  const backend = parts.backend ?? createScorerBackend(config);
  const breaker = createCircuitBreaker({
    failureThreshold: config.breakerFailures,
    coolDownMs: config.breakerCoolDownMs,
    now: parts.now,
    onStateChange: (state, previous) => {
      metrics.setCircuitState(state);
      logger.warn("scorer-svc circuit breaker changed state", { state, previous });
    },
  });
  const service = createExtenderService({
    backend,
    breaker,
    metrics,
    logger,
    backendDeadlineMs: config.scorerDeadlineMs,
    onBackendError: config.onBackendError,
  });
  const handler = createExtenderHandler({ service, metrics, logger, pathPrefix: config.pathPrefix, maxBodyBytes: config.maxBodyBytes, registry });
  const tls = config.tls ? { cert: readFileSync(config.tls.certFile), key: readFileSync(config.tls.keyFile) } : undefined;
  const server = await startExtenderServer({ handler, host: config.host, port: config.port, tls });
  return {
    server,
    service,
    breaker,
    metrics,
    registry,
    close: async () => {
      await server.close();
      backend.close();
    },
  };
}
