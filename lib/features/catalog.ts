// The feature catalog of schema version 1: order, names, units and formulas.
// The order is a contract (golden-tested, mirrored in docs/contracts.md and in
// every model bundle's manifest). Add features only at the end, with a new schema version.
import { BYTES_PER_CAS } from "./events.js";
import type { NodeCapacity } from "./counters.js";

export const SCHEMA_VERSION = 1;

/** Event values of one window, all valid, keyed by event name. */
export type EventValues = Readonly<Record<string, number>>;

/**
 * One way to compute a feature. `compute` returns null when a denominator is zero.
 * `nodeFacts` lists the NodeCapacity fields the formula needs (0 means unknown).
 */
export interface FeatureFormula {
  events: readonly string[];
  nodeFacts?: readonly (keyof NodeCapacity)[];
  /** Gauge events are readings, not deltas (no per-second plausibility bound). */
  compute: (v: EventValues, windowSec: number, node: NodeCapacity) => number | null;
  text: string;
}

export interface FeatureDef {
  index: number;
  name: string;
  unit: string;
  description: string;
  /** Tried in order; the first whose inputs are all valid is used. */
  formulas: readonly FeatureFormula[];
  /** Why the value does not move when only the core clock changes. */
  frequencyInvariance: string;
}

const div = (a: number, b: number): number | null => (b === 0 ? null : a / b);

const TD_L1 = ["topdown-retiring", "topdown-fe-bound", "topdown-bad-spec", "topdown-be-bound"] as const;
const tdSum = (v: EventValues) => TD_L1.reduce((s, e) => s + v[e]!, 0);
const GP_L1 = ["TOPDOWN.SLOTS_P", "UOPS_RETIRED.SLOTS", "TOPDOWN.BAD_SPEC_SLOTS", "TOPDOWN.BACKEND_BOUND_SLOTS"] as const;
const SLOT_FRACTION =
  "numerator and denominator are both pipeline slots of the same core clock: the ratio is a share of slots, unchanged when the clock scales";
const STALL_FRACTION =
  "stall cycles and CPU_CLK_UNHALTED.THREAD are both core-clock cycles: the ratio is the share of unhalted time spent stalled";

type Def = Omit<FeatureDef, "index">;

const DEFS: readonly Def[] = [
  {
    name: "tma_retiring_fraction",
    unit: "fraction of slots",
    description: "Top-down level 1 Retiring: slots that retired useful uops",
    formulas: [
      { events: TD_L1, compute: (v) => div(v["topdown-retiring"]!, tdSum(v)), text: "topdown-retiring / (topdown-retiring + topdown-fe-bound + topdown-bad-spec + topdown-be-bound)" },
      { events: ["UOPS_RETIRED.SLOTS", "TOPDOWN.SLOTS_P"], compute: (v) => div(v["UOPS_RETIRED.SLOTS"]!, v["TOPDOWN.SLOTS_P"]!), text: "UOPS_RETIRED.SLOTS / TOPDOWN.SLOTS_P" },
    ],
    frequencyInvariance: SLOT_FRACTION,
  },
  {
    name: "tma_frontend_bound_fraction",
    unit: "fraction of slots",
    description: "Top-down level 1 Frontend Bound: slots the front end left empty",
    formulas: [
      { events: TD_L1, compute: (v) => div(v["topdown-fe-bound"]!, tdSum(v)), text: "topdown-fe-bound / level-1 sum" },
      {
        events: GP_L1,
        compute: (v) => {
          const s = v["TOPDOWN.SLOTS_P"]!;
          if (s === 0) return null;
          const rest = v["UOPS_RETIRED.SLOTS"]! + v["TOPDOWN.BAD_SPEC_SLOTS"]! + v["TOPDOWN.BACKEND_BOUND_SLOTS"]!;
          return Math.max(0, 1 - rest / s);
        },
        text: "max(0, 1 - (UOPS_RETIRED.SLOTS + TOPDOWN.BAD_SPEC_SLOTS + TOPDOWN.BACKEND_BOUND_SLOTS) / TOPDOWN.SLOTS_P)",
      },
    ],
    frequencyInvariance: SLOT_FRACTION,
  },
  {
    name: "tma_bad_speculation_fraction",
    unit: "fraction of slots",
    description: "Top-down level 1 Bad Speculation: slots wasted on wrong-path work",
    formulas: [
      { events: TD_L1, compute: (v) => div(v["topdown-bad-spec"]!, tdSum(v)), text: "topdown-bad-spec / level-1 sum" },
      { events: ["TOPDOWN.BAD_SPEC_SLOTS", "TOPDOWN.SLOTS_P"], compute: (v) => div(v["TOPDOWN.BAD_SPEC_SLOTS"]!, v["TOPDOWN.SLOTS_P"]!), text: "TOPDOWN.BAD_SPEC_SLOTS / TOPDOWN.SLOTS_P" },
    ],
    frequencyInvariance: SLOT_FRACTION,
  },
  {
    name: "tma_backend_bound_fraction",
    unit: "fraction of slots",
    description: "Top-down level 1 Backend Bound: slots stalled for back-end resources",
    formulas: [
      { events: TD_L1, compute: (v) => div(v["topdown-be-bound"]!, tdSum(v)), text: "topdown-be-bound / level-1 sum" },
      { events: ["TOPDOWN.BACKEND_BOUND_SLOTS", "TOPDOWN.SLOTS_P"], compute: (v) => div(v["TOPDOWN.BACKEND_BOUND_SLOTS"]!, v["TOPDOWN.SLOTS_P"]!), text: "TOPDOWN.BACKEND_BOUND_SLOTS / TOPDOWN.SLOTS_P" },
    ],
    frequencyInvariance: SLOT_FRACTION,
  },
  {
    name: "tma_memory_bound_fraction",
    unit: "fraction of slots",
    description: "Top-down level 2 Memory Bound: back-end slots stalled on the memory hierarchy",
    formulas: [
      { events: [...TD_L1, "topdown-mem-bound"], compute: (v) => div(v["topdown-mem-bound"]!, tdSum(v)), text: "topdown-mem-bound / level-1 sum" },
      { events: ["TOPDOWN.MEMORY_BOUND_SLOTS", "TOPDOWN.SLOTS_P"], compute: (v) => div(v["TOPDOWN.MEMORY_BOUND_SLOTS"]!, v["TOPDOWN.SLOTS_P"]!), text: "TOPDOWN.MEMORY_BOUND_SLOTS / TOPDOWN.SLOTS_P" },
    ],
    frequencyInvariance: SLOT_FRACTION,
  },
  {
    name: "tma_core_bound_fraction",
    unit: "fraction of slots",
    description: "Top-down level 2 Core Bound: Backend Bound minus Memory Bound",
    formulas: [
      {
        events: [...TD_L1, "topdown-mem-bound"],
        compute: (v) => {
          const s = tdSum(v);
          return s === 0 ? null : Math.max(0, (v["topdown-be-bound"]! - v["topdown-mem-bound"]!) / s);
        },
        text: "max(0, topdown-be-bound - topdown-mem-bound) / level-1 sum",
      },
      {
        events: ["TOPDOWN.BACKEND_BOUND_SLOTS", "TOPDOWN.MEMORY_BOUND_SLOTS", "TOPDOWN.SLOTS_P"],
        compute: (v) => {
          const s = v["TOPDOWN.SLOTS_P"]!;
          return s === 0 ? null : Math.max(0, (v["TOPDOWN.BACKEND_BOUND_SLOTS"]! - v["TOPDOWN.MEMORY_BOUND_SLOTS"]!) / s);
        },
        text: "max(0, TOPDOWN.BACKEND_BOUND_SLOTS - TOPDOWN.MEMORY_BOUND_SLOTS) / TOPDOWN.SLOTS_P",
      },
    ],
    frequencyInvariance: SLOT_FRACTION,
  },
  {
    name: "l3_bound_stall_fraction",
    unit: "fraction of unhalted cycles",
    description: "TMA L3 Bound: stalls with an L2 miss outstanding that hit in the L3",
    formulas: [
      {
        events: ["MEMORY_ACTIVITY.STALLS_L2_MISS", "MEMORY_ACTIVITY.STALLS_L3_MISS", "cycles"],
        compute: (v) => {
          const c = v["cycles"]!;
          return c === 0 ? null : Math.max(0, (v["MEMORY_ACTIVITY.STALLS_L2_MISS"]! - v["MEMORY_ACTIVITY.STALLS_L3_MISS"]!) / c);
        },
        text: "max(0, MEMORY_ACTIVITY.STALLS_L2_MISS - MEMORY_ACTIVITY.STALLS_L3_MISS) / cycles",
      },
    ],
    frequencyInvariance: STALL_FRACTION,
  },
  {
    name: "dram_bound_stall_fraction",
    unit: "fraction of unhalted cycles",
    description: "TMA DRAM Bound (L3-miss bound): stalls with an L3 miss outstanding",
    formulas: [
      { events: ["MEMORY_ACTIVITY.STALLS_L3_MISS", "cycles"], compute: (v) => div(v["MEMORY_ACTIVITY.STALLS_L3_MISS"]!, v["cycles"]!), text: "MEMORY_ACTIVITY.STALLS_L3_MISS / cycles" },
    ],
    frequencyInvariance: STALL_FRACTION,
  },
  {
    name: "llc_misses_per_kilo_instr",
    unit: "misses per 1000 instructions",
    description: "LLC misses per kilo-instruction (L3 MPKI)",
    formulas: [
      { events: ["LONGEST_LAT_CACHE.MISS", "instructions"], compute: (v) => div(1000 * v["LONGEST_LAT_CACHE.MISS"]!, v["instructions"]!), text: "1000 * LONGEST_LAT_CACHE.MISS / instructions" },
    ],
    frequencyInvariance: "normalised by instructions, which do not depend on the clock",
  },
  {
    name: "l2_misses_per_kilo_instr",
    unit: "misses per 1000 instructions",
    description: "L2 misses per kilo-instruction (L2 MPKI)",
    formulas: [
      { events: ["L2_RQSTS.MISS", "instructions"], compute: (v) => div(1000 * v["L2_RQSTS.MISS"]!, v["instructions"]!), text: "1000 * L2_RQSTS.MISS / instructions" },
    ],
    frequencyInvariance: "normalised by instructions, which do not depend on the clock",
  },
  {
    name: "instructions_per_ref_cycle",
    unit: "instructions per reference cycle",
    description: "Throughput per unhalted reference (TSC-rate) cycle; IPC without the core clock",
    formulas: [
      { events: ["instructions", "ref-cycles"], compute: (v) => div(v["instructions"]!, v["ref-cycles"]!), text: "instructions / ref-cycles" },
    ],
    frequencyInvariance: "ref-cycles count at the constant TSC rate, not at the core clock",
  },
  {
    name: "cpu_utilization_fraction",
    unit: "fraction of logical CPUs",
    description: "Share of logical-CPU time not halted",
    formulas: [
      {
        events: ["ref-cycles"],
        nodeFacts: ["tscHz", "logicalCpus"],
        compute: (v, w, n) => div(v["ref-cycles"]!, n.tscHz * w * n.logicalCpus),
        text: "ref-cycles / (tsc_hz * window_sec * logical_cpus)",
      },
      {
        events: ["procfs.cpu_busy_ms"],
        nodeFacts: ["logicalCpus"],
        compute: (v, w, n) => div(v["procfs.cpu_busy_ms"]!, 1000 * w * n.logicalCpus),
        text: "procfs_cpu_busy_ms / (1000 * window_sec * logical_cpus)",
      },
    ],
    frequencyInvariance: "reference cycles and wall time both run at constant rates",
  },
  {
    name: "mem_read_bytes_per_sec",
    unit: "bytes per second",
    description: "DRAM read bandwidth of the node",
    formulas: [
      { events: ["UNC_M_CAS_COUNT.RD"], compute: (v, w) => div(BYTES_PER_CAS * v["UNC_M_CAS_COUNT.RD"]!, w), text: "64 * UNC_M_CAS_COUNT.RD / window_sec" },
    ],
    frequencyInvariance: "bytes over wall time; the memory controller does not run on the core clock",
  },
  {
    name: "mem_write_bytes_per_sec",
    unit: "bytes per second",
    description: "DRAM write bandwidth of the node",
    formulas: [
      { events: ["UNC_M_CAS_COUNT.WR"], compute: (v, w) => div(BYTES_PER_CAS * v["UNC_M_CAS_COUNT.WR"]!, w), text: "64 * UNC_M_CAS_COUNT.WR / window_sec" },
    ],
    frequencyInvariance: "bytes over wall time; the memory controller does not run on the core clock",
  },
  {
    name: "mem_bandwidth_fraction_of_peak",
    unit: "fraction of peak DRAM bandwidth",
    description: "Read plus write DRAM bandwidth as a share of the node's theoretical peak",
    formulas: [
      {
        events: ["UNC_M_CAS_COUNT.RD", "UNC_M_CAS_COUNT.WR"],
        nodeFacts: ["peakMemoryBandwidthBytesPerSec"],
        compute: (v, w, n) => div((BYTES_PER_CAS * (v["UNC_M_CAS_COUNT.RD"]! + v["UNC_M_CAS_COUNT.WR"]!)) / w, n.peakMemoryBandwidthBytesPerSec),
        text: "64 * (UNC_M_CAS_COUNT.RD + UNC_M_CAS_COUNT.WR) / window_sec / peak_memory_bandwidth",
      },
      {
        events: ["resctrl.mbm_total_bytes"],
        nodeFacts: ["peakMemoryBandwidthBytesPerSec"],
        compute: (v, w, n) => div(v["resctrl.mbm_total_bytes"]! / w, n.peakMemoryBandwidthBytesPerSec),
        text: "resctrl mbm_total_bytes delta / window_sec / peak_memory_bandwidth",
      },
    ],
    frequencyInvariance: "bytes over wall time against a fixed peak",
  },
  {
    name: "llc_occupancy_fraction",
    unit: "fraction of LLC",
    description: "LLC bytes occupied by monitored tasks (resctrl) over LLC size",
    formulas: [
      { events: ["resctrl.llc_occupancy"], nodeFacts: ["llcBytes"], compute: (v, _w, n) => div(v["resctrl.llc_occupancy"]!, n.llcBytes), text: "resctrl llc_occupancy / llc_bytes" },
    ],
    frequencyInvariance: "a byte count over a fixed size",
  },
  {
    name: "mbm_total_bytes_per_sec",
    unit: "bytes per second",
    description: "Memory bandwidth of monitored tasks from resctrl MBM",
    formulas: [
      { events: ["resctrl.mbm_total_bytes"], compute: (v, w) => div(v["resctrl.mbm_total_bytes"]!, w), text: "resctrl mbm_total_bytes delta / window_sec" },
    ],
    frequencyInvariance: "bytes over wall time",
  },
];

export const FEATURES: readonly FeatureDef[] = DEFS.map((d, index) => ({ ...d, index }));
export const FEATURE_NAMES: readonly string[] = FEATURES.map((f) => f.name);
export const FEATURE_COUNT = FEATURES.length;

/** Events that are gauges (a reading at window end) rather than deltas. */
export const GAUGE_EVENTS: ReadonlySet<string> = new Set(["resctrl.llc_occupancy"]);

export function featureIndex(name: string): number {
  const i = FEATURE_NAMES.indexOf(name);
  if (i < 0) throw new Error(`unknown feature "${name}"`);
  return i;
}

/** Every event any formula can use, in catalog order. */
export function catalogEvents(): string[] {
  const seen = new Set<string>();
  for (const f of FEATURES) for (const fm of f.formulas) for (const e of fm.events) seen.add(e);
  return [...seen];
}
