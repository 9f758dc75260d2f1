// overseer-local configuration: flags (and the DURATION/NODES/SEED variables `make run` passes),
// validated once at start-up into a typed object.
import { ConfigError, nonNegative, positive, type FlagSpec, type ParsedFlags } from "../config/flags.js";

export const LOCAL_FLAGS = {
  duration: { name: "duration", type: "duration", env: "DURATION", default: 60_000, help: "how long the scenario sends pods (e.g. 10s, 1m)", validate: (v: number) => (v >= 1000 ? undefined : "must be at least 1s") } as FlagSpec<"duration">,
  nodes: { name: "nodes", type: "int", env: "NODES", default: 8, help: "simulated SPR nodes (one agent each)", validate: (v: number) => (v >= 2 && v <= 64 ? undefined : "must be 2..64") } as FlagSpec<"int">,
  seed: { name: "seed", type: "int", env: "SEED", default: 1, help: "seed of the scenario (node variants, neighbours, pod arrivals)", validate: nonNegative } as FlagSpec<"int">,
  podInterval: { name: "pod-interval", type: "duration", env: "OVERSEER_LOCAL_POD_INTERVAL", default: 1500, help: "mean time between CNF pod arrivals", validate: positive } as FlagSpec<"duration">,
  agentInterval: { name: "agent-interval", type: "duration", env: "OVERSEER_LOCAL_AGENT_INTERVAL", default: 1000, help: "measurement window of every agent", validate: (v: number) => (v >= 100 ? undefined : "must be at least 100ms") } as FlagSpec<"duration">,
  maxSlowdown: { name: "max-slowdown", type: "float", env: "OVERSEER_LOCAL_MAX_SLOWDOWN", default: 1.6, help: "slowdown limit put on every CNF pod (annotation overseer.io/max-slowdown)", validate: (v: number) => (v >= 1 ? undefined : "must be >= 1") } as FlagSpec<"float">,
  extenderWeight: { name: "extender-weight", type: "int", env: "OVERSEER_LOCAL_EXTENDER_WEIGHT", default: 6, help: "the extender's weight in the emulated kube-scheduler (score x 10 x weight, added to least-allocated; deploy/scheduler-config.yaml uses 6)", validate: positive } as FlagSpec<"int">,
  bundleDir: { name: "bundle-dir", type: "string", env: "OVERSEER_BUNDLE_DIR", default: "models/default", help: "model bundle served by regime-svc and scorer-svc" } as FlagSpec<"string">,
  runDir: { name: "run-dir", type: "string", env: "OVERSEER_LOCAL_RUN_DIR", default: "", help: "where logs, generated configs and summary.json go (default: a new directory under the OS temp dir)" } as FlagSpec<"string">,
  keepRunning: { name: "keep-running", type: "bool", default: false, help: "after the scenario, keep the stack up until Ctrl-C (poke at it with grpcurl)" } as FlagSpec<"bool">,
  withObservability: { name: "with-observability", type: "bool", env: "WITH_OBSERVABILITY", default: false, help: "also start Prometheus and Jaeger (when installed) with configs from deploy/" } as FlagSpec<"bool">,
  startTimeout: { name: "start-timeout", type: "duration", env: "OVERSEER_LOCAL_START_TIMEOUT", default: 60_000, help: "how long every process may take to become ready", validate: positive } as FlagSpec<"duration">,
  stopGrace: { name: "stop-grace", type: "duration", env: "OVERSEER_LOCAL_STOP_GRACE", default: 8000, help: "how long children may take to exit after SIGTERM before SIGKILL", validate: positive } as FlagSpec<"duration">,
};

export type LocalFlags = ParsedFlags<typeof LOCAL_FLAGS>;

export interface LocalConfig {
  durationMs: number;
  nodes: number;
  seed: number;
  podIntervalMs: number;
  agentIntervalMs: number;
  maxSlowdown: number;
  extenderWeight: number;
  bundleDir: string;
  /** "" = create one under the OS temp dir. */
  runDir: string;
  keepRunning: boolean;
  withObservability: boolean;
  startTimeoutMs: number;
  stopGraceMs: number;
}

export function toLocalConfig(f: LocalFlags): LocalConfig {
  if (f.podInterval > f.duration) {
    throw new ConfigError(`--pod-interval (${f.podInterval} ms) is longer than --duration (${f.duration} ms): no pod would be sent`);
  }
  return {
    durationMs: f.duration,
    nodes: f.nodes,
    seed: f.seed,
    podIntervalMs: f.podInterval,
    agentIntervalMs: f.agentInterval,
    maxSlowdown: f.maxSlowdown,
    extenderWeight: f.extenderWeight,
    bundleDir: f.bundleDir,
    runDir: f.runDir,
    keepRunning: f.keepRunning,
    withObservability: f.withObservability,
    startTimeoutMs: f.startTimeout,
    stopGraceMs: f.stopGrace,
  };
}
