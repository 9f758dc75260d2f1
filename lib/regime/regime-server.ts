// Assembles regime-svc: bundle holder, metrics, gRPC server (reflection + health), /metrics.
import { Histogram, Registry, collectDefaultMetrics } from "prom-client";
import { RegimeServiceService } from "../../gen/overseer/v1/regime_service.js";
import { BundleHolder, type LogFn } from "../bundle/bundle-holder.js";
import { BATCH_BUCKETS, createServiceMetrics } from "../bundle/service-metrics.js";
import { startGrpcServer } from "../grpc/server.js";
import { startMetricsServer } from "../metrics/http-server.js";
import type { RegimeConfig } from "./config.js";
import { createRegimeServiceImpl } from "./regime-service.js";

export const REGIME_SERVICE_NAME = "overseer.v1.RegimeService";

export interface RunningRegimeService {
  grpcPort: number;
  metricsPort: number;
  holder: BundleHolder;
  registry: Registry;
  stop(): Promise<void>;
}

export type RegimeServerOptions = Pick<RegimeConfig, "listen" | "metricsHost" | "metricsPort" | "bundleDir" | "pollInterval" | "maxBatch" | "maxMessageBytes" | "onnxThreads" | "shutdownGrace"> & {
  log?: LogFn;
  defaultMetrics?: boolean;
};

export async function startRegimeService(cfg: RegimeServerOptions): Promise<RunningRegimeService> {
  const registry = new Registry();
  if (cfg.defaultMetrics) {
    collectDefaultMetrics({ register: registry, prefix: "overseer_regime_" });
    // prom-client names these gauges *_total, which `promtool check metrics` rejects (a _total suffix means a counter).
    for (const g of ["handles", "requests", "resources"]) registry.removeSingleMetric(`overseer_regime_nodejs_active_${g}_total`);
  }
  const metrics = createServiceMetrics(registry, "regime");
  const batchSize = new Histogram({ name: "overseer_regime_classify_batch_size", help: "Vectors per Classify request", buckets: BATCH_BUCKETS, registers: [registry] });
  let setServing: (serving: boolean) => void = () => undefined;
  const holder = new BundleHolder({
    dir: cfg.bundleDir,
    pollIntervalMs: cfg.pollInterval,
    loadOptions: { intraOpThreads: cfg.onnxThreads, runner: "worker" },
    log: cfg.log,
    onLoaded: (b, prev) => {
      metrics.onLoaded(b, prev);
      setServing(true);
    },
    onRefused: (reason) => metrics.onRefused(reason),
  });
  const impl = createRegimeServiceImpl({ holder, metrics, batchSize, maxBatch: cfg.maxBatch });
  const grpcServer = await startGrpcServer({
    address: cfg.listen,
    services: [{ name: REGIME_SERVICE_NAME, definition: RegimeServiceService, implementation: impl }],
    maxReceiveMessageBytes: cfg.maxMessageBytes,
  });
  setServing = (on) => grpcServer.setServing(REGIME_SERVICE_NAME, on);
  if (!grpcServer.receiveWindowsWidened) cfg.log?.("warn", "HTTP/2 receive windows left at 64 KiB (grpc-js keeps its servers elsewhere in this version): large requests wait for window updates", {});
  await holder.start();
  if (holder.current()) setServing(true);
  const metricsServer = await startMetricsServer({ host: cfg.metricsHost, port: cfg.metricsPort, registry, ready: () => holder.current() !== undefined });
  return {
    grpcPort: grpcServer.port,
    metricsPort: metricsServer.port,
    holder,
    registry,
    async stop() {
      await grpcServer.shutdown(cfg.shutdownGrace);
      await metricsServer.close();
      await holder.stop();
    },
  };
}
