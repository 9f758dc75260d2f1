// Test and benchmark helpers: NodeStates with chosen feature values.
import { FeatureState, type FeatureVector } from "../../../gen/overseer/v1/features.js";
import { CounterSource, type NodeState } from "../../../gen/overseer/v1/node_state.js";
import { FEATURE_NAMES, SCHEMA_VERSION } from "../../features/catalog.js";

/** A plausible quiet SPR node's features (all present). */
export const QUIET_FEATURES: Record<string, number> = {
  tma_retiring_fraction: 0.5,
  tma_frontend_bound_fraction: 0.15,
  tma_bad_speculation_fraction: 0.05,
  tma_backend_bound_fraction: 0.3,
  tma_memory_bound_fraction: 0.12,
  tma_core_bound_fraction: 0.18,
  l3_bound_stall_fraction: 0.03,
  dram_bound_stall_fraction: 0.05,
  llc_misses_per_kilo_instr: 0.8,
  l2_misses_per_kilo_instr: 4,
  instructions_per_ref_cycle: 1.4,
  cpu_utilization_fraction: 0.2,
  mem_read_bytes_per_sec: 10e9,
  mem_write_bytes_per_sec: 4e9,
  mem_bandwidth_fraction_of_peak: 0.05,
  llc_occupancy_fraction: 0.2,
  mbm_total_bytes_per_sec: 14e9,
};

export function featureVector(overrides: Record<string, number> = {}, absent: string[] = []): FeatureVector {
  const values = FEATURE_NAMES.map((n) => (absent.includes(n) ? 0 : (overrides[n] ?? QUIET_FEATURES[n] ?? 0)));
  const states = FEATURE_NAMES.map((n) => (absent.includes(n) ? FeatureState.FEATURE_STATE_ABSENT_EVENT_NOT_SUPPORTED : FeatureState.FEATURE_STATE_PRESENT));
  return { schemaVersion: SCHEMA_VERSION, values, states, window: { seconds: 1, nanos: 0 }, absenceDetails: {} };
}

export interface NodeStateOptions {
  sequence?: number;
  observedAt?: Date;
  agentStartedAt?: Date;
  features?: Record<string, number>;
  absent?: string[];
  residents?: { podNamespace: string; podName: string; podUid?: string; workloadClass?: string }[];
}

export const AGENT_START = new Date("2026-11-28T10:00:00Z");

export function nodeState(node: string, o: NodeStateOptions = {}): NodeState {
  return {
    nodeName: node,
    agentId: `agent-${node}`,
    sequence: o.sequence ?? 1,
    observedAt: o.observedAt ?? new Date(),
    features: featureVector(o.features, o.absent),
    pmu: {
      cpuModel: "Intel(R) Xeon(R) Platinum 8480+",
      cpuid: "GenuineIntel-6-8F",
      microarchitecture: "sapphirerapids",
      sockets: 2,
      coresPerSocket: 56,
      logicalCpus: 224,
      llcBytes: 210e6,
      memoryChannels: 16,
      peakMemoryBandwidthBytesPerSec: 614e9,
      tscHz: 2e9,
      imcPmuCount: 16,
      resctrlAvailable: true,
      availableEvents: [],
      missingEvents: [],
    },
    regime: undefined,
    residents: (o.residents ?? []).map((r) => ({ podNamespace: r.podNamespace, podName: r.podName, podUid: r.podUid ?? "", workloadClass: r.workloadClass ?? "", isCnf: true, placedAt: undefined })),
    source: CounterSource.COUNTER_SOURCE_SIMULATOR,
    agentStartedAt: o.agentStartedAt ?? AGENT_START,
  };
}
