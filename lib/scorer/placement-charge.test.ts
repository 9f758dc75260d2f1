import { describe, expect, it } from "vitest";
import { SoloProfile } from "../../gen/overseer/v1/scorer_service.js";
import { FEATURE_COUNT, featureIndex } from "../features/catalog.js";
import { chargeRow, worstDemand } from "./placement-charge.js";

const F = FEATURE_COUNT;
const profile = (p: Partial<SoloProfile>): SoloProfile => SoloProfile.fromPartial(p);
const cap = { peakMemoryBandwidthBytesPerSec: 100e9, logicalCpus: 100, llcBytes: 100e6 };

function row(values: Record<string, number>, absent: string[] = []): Float32Array {
  const r = new Float32Array(2 * F);
  for (let i = 0; i < F; i++) r[F + i] = 1;
  for (const [k, v] of Object.entries(values)) r[featureIndex(k)] = v;
  for (const a of absent) {
    r[featureIndex(a)] = 0;
    r[F + featureIndex(a)] = 0;
  }
  return r;
}

describe("worstDemand", () => {
  it("takes the element-wise max of several recent pods, not their sum", () => {
    const d = worstDemand([profile({ memReadBytesPerSec: 10e9, cores: 2 }), profile({ memReadBytesPerSec: 4e9, cores: 8, llcWorkingSetBytes: 5e6 })]);
    expect(d).toEqual({ memReadBytesPerSec: 10e9, memWriteBytesPerSec: 0, cores: 8, llcWorkingSetBytes: 5e6 });
  });
  it("no recent pods -> zero demand", () => expect(worstDemand([]).cores).toBe(0));
});

describe("chargeRow", () => {
  it("adds the demand to present load features and caps shares at 1", () => {
    const r = row({ mem_bandwidth_fraction_of_peak: 0.95, cpu_utilization_fraction: 0.5, mem_read_bytes_per_sec: 50e9, llc_occupancy_fraction: 0.2 });
    const out = new Float32Array(2 * F + 3);
    chargeRow(r, { memReadBytesPerSec: 8e9, memWriteBytesPerSec: 2e9, cores: 10, llcWorkingSetBytes: 30e6 }, cap, out, 3);
    expect(out[3 + featureIndex("mem_bandwidth_fraction_of_peak")]).toBe(1);
    expect(out[3 + featureIndex("cpu_utilization_fraction")]).toBeCloseTo(0.6, 6);
    expect(out[3 + featureIndex("mem_read_bytes_per_sec")]! / 58e9).toBeCloseTo(1, 6);
    expect(out[3 + featureIndex("llc_occupancy_fraction")]).toBeCloseTo(0.5, 6);
    expect(out[3 + F + featureIndex("cpu_utilization_fraction")]).toBe(1);
  });
  it("leaves absent features absent and unknown capacities unchanged", () => {
    const r = row({ cpu_utilization_fraction: 0.5 }, ["mem_bandwidth_fraction_of_peak"]);
    const out = new Float32Array(2 * F);
    chargeRow(r, { memReadBytesPerSec: 8e9, memWriteBytesPerSec: 0, cores: 10, llcWorkingSetBytes: 0 }, { ...cap, logicalCpus: 0 }, out, 0);
    expect(out[featureIndex("mem_bandwidth_fraction_of_peak")]).toBe(0);
    expect(out[F + featureIndex("mem_bandwidth_fraction_of_peak")]).toBe(0);
    expect(out[featureIndex("cpu_utilization_fraction")]).toBe(0.5);
  });
});
