import { describe, expect, it } from "vitest";
import { FeatureState } from "../../gen/overseer/v1/features.js";
import { Regime } from "../../gen/overseer/v1/regime.js";
import { featureIndex, FEATURE_NAMES } from "../features/catalog.js";
import { deriveFeatures } from "../features/derive.js";
import { toFeatureVector, validateFeatureVector } from "../features/feature-vector.js";
import { loadWorkloadCatalog, requireWorkload } from "./catalog.js";
import { constantFrequency, turboFrequency } from "./frequency.js";
import { createSimNode, probeSlowdown, simulateInterval, type SimResident } from "./node.js";
import { VARIANT_NAMES } from "./node-spec.js";

const cat = loadWorkloadCatalog();
const res = (c: string, cores?: number): SimResident => ({ workload: requireWorkload(cat, c), cores });
const busyNode: SimResident[] = [res("upf-64b"), res("dpi-1500b"), res("mem-bw-streamer", 40), res("llc-thrasher", 16)];

describe("simulated node", () => {
  it("same seed gives the same counters; a different seed differs", () => {
    const run = (seed: number) => {
      const n = createSimNode({ name: "n1", seed });
      return [0, 1, 2].map(() => simulateInterval(n, busyNode).counters);
    };
    expect(run(5)).toEqual(run(5));
    expect(run(6)).not.toEqual(run(5));
  });

  it("changing only the frequency changes cycle counts but neither the derived features nor the regime", () => {
    for (const variant of VARIANT_NAMES) {
      const slow = createSimNode({ name: "f", seed: 3, variant });
      const fast = createSimNode({ name: "f", seed: 3, variant });
      for (const residents of [busyNode, [res("compute-bound", 96)], []]) {
        const a = simulateInterval(slow, residents, { frequency: constantFrequency(2.0e9) });
        const b = simulateInterval(fast, residents, { frequency: turboFrequency });
        expect(b.groundTruth.coreHz).toBeGreaterThan(2.9e9);
        expect(b.counters.cycles!.value / a.counters.cycles!.value).toBeGreaterThan(1.4);
        expect(b.counters["ref-cycles"]).toEqual(a.counters["ref-cycles"]);
        expect(b.counters.instructions).toEqual(a.counters.instructions);
        const fa = deriveFeatures(a.counters, 1, slow.capacity);
        const fb = deriveFeatures(b.counters, 1, fast.capacity);
        expect(fb.states).toEqual(fa.states);
        fa.values.forEach((v, i) => expect(fb.values[i], FEATURE_NAMES[i]).toBeCloseTo(v, 6));
        expect(b.groundTruth.regime).toBe(a.groundTruth.regime);
      }
    }
  });

  const state = (variant: string, feature: string) => {
    const n = createSimNode({ variant, seed: 1 });
    const d = deriveFeatures(simulateInterval(n, busyNode).counters, 1, n.capacity);
    validateFeatureVector(toFeatureVector(d, 1));
    const i = featureIndex(feature);
    return { state: d.states[i], formula: d.formulaUsed[i], value: d.values[i]! };
  };

  it("spr-full: every feature present through its primary formula", () => {
    const n = createSimNode({ variant: "spr-full", seed: 1 });
    const d = deriveFeatures(simulateInterval(n, busyNode).counters, 1, n.capacity);
    expect(d.states.every((s) => s === FeatureState.FEATURE_STATE_PRESENT)).toBe(true);
    expect(d.formulaUsed.every((f) => f === 0)).toBe(true);
  });

  it.each([
    ["spr-vm", "mem_read_bytes_per_sec", FeatureState.FEATURE_STATE_ABSENT_SOURCE_UNAVAILABLE, -1],
    ["spr-vm", "mem_bandwidth_fraction_of_peak", FeatureState.FEATURE_STATE_ABSENT_SOURCE_UNAVAILABLE, -1],
    ["spr-vm", "llc_occupancy_fraction", FeatureState.FEATURE_STATE_ABSENT_SOURCE_UNAVAILABLE, -1],
    ["spr-vm", "tma_memory_bound_fraction", FeatureState.FEATURE_STATE_PRESENT, 0],
    ["spr-old-kernel", "tma_retiring_fraction", FeatureState.FEATURE_STATE_PRESENT, 1],
    ["spr-old-kernel", "tma_memory_bound_fraction", FeatureState.FEATURE_STATE_PRESENT, 1],
    ["spr-old-kernel", "mem_read_bytes_per_sec", FeatureState.FEATURE_STATE_PRESENT, 0],
    ["spr-mixed", "tma_backend_bound_fraction", FeatureState.FEATURE_STATE_PRESENT, 1],
    ["spr-mixed", "mem_write_bytes_per_sec", FeatureState.FEATURE_STATE_ABSENT_SOURCE_UNAVAILABLE, -1],
    ["spr-mixed", "mem_bandwidth_fraction_of_peak", FeatureState.FEATURE_STATE_PRESENT, 1],
    ["spr-mixed", "llc_occupancy_fraction", FeatureState.FEATURE_STATE_PRESENT, 0],
  ])("%s: %s is %s via formula %i", (variant, feature, want, formula) => {
    const got = state(variant, feature);
    expect(got.state).toBe(want);
    expect(got.formula).toBe(formula);
  });

  it("fallback TMA formulas agree with the perf-metrics ones on the same load", () => {
    for (const f of ["tma_retiring_fraction", "tma_backend_bound_fraction", "tma_memory_bound_fraction", "tma_frontend_bound_fraction"]) {
      expect(state("spr-old-kernel", f).value).toBeCloseTo(state("spr-full", f).value, 1);
    }
    const mbm = state("spr-mixed", "mem_bandwidth_fraction_of_peak").value;
    const cas = state("spr-full", "mem_bandwidth_fraction_of_peak").value;
    expect(Math.abs(mbm / cas - 1)).toBeLessThan(0.03);
  });

  it("multiplexed core events carry a percentage below 100 and fixed counters 100", () => {
    const n = createSimNode({ seed: 2 });
    const c = simulateInterval(n, busyNode).counters;
    expect(c["LONGEST_LAT_CACHE.MISS"]!.percentCounted).toBeLessThan(100);
    expect(c["LONGEST_LAT_CACHE.MISS"]!.percentCounted).toBeGreaterThan(80);
    expect(c.instructions!.percentCounted).toBe(100);
  });

  it.each([
    ["QUIET", [res("firewall-64b"), res("nat-64b")], Regime.REGIME_QUIET],
    ["CORE_BOUND", [res("upf-64b"), res("compute-bound", 96)], Regime.REGIME_CORE_BOUND],
    ["LLC_CONTENDED", [res("upf-64b"), res("llc-thrasher", 16)], Regime.REGIME_LLC_CONTENDED],
    ["MEMORY_BANDWIDTH_SATURATED", [res("firewall-64b"), res("mem-bw-streamer", 48), res("mem-bw-streamer", 24)], Regime.REGIME_MEMORY_BANDWIDTH_SATURATED],
    ["MIXED", [res("upf-64b"), res("dpi-1500b"), res("mem-bw-streamer", 48), res("mem-bw-streamer", 32), res("llc-thrasher", 16)], Regime.REGIME_MIXED],
  ])("ground truth regime %s", (_n, residents, want) => {
    const n = createSimNode({ seed: 1 });
    expect(simulateInterval(n, residents).groundTruth.regime).toBe(want);
  });

  it("probes: slowdown >= 1, equal to the joint solve, and the node's own state is untouched", () => {
    const n = createSimNode({ seed: 9 });
    const before = simulateInterval(n, busyNode).groundTruth;
    for (const c of cat.cnfs) {
      const p = probeSlowdown(n, busyNode, c);
      expect(p.slowdown).toBeGreaterThanOrEqual(1);
      const joint = simulateInterval(createSimNode({ seed: 9 }), [...busyNode, { workload: c }]).groundTruth.workloads.at(-1)!;
      expect(p.slowdown).toBeCloseTo(joint.slowdown, 9);
    }
    expect(simulateInterval(n, busyNode).groundTruth).toEqual(before);
    const quiet = createSimNode({ seed: 9 });
    expect(probeSlowdown(quiet, [], requireWorkload(cat, "upf-64b")).slowdown).toBeCloseTo(1, 9);
  });
});
