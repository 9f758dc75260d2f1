// Metrics every model-serving service exports: model version loaded, reloads, refusals and
// request latency by method and status code.
import * as grpc from "@grpc/grpc-js";
import { Counter, Gauge, Histogram, type Registry } from "prom-client";
import { ServiceError } from "../grpc/errors.js";
import type { ModelBundle } from "./load-bundle.js";

/** Request latency buckets in seconds (0.25 ms .. 2.5 s). */
export const LATENCY_BUCKETS_SECONDS = [0.00025, 0.0005, 0.001, 0.0025, 0.005, 0.01, 0.02, 0.05, 0.1, 0.25, 0.5, 1, 2.5];
/** Batch size buckets (rows). */
export const BATCH_BUCKETS = [1, 2, 5, 10, 25, 50, 100, 250, 500, 1000, 2500, 5000, 10000];

export interface ServiceMetrics {
  requestDuration: Histogram<"method" | "code">;
  modelLoaded: Gauge<"version">;
  reloads: Counter;
  refusals: Counter<"reason">;
  onLoaded(bundle: ModelBundle, previous: ModelBundle | undefined): void;
  onRefused(reason: string): void;
  /** Wraps an async handler body: records its latency with the gRPC code it ends with. */
  timed<T>(method: string, fn: () => Promise<T>): Promise<T>;
}

/** `svc` is the metric name part, e.g. "regime" -> overseer_regime_model_reloads_total. */
export function createServiceMetrics(registry: Registry, svc: string): ServiceMetrics {
  const requestDuration = new Histogram({
    name: `overseer_${svc}_request_duration_seconds`,
    help: "gRPC request latency by method and status code",
    labelNames: ["method", "code"] as const,
    buckets: LATENCY_BUCKETS_SECONDS,
    registers: [registry],
  });
  const modelLoaded = new Gauge({
    name: `overseer_${svc}_model_loaded`,
    help: "1 for the model bundle version being served",
    labelNames: ["version"] as const,
    registers: [registry],
  });
  const reloads = new Counter({
    name: `overseer_${svc}_model_reloads_total`,
    help: "Model bundles loaded after the first (hot swaps)",
    registers: [registry],
  });
  const refusals = new Counter({
    name: `overseer_${svc}_model_refusals_total`,
    help: "Model bundles refused (checksum, schema, format, ONNX load), by reason",
    labelNames: ["reason"] as const,
    registers: [registry],
  });
  return {
    requestDuration,
    modelLoaded,
    reloads,
    refusals,
    onLoaded(bundle, previous) {
      modelLoaded.reset();
      modelLoaded.labels(bundle.manifest.version).set(1);
      if (previous) reloads.inc();
    },
    onRefused(reason) {
      refusals.labels(reason).inc();
    },
    async timed(method, fn) {
      const end = requestDuration.startTimer({ method });
      try {
        const r = await fn();
        end({ code: "OK" });
        return r;
      } catch (e) {
        end({ code: grpc.status[e instanceof ServiceError ? e.code : grpc.status.INTERNAL] });
        throw e;
      }
    },
  };
}
