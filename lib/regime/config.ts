// regime-svc configuration: flags and env vars, validated once at start-up.
import { hostPort, nonNegative, portRange, positive, type FlagSpec, type ParsedFlags } from "../config/flags.js";

export const REGIME_FLAGS = {
  listen: { name: "listen", type: "string", env: "OVERSEER_REGIME_LISTEN", default: "127.0.0.1:50052", help: "gRPC listen address (host:port; port 0 = ephemeral)", validate: hostPort } as FlagSpec<"string">,
  metricsHost: { name: "metrics-host", type: "string", env: "OVERSEER_REGIME_METRICS_HOST", default: "127.0.0.1", help: "host of the Prometheus /metrics HTTP server" } as FlagSpec<"string">,
  metricsPort: { name: "metrics-port", type: "int", env: "OVERSEER_REGIME_METRICS_PORT", default: 9452, help: "port of the Prometheus /metrics HTTP server (0 = ephemeral)", validate: portRange } as FlagSpec<"int">,
  bundleDir: { name: "bundle-dir", type: "string", env: "OVERSEER_BUNDLE_DIR", default: "models/default", help: "model bundle directory (manifest.json, regime.onnx, interference.onnx); watched for new bundles" } as FlagSpec<"string">,
  pollInterval: { name: "poll-interval", type: "duration", env: "OVERSEER_BUNDLE_POLL_INTERVAL", default: 5000, help: "how often the bundle directory is checked for a new bundle (0 disables hot reload)", validate: nonNegative } as FlagSpec<"duration">,
  maxBatch: { name: "max-batch", type: "int", env: "OVERSEER_REGIME_MAX_BATCH", default: 10000, help: "largest number of vectors in one Classify request", validate: positive } as FlagSpec<"int">,
  maxMessageBytes: { name: "max-message-bytes", type: "int", env: "OVERSEER_REGIME_MAX_MESSAGE_BYTES", default: 16 * 1024 * 1024, help: "largest accepted gRPC request in bytes", validate: positive } as FlagSpec<"int">,
  onnxThreads: { name: "onnx-threads", type: "int", env: "OVERSEER_ONNX_THREADS", default: 0, help: "onnxruntime intra-op threads (0 = onnxruntime's choice)", validate: nonNegative } as FlagSpec<"int">,
  shutdownGrace: { name: "shutdown-grace", type: "duration", env: "OVERSEER_SHUTDOWN_GRACE", default: 5000, help: "how long in-flight requests may finish on SIGTERM", validate: nonNegative } as FlagSpec<"duration">,
};

export type RegimeConfig = ParsedFlags<typeof REGIME_FLAGS>;
