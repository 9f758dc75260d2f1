// The project's own catalog of the SPR events the features use.
// Encodings are from Intel's published SPR event list (GenuineIntel-6-8F); names are
// the ones perf prints, so parsed perf output keys straight into this table.

export type EventSource = "fixed" | "topdown" | "core" | "uncore-imc" | "software" | "resctrl" | "procfs";

export interface EventDef {
  /** Name as it appears in perf output and in IntervalCounters. */
  name: string;
  source: EventSource;
  /** What to pass to `perf stat -e` (raw encodings for model-specific events). */
  perfSpec?: string;
  /** Upper bound of a plausible count per second per logical CPU (core events) or per node. */
  maxPerSecPerCpu?: number;
  description: string;
}

// A count above this per logical CPU per second cannot be real on SPR (about 8 slots
// at 5 GHz with a wide margin): it is an overflow or a wrapped counter.
const CORE_MAX_PER_SEC_PER_CPU = 8 * 6e9;

function core(name: string, perfSpec: string, description: string): EventDef {
  return { name, source: "core", perfSpec, maxPerSecPerCpu: CORE_MAX_PER_SEC_PER_CPU, description };
}

export const EVENTS: readonly EventDef[] = [
  { name: "instructions", source: "fixed", perfSpec: "instructions", maxPerSecPerCpu: CORE_MAX_PER_SEC_PER_CPU, description: "INST_RETIRED.ANY, fixed counter 0" },
  { name: "cycles", source: "fixed", perfSpec: "cycles", maxPerSecPerCpu: CORE_MAX_PER_SEC_PER_CPU, description: "CPU_CLK_UNHALTED.THREAD, core clock (moves with frequency)" },
  { name: "ref-cycles", source: "fixed", perfSpec: "ref-cycles", maxPerSecPerCpu: CORE_MAX_PER_SEC_PER_CPU, description: "CPU_CLK_UNHALTED.REF_TSC, counts at the TSC rate while unhalted" },
  { name: "slots", source: "topdown", perfSpec: "slots", maxPerSecPerCpu: CORE_MAX_PER_SEC_PER_CPU, description: "TOPDOWN.SLOTS, fixed counter 3, group leader of the topdown events" },
  { name: "topdown-retiring", source: "topdown", perfSpec: "topdown-retiring", maxPerSecPerCpu: CORE_MAX_PER_SEC_PER_CPU, description: "PERF_METRICS.RETIRING" },
  { name: "topdown-fe-bound", source: "topdown", perfSpec: "topdown-fe-bound", maxPerSecPerCpu: CORE_MAX_PER_SEC_PER_CPU, description: "PERF_METRICS.FRONTEND_BOUND" },
  { name: "topdown-bad-spec", source: "topdown", perfSpec: "topdown-bad-spec", maxPerSecPerCpu: CORE_MAX_PER_SEC_PER_CPU, description: "PERF_METRICS.BAD_SPECULATION" },
  { name: "topdown-be-bound", source: "topdown", perfSpec: "topdown-be-bound", maxPerSecPerCpu: CORE_MAX_PER_SEC_PER_CPU, description: "PERF_METRICS.BACKEND_BOUND" },
  { name: "topdown-mem-bound", source: "topdown", perfSpec: "topdown-mem-bound", maxPerSecPerCpu: CORE_MAX_PER_SEC_PER_CPU, description: "PERF_METRICS.MEMORY_BOUND (level 2)" },
  core("TOPDOWN.SLOTS_P", "cpu/event=0xa4,umask=0x01,name=TOPDOWN.SLOTS_P/", "TMA slots on a general counter (fallback when perf-metrics is missing)"),
  core("TOPDOWN.BACKEND_BOUND_SLOTS", "cpu/event=0xa4,umask=0x02,name=TOPDOWN.BACKEND_BOUND_SLOTS/", "slots with no uop issued for lack of back-end resources"),
  core("TOPDOWN.BAD_SPEC_SLOTS", "cpu/event=0xa4,umask=0x04,name=TOPDOWN.BAD_SPEC_SLOTS/", "slots wasted by incorrect speculation"),
  core("TOPDOWN.MEMORY_BOUND_SLOTS", "cpu/event=0xa4,umask=0x10,name=TOPDOWN.MEMORY_BOUND_SLOTS/", "slots stalled on the memory subsystem"),
  core("UOPS_RETIRED.SLOTS", "cpu/event=0xc2,umask=0x02,name=UOPS_RETIRED.SLOTS/", "retirement slots used"),
  core("LONGEST_LAT_CACHE.MISS", "cpu/event=0x2e,umask=0x41,name=LONGEST_LAT_CACHE.MISS/", "core-originated requests that missed the LLC"),
  core("L2_RQSTS.MISS", "cpu/event=0x24,umask=0x3f,name=L2_RQSTS.MISS/", "requests that missed the L2"),
  core("MEMORY_ACTIVITY.STALLS_L2_MISS", "cpu/event=0x47,umask=0x05,cmask=5,name=MEMORY_ACTIVITY.STALLS_L2_MISS/", "execution stall cycles while an L2 miss is outstanding"),
  core("MEMORY_ACTIVITY.STALLS_L3_MISS", "cpu/event=0x47,umask=0x09,cmask=9,name=MEMORY_ACTIVITY.STALLS_L3_MISS/", "execution stall cycles while an L3 miss is outstanding"),
  { name: "UNC_M_CAS_COUNT.RD", source: "uncore-imc", perfSpec: "uncore_imc/event=0x05,umask=0xcf,name=UNC_M_CAS_COUNT.RD/", description: "DRAM read CAS commands, summed over every uncore_imc_* PMU (64 bytes each)" },
  { name: "UNC_M_CAS_COUNT.WR", source: "uncore-imc", perfSpec: "uncore_imc/event=0x05,umask=0xf0,name=UNC_M_CAS_COUNT.WR/", description: "DRAM write CAS commands, summed over every uncore_imc_* PMU (64 bytes each)" },
  { name: "cpu-clock", source: "software", perfSpec: "cpu-clock", description: "software clock in ms; system-wide it counts idle time too (about N CPUs x window), so it shows that perf counts, not how busy the CPUs are" },
  { name: "procfs.cpu_busy_ms", source: "procfs", description: "/proc/stat busy time (user+nice+system+irq+softirq+steal), ms summed over all CPUs, delta over the window" },
  { name: "resctrl.llc_occupancy", source: "resctrl", description: "resctrl mon_data/*/llc_occupancy summed over L3 domains: bytes now (a gauge)" },
  { name: "resctrl.mbm_total_bytes", source: "resctrl", description: "resctrl mon_data/*/mbm_total_bytes summed over L3 domains: delta over the window" },
];

export const EVENT_BY_NAME: ReadonlyMap<string, EventDef> = new Map(EVENTS.map((e) => [e.name, e]));

export const BYTES_PER_CAS = 64;
