// scorer-svc configuration: flags and env vars, validated once at start-up.
import { hostPort, nonNegative, optionalHostPort, portRange, positive, type FlagSpec, type ParsedFlags } from "../config/flags.js";

/** Well below the extender's --scorer-deadline (2 s by default): the decision must still be scored after it. */
export const MAX_DECISION_CLASSIFY_TIMEOUT_MS = 1000;
const decisionTimeout = (v: number) =>
  v > 0 && v <= MAX_DECISION_CLASSIFY_TIMEOUT_MS ? undefined : `must be > 0 and at most ${MAX_DECISION_CLASSIFY_TIMEOUT_MS}ms (well below the extender's --scorer-deadline, so the decision is still scored after a timeout)`;

export const SCORER_FLAGS = {
  listen: { name: "listen", type: "string", env: "OVERSEER_SCORER_LISTEN", default: "127.0.0.1:50053", help: "gRPC listen address (host:port; port 0 = ephemeral)", validate: hostPort } as FlagSpec<"string">,
  metricsHost: { name: "metrics-host", type: "string", env: "OVERSEER_SCORER_METRICS_HOST", default: "127.0.0.1", help: "host of the Prometheus /metrics HTTP server" } as FlagSpec<"string">,
  metricsPort: { name: "metrics-port", type: "int", env: "OVERSEER_SCORER_METRICS_PORT", default: 9453, help: "port of the Prometheus /metrics HTTP server (0 = ephemeral)", validate: portRange } as FlagSpec<"int">,
  bundleDir: { name: "bundle-dir", type: "string", env: "OVERSEER_BUNDLE_DIR", default: "models/default", help: "model bundle directory; watched for new bundles" } as FlagSpec<"string">,
  pollInterval: { name: "poll-interval", type: "duration", env: "OVERSEER_BUNDLE_POLL_INTERVAL", default: 5000, help: "how often the bundle directory is checked (0 disables hot reload)", validate: nonNegative } as FlagSpec<"duration">,
  regimeAddress: { name: "regime-address", type: "string", env: "OVERSEER_REGIME_ADDRESS", default: "127.0.0.1:50052", help: "regime-svc address (host:port); empty = never classify (every node is scored with the worst regime)", validate: optionalHostPort } as FlagSpec<"string">,
  regimeTimeout: { name: "regime-timeout", type: "duration", env: "OVERSEER_REGIME_TIMEOUT", default: 2000, help: "deadline of one Classify call", validate: positive } as FlagSpec<"duration">,
  regimeFlush: { name: "regime-flush", type: "duration", env: "OVERSEER_REGIME_FLUSH", default: 1000, help: "background catch-up: new states nobody scored wait at most this long before a Classify batch is sent (about one agent interval, so decisions classify fresh states themselves)", validate: positive } as FlagSpec<"duration">,
  regimeBatch: { name: "regime-batch", type: "int", env: "OVERSEER_REGIME_BATCH", default: 256, help: "a Classify batch is sent at once when this many nodes wait", validate: positive } as FlagSpec<"int">,
  decisionClassifyTimeout: { name: "decision-classify-timeout", type: "duration", env: "OVERSEER_DECISION_CLASSIFY_TIMEOUT", default: 200, help: "deadline of the Classify call a Score/Filter/Explain call makes for its pending candidates; on timeout it scores with cached regimes (marked stale)", validate: decisionTimeout } as FlagSpec<"duration">,
  decisionClassifyInterval: { name: "decision-classify-interval", type: "duration", env: "OVERSEER_DECISION_CLASSIFY_INTERVAL", default: 100, help: "a decision less than this after the previous one calls regime-svc only for never-classified candidates, scores the rest with their cached regime (marked stale) and, at most once per interval, has the background batcher classify the queue now (0 = every decision classifies its pending candidates)", validate: (v: number) => (v >= 0 && v <= 10_000 ? undefined : "must be between 0 and 10s") } as FlagSpec<"duration">,
  decisionClassifyMax: { name: "decision-classify-max", type: "int", env: "OVERSEER_DECISION_CLASSIFY_MAX", default: 256, help: "most pending candidates one Score/Filter/Explain call classifies itself (0 = never; the background batcher does all)", validate: nonNegative } as FlagSpec<"int">,
  freshness: { name: "freshness", type: "duration", env: "OVERSEER_FRESHNESS", default: 10_000, help: "a NodeState older than this (now - observed_at) is stale: worst-case score", validate: positive } as FlagSpec<"duration">,
  worstSlowdown: { name: "worst-slowdown", type: "float", env: "OVERSEER_WORST_SLOWDOWN", default: 2.0, help: "slowdown bound that scores 0 (a bound of 1.0 scores 10, linear in between)", validate: (v: number) => (v > 1 ? undefined : "must be > 1") } as FlagSpec<"float">,
  placementSettle: { name: "placement-settle", type: "duration", env: "OVERSEER_PLACEMENT_SETTLE", default: 30_000, help: "how long a reported placement is charged unless a newer NodeState shows the pod", validate: nonNegative } as FlagSpec<"duration">,
  predictionCacheProfiles: { name: "prediction-cache-profiles", type: "int", env: "OVERSEER_SCORER_PREDICTION_CACHE_PROFILES", default: 32, help: "workload profiles whose model outputs are cached per node until the node's state or regime changes (least recently used dropped; 16 bytes per node per profile; 0 disables the cache)", validate: (v: number) => (v >= 0 && v <= 4096 ? undefined : "must be between 0 (off) and 4096") } as FlagSpec<"int">,
  maxCandidates: { name: "max-candidates", type: "int", env: "OVERSEER_SCORER_MAX_CANDIDATES", default: 10_000, help: "largest number of node names in one Score/Filter/Explain request", validate: positive } as FlagSpec<"int">,
  maxNodes: { name: "max-nodes", type: "int", env: "OVERSEER_SCORER_MAX_NODES", default: 100_000, help: "largest number of nodes the NodeState store holds", validate: positive } as FlagSpec<"int">,
  maxMessageBytes: { name: "max-message-bytes", type: "int", env: "OVERSEER_SCORER_MAX_MESSAGE_BYTES", default: 16 * 1024 * 1024, help: "largest accepted gRPC request in bytes", validate: positive } as FlagSpec<"int">,
  onnxThreads: { name: "onnx-threads", type: "int", env: "OVERSEER_ONNX_THREADS", default: 0, help: "onnxruntime intra-op threads (0 = onnxruntime's choice)", validate: nonNegative } as FlagSpec<"int">,
  inlineInferenceMs: { name: "inline-inference-ms", type: "float", env: "OVERSEER_SCORER_INLINE_INFERENCE_MS", default: 2, help: "a scoring batch whose estimated ONNX time is at most this many ms runs on the service thread instead of the inference worker (saves two thread hops; blocks the event loop that long; 0 = only batches of <= 256 rows)", validate: (v: number) => (v >= 0 && v <= 100 ? undefined : "must be between 0 and 100") } as FlagSpec<"float">,
  kubeconfig: { name: "kubeconfig", type: "string", env: "OVERSEER_KUBECONFIG", default: "", help: "watch NodeState custom resources of the cluster in this kubeconfig (cluster mode)" } as FlagSpec<"string">,
  inCluster: { name: "in-cluster", type: "bool", env: "OVERSEER_IN_CLUSTER", default: false, help: "watch NodeState custom resources with the pod's service account (cluster mode)" } as FlagSpec<"bool">,
  patchRegime: { name: "patch-regime", type: "bool", env: "OVERSEER_PATCH_REGIME", default: true, help: "cluster mode: write a changed regime into the NodeState's status (regime, regimeModelVersion) with a merge patch" } as FlagSpec<"bool">,
  shutdownGrace: { name: "shutdown-grace", type: "duration", env: "OVERSEER_SHUTDOWN_GRACE", default: 5000, help: "how long in-flight requests may finish on SIGTERM", validate: nonNegative } as FlagSpec<"duration">,
};

export type ScorerConfig = ParsedFlags<typeof SCORER_FLAGS>;
