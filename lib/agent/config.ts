// Agent configuration: flags and env vars, validated once at start-up into a typed object.
import { hostname } from "node:os";
import { nonNegative, optionalHostPort, positive, type FlagSpec, type ParsedFlags } from "../config/flags.js";

const SOURCES = ["perf", "replay", "sim"];

export const AGENT_FLAGS = {
  source: { name: "source", type: "string", env: "OVERSEER_AGENT_SOURCE", default: "perf", help: "counter source: perf (real `perf stat`), replay (a recorded perf stat file) or sim (the contention simulator, synthetic)", validate: (v: string) => (SOURCES.includes(v) ? undefined : `must be one of ${SOURCES.join(", ")}`) } as FlagSpec<"string">,
  interval: { name: "interval", type: "duration", env: "OVERSEER_AGENT_INTERVAL", default: 1000, help: "measurement window (perf -I); at least 100ms", validate: (v: number) => (v >= 100 ? undefined : "must be >= 100ms (perf's minimum -I is 10ms, but the agent's overhead target assumes >= 100ms)") } as FlagSpec<"duration">,
  nodeName: { name: "node-name", type: "string", env: "OVERSEER_NODE_NAME", default: hostname().toLowerCase(), help: "Kubernetes node name the states are published for (NodeState object name)", validate: (v: string) => (/^[a-z0-9]([-a-z0-9.]{0,251}[a-z0-9])?$/.test(v) ? undefined : "must be a DNS-1123 subdomain (a Kubernetes node name)") } as FlagSpec<"string">,
  agentId: { name: "agent-id", type: "string", env: "OVERSEER_AGENT_ID", default: "", help: "identity of this agent (default <hostname>:<pid>; in cluster the pod name)" } as FlagSpec<"string">,
  scorer: { name: "scorer", type: "string", env: "OVERSEER_SCORER_ADDRESS", default: "127.0.0.1:50053", help: "scorer-svc address for the IngestNodeStates stream (host:port); empty disables" , validate: optionalHostPort } as FlagSpec<"string">,
  listen: { name: "listen", type: "string", env: "OVERSEER_AGENT_LISTEN", default: "127.0.0.1:50054", help: "AgentService gRPC listen address (host:port, port 0 = ephemeral); empty disables", validate: optionalHostPort } as FlagSpec<"string">,
  metricsListen: { name: "metrics-listen", type: "string", env: "OVERSEER_AGENT_METRICS_LISTEN", default: "127.0.0.1:9454", help: "Prometheus /metrics address (host:port, port 0 = ephemeral); empty disables", validate: optionalHostPort } as FlagSpec<"string">,
  record: { name: "record", type: "string", env: "OVERSEER_AGENT_RECORD", default: "", help: "append every NodeState to this JSONL file (corpus node_states.jsonl format); empty disables" } as FlagSpec<"string">,
  kubeconfig: { name: "kubeconfig", type: "string", env: "OVERSEER_KUBECONFIG", default: "", help: "kubeconfig path: enables writing the NodeState custom resource" } as FlagSpec<"string">,
  inCluster: { name: "in-cluster", type: "bool", env: "OVERSEER_IN_CLUSTER", default: false, help: "use in-cluster service-account credentials: enables writing the NodeState custom resource" } as FlagSpec<"bool">,
  kubeAttempts: { name: "kube-attempts", type: "int", env: "OVERSEER_AGENT_KUBE_ATTEMPTS", default: 5, help: "attempts per NodeState custom-resource write (conflicts, 5xx, 429, connection errors are retried)", validate: positive } as FlagSpec<"int">,
  perfPath: { name: "perf-path", type: "string", env: "OVERSEER_PERF_PATH", default: "perf", help: "perf binary (perf source)" } as FlagSpec<"string">,
  perfMaxBackoff: { name: "perf-max-backoff", type: "duration", env: "OVERSEER_PERF_MAX_BACKOFF", default: 30000, help: "longest wait before restarting a perf child that died (backoff starts at 500ms and doubles)", validate: positive } as FlagSpec<"duration">,
  resctrlRoot: { name: "resctrl-root", type: "string", env: "OVERSEER_RESCTRL_ROOT", default: "/sys/fs/resctrl", help: "resctrl mount; mon_data/mon_L3_*/ is read when present (perf source)" } as FlagSpec<"string">,
  replayFile: { name: "replay-file", type: "string", env: "OVERSEER_REPLAY_FILE", default: "", help: "recorded `perf stat -x';' -I <ms> -a` output (replay source)" } as FlagSpec<"string">,
  replayPace: { name: "replay-pace", type: "duration", env: "OVERSEER_REPLAY_PACE", help: "time between replayed intervals; 0 = as fast as possible; default = --interval" } as FlagSpec<"duration">,
  replayLoop: { name: "replay-loop", type: "bool", env: "OVERSEER_REPLAY_LOOP", default: false, help: "start the recording again when it ends (otherwise the agent exits after the last interval)" } as FlagSpec<"bool">,
  simVariant: { name: "sim-variant", type: "string", env: "OVERSEER_SIM_VARIANT", default: "spr-full", help: "simulated node variant: spr-full, spr-vm, spr-old-kernel, spr-mixed (sim source)" } as FlagSpec<"string">,
  simSeed: { name: "sim-seed", type: "int", env: "OVERSEER_SIM_SEED", default: 1, help: "simulator seed (sim source)" } as FlagSpec<"int">,
  simMix: { name: "sim-mix", type: "string", env: "OVERSEER_SIM_MIX", default: "", help: "resident workloads as class[:cores],... from data/workloads.json (sim source); empty = idle node" } as FlagSpec<"string">,
  simPace: { name: "sim-pace", type: "duration", env: "OVERSEER_SIM_PACE", help: "wall time between simulated windows; 0 = as fast as possible; default = --interval" } as FlagSpec<"duration">,
  maxIntervals: { name: "max-intervals", type: "int", env: "OVERSEER_AGENT_MAX_INTERVALS", default: 0, help: "stop after this many windows (0 = run until SIGTERM)", validate: nonNegative } as FlagSpec<"int">,
  memoryChannels: { name: "memory-channels", type: "int", env: "OVERSEER_MEMORY_CHANNELS", default: 0, help: "DDR channels of the node, all sockets (0 = 8 per socket, Sapphire Rapids)", validate: nonNegative } as FlagSpec<"int">,
  channelBandwidth: { name: "channel-bandwidth", type: "float", env: "OVERSEER_CHANNEL_BANDWIDTH", default: 38.4e9, help: "peak bytes/s of one channel (default DDR5-4800: 4800 MT/s x 8 bytes)", validate: positive } as FlagSpec<"float">,
  peakMemoryBandwidth: { name: "peak-memory-bandwidth", type: "float", env: "OVERSEER_PEAK_MEMORY_BANDWIDTH", default: 0, help: "peak DRAM bytes/s of the node (0 = channels x channel bandwidth)", validate: nonNegative } as FlagSpec<"float">,
  tscHz: { name: "tsc-hz", type: "float", env: "OVERSEER_TSC_HZ", default: 0, help: "TSC rate in Hz (0 = the nominal clock in the CPU model name, else unknown)", validate: nonNegative } as FlagSpec<"float">,
  llcBytes: { name: "llc-bytes", type: "int", env: "OVERSEER_LLC_BYTES", default: 0, help: "last-level cache bytes, all sockets (0 = from sysfs)", validate: nonNegative } as FlagSpec<"int">,
  logicalCpus: { name: "logical-cpus", type: "int", env: "OVERSEER_LOGICAL_CPUS", default: 0, help: "logical CPUs of the node (0 = from /proc/cpuinfo; set it when replaying another node's recording)", validate: nonNegative } as FlagSpec<"int">,
  minPercentCounted: { name: "min-percent-counted", type: "float", env: "OVERSEER_MIN_PERCENT_COUNTED", default: 5, help: "readings multiplexed below this percent of the window are not trusted (feature absent)", validate: (v: number) => (v >= 0 && v <= 100 ? undefined : "must be 0..100") } as FlagSpec<"float">,
  shutdownGrace: { name: "shutdown-grace", type: "duration", env: "OVERSEER_SHUTDOWN_GRACE", default: 5000, help: "how long publishers may take to flush the last state on SIGTERM", validate: nonNegative } as FlagSpec<"duration">,
};

export type AgentConfig = ParsedFlags<typeof AGENT_FLAGS>;

export class AgentConfigError extends Error {}

/** Checks that span several flags. */
export function checkAgentConfig(cfg: AgentConfig): AgentConfig {
  if (cfg.source === "replay" && cfg.replayFile === "") throw new AgentConfigError("--source replay needs --replay-file");
  if (cfg.source !== "replay" && cfg.replayFile !== "") throw new AgentConfigError(`--replay-file is only used with --source replay (source is ${cfg.source})`);
  if (cfg.kubeconfig !== "" && cfg.inCluster) throw new AgentConfigError("give either --kubeconfig or --in-cluster, not both");
  return cfg;
}

export const SUMMARY = "OverSeer node agent: reads PMU counters (perf stat, a recording or the simulator), derives the feature vector and publishes NodeState (scorer-svc gRPC stream, NodeState custom resource, JSONL recording).";
