// OverSeer's world model: a contention simulator of Intel Sapphire Rapids nodes (synthetic).
//
// Library API (all pure TypeScript, no I/O except loadWorkloadCatalog):
//
//   const catalog = loadWorkloadCatalog();            // data/workloads.json (or a path); CatalogError on bad input
//   const node = createSimNode({ name: "n1", variant: "spr-full", seed: 7 });
//                                                     // variants: spr-full | spr-vm | spr-old-kernel | spr-mixed
//   const residents = [{ workload: requireWorkload(catalog, "upf-64b") },
//                      { workload: requireWorkload(catalog, "mem-bw-streamer"), cores: 32 }];
//   const r = simulateInterval(node, residents, { windowSec: 1, frequency: turboFrequency });
//     r.counters      IntervalCounters keyed by lib/features/events.ts names (noise, multiplexing,
//                     <not supported>/unavailable per variant) -> deriveFeatures(r.counters, 1, node.capacity)
//     r.groundTruth   { regime, memBandwidthUtilization, memLatencyNs, llcDisplacedFraction,
//                       busyCpuFraction, coreHz, workloads: [{ workloadClass, cores, throughput,
//                       throughputSolo, slowdown }] }   (throughput in catalog units per second)
//   probeSlowdown(node, residents, workload, cores?)  // { slowdown, throughput, throughputSolo } if one more
//                                                     // pod of `workload` were placed there (oracle; no state change)
//   oracleBestNode([{ node, residents }, ...], workload) // { bestIndex, bestSlowdown, slowdowns }: the true best node
//   node.pmu                                          // overseer.v1.PmuFacts of the node (variant-aware)
//   node.capacity                                     // NodeCapacity for deriveFeatures
//   soloProfile(spec, workload) / soloProfiles(spec, catalog)   // overseer.v1.SoloProfile
//   simulateInterval(node, residents, { perfText: true }).perfLines   // the same counters as `perf stat -x';' -I -a` text
//                                                     // (formatPerfStatInterval in lib/perf/perf-stat-emitter.ts)
//   solveContention(spec, workloads, cores)           // the raw fixed-point solver
//
// Determinism: a node's noise comes from its seed and name only; the same calls give the same numbers.
// Speed: simulateInterval reuses the solved state while the resident set is unchanged (see bench/sim-throughput.ts).
// The model, its constants and their sources: docs/simulator.md. Corpus format: docs/corpus.md.
export { CatalogError, loadWorkloadCatalog, parseWorkloadCatalog, requireWorkload, defaultCatalogPath } from "./catalog.js";
export type { Workload, WorkloadCatalog, WorkloadKind } from "./catalog.js";
export { BACKGROUND_WORKLOAD, loadedLatencyNs, solveContention } from "./contention.js";
export type { ContentionSolution } from "./contention.js";
export { emitCounters, slotShares } from "./counter-model.js";
export { constantFrequency, turboFrequency } from "./frequency.js";
export type { FrequencyModel } from "./frequency.js";
export { createSimNode, probeSlowdown, simulateInterval, solveNode, soloThroughput } from "./node.js";
export type { GroundTruth, IntervalResult, ProbeResult, SimNode, SimResident, SimulateOptions, WorkloadOutcome } from "./node.js";
export { getVariant, nodeCapacity, pmuFacts, SPR_8480_2S, VARIANT_NAMES, VARIANTS } from "./node-spec.js";
export type { NodeSpec, NodeVariant, VariantName } from "./node-spec.js";
export { oracleBestNode } from "./oracle.js";
export type { OracleCandidate, OracleResult } from "./oracle.js";
export { soloProfile, soloProfiles } from "./profile.js";
export { classifyRegime, regimeOf, REGIME_THRESHOLDS, SIM_REGIMES } from "./regime.js";
export { createRng, seedFrom } from "./rng.js";
export { NodeScenario, DEFAULT_SCENARIO } from "./scenario.js";
export type { ScenarioOptions, ScenarioResident } from "./scenario.js";
export { formatPerfStatInterval } from "../perf/perf-stat-emitter.js";
export type { Rng } from "./rng.js";
