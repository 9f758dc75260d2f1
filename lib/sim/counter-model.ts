// Solved node state -> the raw counter deltas `perf stat -a` (and resctrl) would report for one window.
// Cycle-domain counts (cycles, slots, topdown, stall cycles) scale with the observed clock;
// instructions, misses, ref-cycles, CAS counts and resctrl bytes do not.
import type { CounterReading, IntervalCounters } from "../features/counters.js";
import { EVENTS } from "../features/events.js";
import type { Workload } from "./catalog.js";
import { CACHE_LINE_BYTES, type ContentionSolution } from "./contention.js";
import type { NodeSpec, NodeVariant } from "./node-spec.js";
import type { Rng } from "./rng.js";

/** General-purpose counters per logical CPU on SPR; the catalog's core events exceed them, so perf multiplexes. */
export const GP_COUNTERS_PER_CPU = 8;
/** Relative measurement noise (1 sigma) of a counted event, and extra noise of a multiplexed (extrapolated) one. */
export const COUNTER_NOISE = 0.004;
export const MULTIPLEX_NOISE = 0.006;

/** Indices into the true-value accumulator. */
const enum E {
  instructions, cycles, refCycles, slots, tdRetiring, tdFe, tdBadSpec, tdBe, tdMem,
  llcMiss, l2Miss, stallsL2, stallsL3, casRd, casWr, cpuClockMs, llcOccupancy, mbmTotal, count,
}

const EVENT_INDEX: Record<string, E> = {
  instructions: E.instructions,
  cycles: E.cycles,
  "ref-cycles": E.refCycles,
  slots: E.slots,
  "topdown-retiring": E.tdRetiring,
  "topdown-fe-bound": E.tdFe,
  "topdown-bad-spec": E.tdBadSpec,
  "topdown-be-bound": E.tdBe,
  "topdown-mem-bound": E.tdMem,
  "TOPDOWN.SLOTS_P": E.slots,
  "TOPDOWN.BACKEND_BOUND_SLOTS": E.tdBe,
  "TOPDOWN.BAD_SPEC_SLOTS": E.tdBadSpec,
  "TOPDOWN.MEMORY_BOUND_SLOTS": E.tdMem,
  "UOPS_RETIRED.SLOTS": E.tdRetiring,
  "LONGEST_LAT_CACHE.MISS": E.llcMiss,
  "L2_RQSTS.MISS": E.l2Miss,
  "MEMORY_ACTIVITY.STALLS_L2_MISS": E.stallsL2,
  "MEMORY_ACTIVITY.STALLS_L3_MISS": E.stallsL3,
  "UNC_M_CAS_COUNT.RD": E.casRd,
  "UNC_M_CAS_COUNT.WR": E.casWr,
  "cpu-clock": E.cpuClockMs,
  "resctrl.llc_occupancy": E.llcOccupancy,
  "resctrl.mbm_total_bytes": E.mbmTotal,
};

// The readings object in one literal shape (fast to build, fast for consumers to read).
// Used when the catalog's event list is exactly this one; otherwise a generic path builds it.
const buildFixedShape = (r: CounterReading[]): IntervalCounters => ({
  instructions: r[0],
  cycles: r[1],
  "ref-cycles": r[2],
  slots: r[3],
  "topdown-retiring": r[4],
  "topdown-fe-bound": r[5],
  "topdown-bad-spec": r[6],
  "topdown-be-bound": r[7],
  "topdown-mem-bound": r[8],
  "TOPDOWN.SLOTS_P": r[9],
  "TOPDOWN.BACKEND_BOUND_SLOTS": r[10],
  "TOPDOWN.BAD_SPEC_SLOTS": r[11],
  "TOPDOWN.MEMORY_BOUND_SLOTS": r[12],
  "UOPS_RETIRED.SLOTS": r[13],
  "LONGEST_LAT_CACHE.MISS": r[14],
  "L2_RQSTS.MISS": r[15],
  "MEMORY_ACTIVITY.STALLS_L2_MISS": r[16],
  "MEMORY_ACTIVITY.STALLS_L3_MISS": r[17],
  "UNC_M_CAS_COUNT.RD": r[18],
  "UNC_M_CAS_COUNT.WR": r[19],
  "cpu-clock": r[20],
  "resctrl.llc_occupancy": r[21],
  "resctrl.mbm_total_bytes": r[22],
});
const FIXED_SHAPE_OK = (() => {
  const keys = Object.keys(buildFixedShape(EVENTS.map(() => ({ value: 0, status: "counted" }))));
  return keys.length === EVENTS.length && keys.every((k, i) => k === EVENTS[i]!.name);
})();
const scratch: CounterReading[] = new Array(EVENTS.length);

const acc = new Float64Array(E.count);
const sh = new Float64Array(5);

/**
 * Top-down level-1/2 shares of workload i's slots: [retiring, frontend, bad spec, backend, memory bound].
 * Computed in the time domain at the physics clock, so they do not depend on the observed clock.
 */
export function slotShares(spec: NodeSpec, w: Workload, s: ContentionSolution, i: number, out: Float64Array = new Float64Array(5)): Float64Array {
  const W = spec.pipelineWidth;
  const stallNs = s.llcStallNsPerInstr[i]! + s.dramStallNsPerInstr[i]!;
  const totalNs = s.coreNsPerInstr[i]! + stallNs;
  const physSlotsPerInstr = (W * totalNs * spec.physicsCoreHz) / 1e9;
  const coreSlotsPerInstr = W * w.coreCpi;
  const retiring = w.uopsPerInstr / physSlotsPerInstr;
  const fe = (w.frontendShareOfCoreSlots * coreSlotsPerInstr) / physSlotsPerInstr;
  const bs = (w.badSpecShareOfCoreSlots * coreSlotsPerInstr) / physSlotsPerInstr;
  const be = Math.max(0, 1 - retiring - fe - bs);
  out[0] = retiring;
  out[1] = fe;
  out[2] = bs;
  out[3] = be;
  out[4] = Math.min(be, stallNs / totalNs);
  return out;
}

/** True (noise-free) event totals of one window into `acc`. */
function accumulateDirect(spec: NodeSpec, ws: readonly Workload[], cores: ArrayLike<number>, s: ContentionSolution, windowSec: number, coreHz: number): void {
  acc.fill(0);
  const W = spec.pipelineWidth;
  for (let i = 0; i < s.n; i++) {
    const w = ws[i]!;
    const busySec = cores[i]! * windowSec;
    const instr = s.instructionsPerSec[i]! * windowSec;
    const cyc = busySec * coreHz;
    const slots = W * cyc;
    slotShares(spec, w, s, i, sh);
    const retiring = sh[0]!, fe = sh[1]!, bs = sh[2]!, be = sh[3]!, mem = sh[4]!;
    const stallNs = s.llcStallNsPerInstr[i]! + s.dramStallNsPerInstr[i]!;
    const totalNs = s.coreNsPerInstr[i]! + stallNs;
    const accPerInstr = w.l2MissesPerKiloInstr / 1000;
    acc[E.instructions] += instr;
    acc[E.cycles] += cyc;
    acc[E.refCycles] += busySec * spec.tscHz;
    acc[E.slots] += slots;
    acc[E.tdRetiring] += retiring * slots;
    acc[E.tdFe] += fe * slots;
    acc[E.tdBadSpec] += bs * slots;
    acc[E.tdBe] += be * slots;
    acc[E.tdMem] += mem * slots;
    acc[E.l2Miss] += instr * accPerInstr;
    acc[E.llcMiss] += instr * accPerInstr * (1 - s.llcHitRatio[i]!);
    acc[E.stallsL2] += (cyc * stallNs) / totalNs;
    acc[E.stallsL3] += (cyc * s.dramStallNsPerInstr[i]!) / totalNs;
  }
  acc[E.casRd] = (s.memReadBytesPerSecTotal * windowSec) / CACHE_LINE_BYTES;
  acc[E.casWr] = (s.memWriteBytesPerSecTotal * windowSec) / CACHE_LINE_BYTES;
  // System-wide cpu-clock counts every CPU's time, idle included (perf stat -a prints ~N "CPUs utilized").
  acc[E.cpuClockMs] = spec.logicalCpus * windowSec * 1000;
  acc[E.llcOccupancy] = s.llcOccupiedBytes;
  acc[E.mbmTotal] = s.memReadBytesPerSecTotal * windowSec + s.memWriteBytesPerSecTotal * windowSec;
}

/**
 * Event totals are linear in the window and in the observed clock: total = (base + hz * perHz) * w
 * (the LLC-occupancy gauge excepted). Both vectors are computed once per solved state and cached on it.
 */
const rateCache = new WeakMap<ContentionSolution, Float64Array>();
function accumulate(spec: NodeSpec, ws: readonly Workload[], cores: ArrayLike<number>, s: ContentionSolution, windowSec: number, coreHz: number): void {
  let rates = rateCache.get(s);
  if (!rates) {
    rates = new Float64Array(2 * E.count);
    accumulateDirect(spec, ws, cores, s, 1, 0);
    rates.set(acc, 0);
    accumulateDirect(spec, ws, cores, s, 1, 1);
    for (let k = 0; k < E.count; k++) rates[E.count + k] = acc[k]! - rates[k]!;
    rateCache.set(s, rates);
  }
  for (let k = 0; k < E.count; k++) acc[k] = (rates[k]! + coreHz * rates[E.count + k]!) * windowSec;
  acc[E.llcOccupancy] = rates[E.llcOccupancy]!;
}

/** Share of the window a general-counter event is scheduled when `n` of them share GP_COUNTERS_PER_CPU counters. */
export function multiplexPercent(gpEvents: number): number {
  return gpEvents <= GP_COUNTERS_PER_CPU ? 100 : (100 * GP_COUNTERS_PER_CPU) / gpEvents;
}

interface EventPlan {
  name: string;
  index: E;
  /** Shared frozen reading for events the variant lacks; undefined when counted. */
  fixed: CounterReading | undefined;
  muxed: boolean;
  rounded: boolean;
}
interface VariantPlan {
  events: EventPlan[];
  muxPct: number;
  sigmaMuxed: number;
}
const plans = new WeakMap<NodeVariant, VariantPlan>();

function planOf(variant: NodeVariant): VariantPlan {
  let p = plans.get(variant);
  if (p) return p;
  let gp = 0;
  for (const e of EVENTS) if (e.source === "core" && variant.events[e.name] === "counted") gp++;
  const muxPct = multiplexPercent(gp);
  const events = EVENTS.map((e): EventPlan => {
    const a = variant.events[e.name];
    let fixed: CounterReading | undefined;
    if (EVENT_INDEX[e.name] === undefined) fixed = Object.freeze({ value: 0, status: "unavailable", detail: "not simulated" });
    else if (a === "not-supported") fixed = Object.freeze({ value: 0, status: "not-supported", detail: "<not supported>" });
    else if (a === "unavailable") {
      fixed = Object.freeze({ value: 0, status: "unavailable", detail: e.source === "resctrl" ? "resctrl not mounted" : "no uncore_imc PMU on this node" });
    }
    return { name: e.name, index: EVENT_INDEX[e.name] ?? E.instructions, fixed, muxed: e.source === "core" && muxPct < 100, rounded: e.name !== "cpu-clock" };
  });
  p = { events, muxPct, sigmaMuxed: Math.sqrt(COUNTER_NOISE * COUNTER_NOISE + MULTIPLEX_NOISE * MULTIPLEX_NOISE) };
  plans.set(variant, p);
  return p;
}

/**
 * Counter readings of one window for a node variant, with measurement noise.
 * The random draws depend only on the variant (one normal per counted event, one uniform per
 * multiplexed event), never on the clock, so two runs that differ only in the frequency model see
 * the same noise. Readings of absent events are shared frozen objects.
 */
export function emitCounters(
  spec: NodeSpec,
  variant: NodeVariant,
  ws: readonly Workload[],
  cores: ArrayLike<number>,
  s: ContentionSolution,
  windowSec: number,
  coreHz: number,
  rng: Rng,
): IntervalCounters {
  accumulate(spec, ws, cores, s, windowSec, coreHz);
  const plan = planOf(variant);
  const evs = plan.events;
  const out = scratch;
  for (let k = 0; k < evs.length; k++) {
    const e = evs[k]!;
    if (e.fixed) {
      out[k] = e.fixed;
      continue;
    }
    const z = rng.normalFast();
    let v = acc[e.index]! * (1 + (e.muxed ? plan.sigmaMuxed : COUNTER_NOISE) * z);
    if (e.rounded) v = Math.round(v);
    if (v < 0) v = 0;
    // perf prints the percentage with two decimals; event rotation moves it by a few hundredths.
    const pct = e.muxed ? Math.round((plan.muxPct + 0.1 * (rng.next() - 0.5)) * 100) / 100 : 100;
    out[k] = { value: v, status: "counted", percentCounted: pct };
  }
  if (FIXED_SHAPE_OK) return buildFixedShape(out);
  const o: Record<string, CounterReading> = {};
  for (let k = 0; k < evs.length; k++) o[evs[k]!.name] = out[k]!;
  return o;
}
