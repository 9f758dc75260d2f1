// Hand-computed derivation examples (numbers worked out in the comments).
import { describe, expect, it } from "vitest";
import { FeatureState } from "../../gen/overseer/v1/features.js";
import { FEATURE_NAMES, featureIndex } from "./catalog.js";
import { counted, notCounted, notSupported, unavailable, type CounterReading, type NodeCapacity } from "./counters.js";
import { deriveFeatures, InvalidWindowError } from "./derive.js";

const NODE: NodeCapacity = { logicalCpus: 224, tscHz: 2.0e9, llcBytes: 210e6, peakMemoryBandwidthBytesPerSec: 614.4e9 };
const S = FeatureState;

/** A full SPR event set over a 1 s window. */
function fullSpr(): Record<string, CounterReading> {
  return {
    instructions: counted(2.0e11),
    cycles: counted(2.5e11),
    "ref-cycles": counted(2.24e11), // 2.24e11 / (2e9 * 1 s * 224) = 0.5 utilisation
    slots: counted(1.5e12),
    "topdown-retiring": counted(3.0e11), // 0.2 of 1.5e12
    "topdown-fe-bound": counted(1.5e11), // 0.1
    "topdown-bad-spec": counted(0.75e11), // 0.05
    "topdown-be-bound": counted(9.75e11), // 0.65
    "topdown-mem-bound": counted(6.0e11), // 0.4 -> core bound (9.75-6)/15 = 0.25
    "MEMORY_ACTIVITY.STALLS_L2_MISS": counted(1.0e11),
    "MEMORY_ACTIVITY.STALLS_L3_MISS": counted(0.75e11), // dram 0.75/2.5 = 0.3, l3 (1-0.75)/2.5 = 0.1
    "LONGEST_LAT_CACHE.MISS": counted(1.0e9), // 1000 * 1e9 / 2e11 = 5 MPKI
    "L2_RQSTS.MISS": counted(4.0e9), // 20 MPKI
    "UNC_M_CAS_COUNT.RD": counted(3.0e9), // 64 * 3e9 = 192e9 B/s
    "UNC_M_CAS_COUNT.WR": counted(1.0e9), // 64e9 B/s -> (192+64)/614.4 = 0.41666...
    "procfs.cpu_busy_ms": counted(112_000), // busy ms of all CPUs: 112000 / (1000 * 224) = 0.5
    "resctrl.llc_occupancy": counted(105e6), // 0.5 of 210e6
    "resctrl.mbm_total_bytes": counted(2.5e11),
  };
}

const EXPECTED_FULL: Record<string, number> = {
  tma_retiring_fraction: 0.2,
  tma_frontend_bound_fraction: 0.1,
  tma_bad_speculation_fraction: 0.05,
  tma_backend_bound_fraction: 0.65,
  tma_memory_bound_fraction: 0.4,
  tma_core_bound_fraction: 0.25,
  l3_bound_stall_fraction: 0.1,
  dram_bound_stall_fraction: 0.3,
  llc_misses_per_kilo_instr: 5,
  l2_misses_per_kilo_instr: 20,
  instructions_per_ref_cycle: 2.0e11 / 2.24e11,
  cpu_utilization_fraction: 0.5,
  mem_read_bytes_per_sec: 192e9,
  mem_write_bytes_per_sec: 64e9,
  mem_bandwidth_fraction_of_peak: 256e9 / 614.4e9,
  llc_occupancy_fraction: 0.5,
  mbm_total_bytes_per_sec: 2.5e11,
};

const value = (d: ReturnType<typeof deriveFeatures>, name: string) => d.values[featureIndex(name)]!;
const state = (d: ReturnType<typeof deriveFeatures>, name: string) => d.states[featureIndex(name)];

function expectValues(d: ReturnType<typeof deriveFeatures>, expected: Record<string, number>) {
  for (const [name, v] of Object.entries(expected)) {
    expect(state(d, name), name).toBe(S.FEATURE_STATE_PRESENT);
    expect(value(d, name), name).toBeCloseTo(v, 9);
  }
}

const TOPDOWN = ["slots", "topdown-retiring", "topdown-fe-bound", "topdown-bad-spec", "topdown-be-bound", "topdown-mem-bound"];
const TMA = FEATURE_NAMES.filter((n) => n.startsWith("tma_"));
const MEM = ["mem_read_bytes_per_sec", "mem_write_bytes_per_sec", "mem_bandwidth_fraction_of_peak"];
const RESCTRL = ["llc_occupancy_fraction", "mbm_total_bytes_per_sec"];

describe("deriveFeatures", () => {
  it("full SPR event set: every feature present with the hand-computed value, primary formulas", () => {
    const d = deriveFeatures(fullSpr(), 1, NODE);
    expectValues(d, EXPECTED_FULL);
    expect(d.formulaUsed.every((f) => f === 0)).toBe(true);
    expect(d.details.size).toBe(0);
  });

  it("window length scales per-second features only", () => {
    const c = fullSpr();
    const d = deriveFeatures(c, 2, NODE);
    expect(value(d, "mem_read_bytes_per_sec")).toBeCloseTo(96e9, 3);
    expect(value(d, "cpu_utilization_fraction")).toBeCloseTo(0.25, 9);
    expect(value(d, "llc_misses_per_kilo_instr")).toBeCloseTo(5, 9);
    expect(value(d, "llc_occupancy_fraction")).toBeCloseTo(0.5, 9); // a gauge: not per second
  });

  it("topdown events missing: TMA from the general-counter TOPDOWN.* fallback, same values", () => {
    const c = fullSpr();
    for (const e of TOPDOWN) c[e] = notSupported();
    Object.assign(c, {
      "TOPDOWN.SLOTS_P": counted(1.5e12),
      "UOPS_RETIRED.SLOTS": counted(3.0e11),
      "TOPDOWN.BAD_SPEC_SLOTS": counted(0.75e11),
      "TOPDOWN.BACKEND_BOUND_SLOTS": counted(9.75e11),
      "TOPDOWN.MEMORY_BOUND_SLOTS": counted(6.0e11),
    });
    const d = deriveFeatures(c, 1, NODE);
    expectValues(d, EXPECTED_FULL);
    for (const n of TMA) expect(d.formulaUsed[featureIndex(n)], n).toBe(1);
  });

  it("topdown events missing with no fallback: TMA absent as not supported, the rest present", () => {
    const c = fullSpr();
    for (const e of TOPDOWN) c[e] = notSupported();
    const d = deriveFeatures(c, 1, NODE);
    for (const n of TMA) {
      expect(state(d, n), n).toBe(S.FEATURE_STATE_ABSENT_EVENT_NOT_SUPPORTED);
      expect(value(d, n), n).toBe(0);
      expect(d.details.get(featureIndex(n))).toMatch(/not supported/);
    }
    expect(state(d, "dram_bound_stall_fraction")).toBe(S.FEATURE_STATE_PRESENT);
  });

  it("uncore missing (as in a VM): memory bandwidth features absent, source unavailable", () => {
    const c = fullSpr();
    c["UNC_M_CAS_COUNT.RD"] = unavailable("no uncore_imc PMU");
    c["UNC_M_CAS_COUNT.WR"] = unavailable("no uncore_imc PMU");
    c["resctrl.llc_occupancy"] = unavailable();
    c["resctrl.mbm_total_bytes"] = unavailable();
    const d = deriveFeatures(c, 1, NODE);
    for (const n of [...MEM, ...RESCTRL]) expect(state(d, n), n).toBe(S.FEATURE_STATE_ABSENT_SOURCE_UNAVAILABLE);
    expect(d.details.get(featureIndex("mem_read_bytes_per_sec"))).toMatch(/no uncore_imc PMU/);
    expectValues(d, { llc_misses_per_kilo_instr: 5, tma_memory_bound_fraction: 0.4 });
  });

  it("uncore missing but resctrl present: bandwidth fraction falls back to MBM", () => {
    const c = fullSpr();
    delete c["UNC_M_CAS_COUNT.RD"];
    delete c["UNC_M_CAS_COUNT.WR"];
    const d = deriveFeatures(c, 1, NODE);
    expect(value(d, "mem_bandwidth_fraction_of_peak")).toBeCloseTo(2.5e11 / 614.4e9, 9);
    expect(d.formulaUsed[featureIndex("mem_bandwidth_fraction_of_peak")]).toBe(1);
    expect(state(d, "mem_read_bytes_per_sec")).toBe(S.FEATURE_STATE_ABSENT_SOURCE_UNAVAILABLE);
  });

  it("resctrl missing: only the resctrl features are absent", () => {
    const c = fullSpr();
    delete c["resctrl.llc_occupancy"];
    delete c["resctrl.mbm_total_bytes"];
    const d = deriveFeatures(c, 1, NODE);
    for (const n of RESCTRL) expect(state(d, n), n).toBe(S.FEATURE_STATE_ABSENT_SOURCE_UNAVAILABLE);
    expect(d.states.filter((s) => s !== S.FEATURE_STATE_PRESENT)).toHaveLength(2);
  });

  it("multiplexed counts: scaled values are used above the threshold, rejected below it", () => {
    const c = fullSpr();
    c["LONGEST_LAT_CACHE.MISS"] = counted(1.0e9, 50); // perf already scaled it
    let d = deriveFeatures(c, 1, NODE);
    expectValues(d, { llc_misses_per_kilo_instr: 5 });
    c["LONGEST_LAT_CACHE.MISS"] = counted(1.0e9, 2);
    d = deriveFeatures(c, 1, NODE);
    expect(state(d, "llc_misses_per_kilo_instr")).toBe(S.FEATURE_STATE_ABSENT_MULTIPLEX_TOO_LOW);
    expect(d.details.get(featureIndex("llc_misses_per_kilo_instr"))).toMatch(/counted 2% of the window/);
    d = deriveFeatures(c, 1, NODE, { minPercentCounted: 1 });
    expect(state(d, "llc_misses_per_kilo_instr")).toBe(S.FEATURE_STATE_PRESENT);
  });

  it("a counter that goes backwards marks every feature using it invalid, no garbage", () => {
    const c = fullSpr();
    c.instructions = counted(-5);
    const d = deriveFeatures(c, 1, NODE);
    for (const n of ["llc_misses_per_kilo_instr", "l2_misses_per_kilo_instr", "instructions_per_ref_cycle"]) {
      expect(state(d, n), n).toBe(S.FEATURE_STATE_ABSENT_COUNTER_INVALID);
      expect(value(d, n)).toBe(0);
    }
    expect(d.details.get(featureIndex("instructions_per_ref_cycle"))).toMatch(/went backwards/);
    expectValues(d, { tma_retiring_fraction: 0.2, cpu_utilization_fraction: 0.5 });
  });

  it("an overflowed (wrapped) counter is rejected for the interval", () => {
    const c = fullSpr();
    c.cycles = counted(2 ** 64 - 1000);
    const d = deriveFeatures(c, 1, NODE);
    expect(state(d, "dram_bound_stall_fraction")).toBe(S.FEATURE_STATE_ABSENT_COUNTER_INVALID);
    expect(d.details.get(featureIndex("dram_bound_stall_fraction"))).toMatch(/plausible maximum/);
  });

  it.each([NaN, Infinity])("a non-finite reading (%s) is invalid", (v) => {
    const c = fullSpr();
    c["L2_RQSTS.MISS"] = counted(v);
    expect(state(deriveFeatures(c, 1, NODE), "l2_misses_per_kilo_instr")).toBe(S.FEATURE_STATE_ABSENT_COUNTER_INVALID);
  });

  it("<not counted> is reported as such", () => {
    const c = fullSpr();
    c["L2_RQSTS.MISS"] = notCounted();
    expect(state(deriveFeatures(c, 1, NODE), "l2_misses_per_kilo_instr")).toBe(S.FEATURE_STATE_ABSENT_EVENT_NOT_COUNTED);
  });

  it("zero instructions: per-instruction features absent for a zero denominator", () => {
    const c = fullSpr();
    c.instructions = counted(0);
    const d = deriveFeatures(c, 1, NODE);
    expect(state(d, "llc_misses_per_kilo_instr")).toBe(S.FEATURE_STATE_ABSENT_ZERO_DENOMINATOR);
    expect(value(d, "instructions_per_ref_cycle")).toBe(0); // 0 / ref-cycles is a real 0
    expect(state(d, "instructions_per_ref_cycle")).toBe(S.FEATURE_STATE_PRESENT);
  });

  it("unknown node facts: the features needing them are absent as input absent", () => {
    const d = deriveFeatures(fullSpr(), 1, { ...NODE, peakMemoryBandwidthBytesPerSec: 0 });
    expect(state(d, "mem_bandwidth_fraction_of_peak")).toBe(S.FEATURE_STATE_ABSENT_INPUT_ABSENT);
    expect(state(d, "mem_read_bytes_per_sec")).toBe(S.FEATURE_STATE_PRESENT);
  });

  it("all events <not supported>: every feature absent, none invented", () => {
    const c: Record<string, CounterReading> = {};
    for (const k of Object.keys(fullSpr())) c[k] = k.startsWith("resctrl.") ? unavailable() : notSupported();
    const d = deriveFeatures(c, 1, NODE);
    expect(d.states.every((s) => s !== S.FEATURE_STATE_PRESENT)).toBe(true);
    expect(d.values.every((v) => v === 0)).toBe(true);
    expect(state(d, "tma_retiring_fraction")).toBe(S.FEATURE_STATE_ABSENT_EVENT_NOT_SUPPORTED);
    expect(state(d, "llc_occupancy_fraction")).toBe(S.FEATURE_STATE_ABSENT_SOURCE_UNAVAILABLE);
    expect(d.details.size).toBe(FEATURE_NAMES.length);
  });

  it("a node without a PMU (this machine): only CPU utilisation, via /proc/stat busy time", () => {
    const c: Record<string, CounterReading> = {};
    for (const k of Object.keys(fullSpr())) c[k] = notSupported();
    c["cpu-clock"] = counted(224_000); // system-wide cpu-clock: N CPUs x window whatever the load; not used
    c["procfs.cpu_busy_ms"] = counted(22_400);
    const d = deriveFeatures(c, 1, NODE);
    expectValues(d, { cpu_utilization_fraction: 0.1 });
    expect(d.formulaUsed[featureIndex("cpu_utilization_fraction")]).toBe(1);
    expect(d.states.filter((s) => s === S.FEATURE_STATE_PRESENT)).toHaveLength(1);
  });

  it.each([0, -1, NaN])("rejects a window of %s seconds", (w) => {
    expect(() => deriveFeatures(fullSpr(), w, NODE)).toThrow(InvalidWindowError);
  });
});

describe("frequency invariance", () => {
  // Core-clock counts scale with frequency; ref-cycles, instructions, misses, CAS and resctrl do not.
  const CORE_CLOCK_EVENTS = [
    "cycles",
    ...TOPDOWN,
    "MEMORY_ACTIVITY.STALLS_L2_MISS",
    "MEMORY_ACTIVITY.STALLS_L3_MISS",
    "TOPDOWN.SLOTS_P",
    "UOPS_RETIRED.SLOTS",
    "TOPDOWN.BAD_SPEC_SLOTS",
    "TOPDOWN.BACKEND_BOUND_SLOTS",
    "TOPDOWN.MEMORY_BOUND_SLOTS",
  ];
  function atFrequency(base: Record<string, CounterReading>, ratio: number) {
    const c: Record<string, CounterReading> = {};
    for (const [k, r] of Object.entries(base)) c[k] = CORE_CLOCK_EVENTS.includes(k) ? { ...r, value: r.value * ratio } : { ...r };
    return c;
  }
  it.each([0.6, 1.45])("the same work counted at %sx the core clock yields the same features", (ratio) => {
    const base = fullSpr();
    const a = deriveFeatures(base, 1, NODE);
    const b = deriveFeatures(atFrequency(base, ratio), 1, NODE);
    expect(b.states).toEqual(a.states);
    for (let i = 0; i < a.values.length; i++) expect(b.values[i], FEATURE_NAMES[i]).toBeCloseTo(a.values[i]!, 12);
    // cycles did change, so the test is not vacuous
    expect(atFrequency(base, ratio).cycles!.value).not.toBe(base.cycles!.value);
  });
  it("no feature is a clock frequency", () => {
    for (const n of FEATURE_NAMES) expect(n).not.toMatch(/freq|hz|ghz|mhz/i);
  });
});
