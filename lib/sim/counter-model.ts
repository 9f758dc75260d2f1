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
for (const e of EVENTS) if (EVENT_INDEX[e.name] === undefined) throw new Error(`counter model has no formula for catalog event ${e.name}`);

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
function accumulate(spec: NodeSpec, ws: readonly Workload[], cores: ArrayLike<number>, s: ContentionSolution, windowSec: number, coreHz: number): void {
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

/** Share of the window a general-counter event is scheduled when `n` of them share GP_COUNTERS_PER_CPU counters. */
export function multiplexPercent(gpEvents: number): number {
  return gpEvents <= GP_COUNTERS_PER_CPU ? 100 : (100 * GP_COUNTERS_PER_CPU) / gpEvents;
}

/**
 * Counter readings of one window for a node variant, with measurement noise.
 * Draws a fixed number of random numbers per call (independent of the clock), so two runs that differ
 * only in the frequency model see the same noise.
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
  let gp = 0;
  for (const e of EVENTS) if (e.source === "core" && variant.events[e.name] === "counted") gp++;
  const muxPct = multiplexPercent(gp);
  const out: Record<string, CounterReading> = {};
  for (const e of EVENTS) {
    const z1 = rng.normal();
    const z2 = rng.normal();
    const a = variant.events[e.name];
    if (a === "not-supported") {
      out[e.name] = { value: 0, status: "not-supported", detail: "<not supported>" };
      continue;
    }
    if (a === "unavailable") {
      out[e.name] = { value: 0, status: "unavailable", detail: e.source === "resctrl" ? "resctrl not mounted" : "no uncore_imc PMU on this node" };
      continue;
    }
    const truth = acc[EVENT_INDEX[e.name]!]!;
    const muxed = e.source === "core" && muxPct < 100;
    let v = truth * (1 + COUNTER_NOISE * z1 + (muxed ? MULTIPLEX_NOISE * z2 : 0));
    if (e.name !== "cpu-clock") v = Math.round(v);
    if (v < 0) v = 0;
    // perf prints the percentage with two decimals; rotation jitter moves it by a few hundredths.
    const pct = muxed ? Math.round((muxPct + 0.05 * z2) * 100) / 100 : 100;
    out[e.name] = { value: v, status: "counted", percentCounted: pct };
  }
  return out;
}
