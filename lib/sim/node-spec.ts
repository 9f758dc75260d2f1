// The simulated SPR server: published hardware facts and the node variants (which events a node exposes).
// Every constant's source is listed in docs/simulator.md ("Constants").
import { FeatureState } from "../../gen/overseer/v1/features.js";
import type { PmuFacts } from "../../gen/overseer/v1/node_state.js";
import type { NodeCapacity } from "../features/counters.js";
import { EVENTS } from "../features/events.js";

const MiB = 1024 * 1024;

export interface NodeSpec {
  cpuModel: string;
  cpuid: string;
  microarchitecture: string;
  sockets: number;
  coresPerSocket: number;
  threadsPerCore: number;
  logicalCpus: number;
  /** Shared L3, all sockets (the model pools both sockets into one domain). */
  llcBytes: number;
  memoryChannels: number;
  /** DDR5 transfer rate, mega-transfers per second. */
  memoryMegaTransfersPerSec: number;
  peakMemoryBandwidthBytesPerSec: number;
  /** ref-cycles / TSC rate: the base (nominal) clock. */
  tscHz: number;
  /** Core clock the throughput physics uses (all-core turbo); see frequency.ts for the observed clock. */
  physicsCoreHz: number;
  maxTurboHz: number;
  allCoreTurboHz: number;
  /** TMA pipeline width: slots per core cycle. */
  pipelineWidth: number;
  /** Unloaded local DRAM load-to-use latency. */
  idleMemLatencyNs: number;
  /** L3 hit latency (mesh round trip). */
  llcHitLatencyNs: number;
  /** Steepness of the loaded-latency curve (see memory-model.ts). */
  latencyCurveK: number;
  imcPmuCount: number;
}

/** Dual-socket Intel Xeon Platinum 8480+ with 16 x DDR5-4800 (one DIMM per channel). */
export const SPR_8480_2S: NodeSpec = Object.freeze({
  cpuModel: "Intel(R) Xeon(R) Platinum 8480+",
  cpuid: "GenuineIntel-6-8F",
  microarchitecture: "sapphirerapids",
  sockets: 2,
  coresPerSocket: 56,
  threadsPerCore: 2,
  logicalCpus: 224,
  llcBytes: 2 * 105 * MiB,
  memoryChannels: 16,
  memoryMegaTransfersPerSec: 4800,
  // 4800 MT/s x 8 bytes per transfer x 8 channels = 307.2 GB/s per socket.
  peakMemoryBandwidthBytesPerSec: 2 * 8 * 4800e6 * 8,
  tscHz: 2.0e9,
  physicsCoreHz: 3.0e9,
  maxTurboHz: 3.8e9,
  allCoreTurboHz: 3.0e9,
  pipelineWidth: 6,
  idleMemLatencyNs: 110,
  llcHitLatencyNs: 33,
  latencyCurveK: 0.35,
  imcPmuCount: 16,
});

export function nodeCapacity(spec: NodeSpec): NodeCapacity {
  return {
    logicalCpus: spec.logicalCpus,
    tscHz: spec.tscHz,
    llcBytes: spec.llcBytes,
    peakMemoryBandwidthBytesPerSec: spec.peakMemoryBandwidthBytesPerSec,
  };
}

/** How one event comes back on a variant. "unavailable": the PMU or file does not exist (perf is not asked). */
export type EventAvailability = "counted" | "not-supported" | "unavailable";

export interface NodeVariant {
  name: VariantName;
  description: string;
  /** Availability of every catalog event (lib/features/events.ts). */
  events: Readonly<Record<string, EventAvailability>>;
  resctrl: boolean;
  uncoreImc: boolean;
  /** perf-metrics (slots + topdown-*) supported by the kernel. */
  perfMetrics: boolean;
}

export const VARIANT_NAMES = ["spr-full", "spr-vm", "spr-old-kernel", "spr-mixed"] as const;
export type VariantName = (typeof VARIANT_NAMES)[number];

function variant(name: VariantName, description: string, o: { perfMetrics: boolean; uncoreImc: boolean; resctrl: boolean }): NodeVariant {
  const events: Record<string, EventAvailability> = {};
  for (const e of EVENTS) {
    let a: EventAvailability = "counted";
    if (e.source === "topdown" && !o.perfMetrics) a = "not-supported";
    if (e.source === "uncore-imc" && !o.uncoreImc) a = "unavailable";
    if (e.source === "resctrl" && !o.resctrl) a = "unavailable";
    events[e.name] = a;
  }
  return Object.freeze({ name, description, events: Object.freeze(events), ...o });
}

export const VARIANTS: Readonly<Record<VariantName, NodeVariant>> = Object.freeze({
  "spr-full": variant("spr-full", "bare metal, recent kernel: every catalog event, uncore IMC and resctrl", { perfMetrics: true, uncoreImc: true, resctrl: true }),
  "spr-vm": variant("spr-vm", "virtual machine: core PMU virtualised, no uncore PMUs, no resctrl", { perfMetrics: true, uncoreImc: false, resctrl: false }),
  "spr-old-kernel": variant("spr-old-kernel", "bare metal, kernel without SPR perf-metrics: slots/topdown-* <not supported>, TOPDOWN.* general-counter events used", {
    perfMetrics: false,
    uncoreImc: true,
    resctrl: true,
  }),
  "spr-mixed": variant("spr-mixed", "old kernel and no uncore IMC access, resctrl readable: TMA via fallback, bandwidth via MBM", { perfMetrics: false, uncoreImc: false, resctrl: true }),
});

export class UnknownVariantError extends Error {}

export function getVariant(name: string): NodeVariant {
  const v = (VARIANTS as Record<string, NodeVariant>)[name];
  if (!v) throw new UnknownVariantError(`unknown node variant "${name}" (known: ${VARIANT_NAMES.join(", ")})`);
  return v;
}

/** The node's PMU facts as the agent would publish them (overseer.v1.PmuFacts). */
export function pmuFacts(spec: NodeSpec, v: NodeVariant): PmuFacts {
  const availableEvents: string[] = [];
  const missingEvents: PmuFacts["missingEvents"] = [];
  for (const e of EVENTS) {
    const a = v.events[e.name];
    if (a === "counted") availableEvents.push(e.name);
    else if (a === "not-supported") missingEvents.push({ event: e.name, reason: FeatureState.FEATURE_STATE_ABSENT_EVENT_NOT_SUPPORTED, detail: "perf: <not supported>" });
    else missingEvents.push({ event: e.name, reason: FeatureState.FEATURE_STATE_ABSENT_SOURCE_UNAVAILABLE, detail: e.source === "resctrl" ? "resctrl not mounted" : "no uncore_imc PMU" });
  }
  return {
    cpuModel: spec.cpuModel,
    cpuid: spec.cpuid,
    microarchitecture: spec.microarchitecture,
    sockets: spec.sockets,
    coresPerSocket: spec.coresPerSocket,
    logicalCpus: spec.logicalCpus,
    llcBytes: spec.llcBytes,
    memoryChannels: spec.memoryChannels,
    peakMemoryBandwidthBytesPerSec: spec.peakMemoryBandwidthBytesPerSec,
    tscHz: spec.tscHz,
    imcPmuCount: v.uncoreImc ? spec.imcPmuCount : 0,
    resctrlAvailable: v.resctrl,
    availableEvents,
    missingEvents,
  };
}
