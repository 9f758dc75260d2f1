import { describe, expect, it } from "vitest";
import { loadWorkloadCatalog, requireWorkload, type Workload } from "./catalog.js";
import { BACKGROUND_WORKLOAD, CACHE_LINE_BYTES, loadedLatencyNs, solveContention } from "./contention.js";
import { SPR_8480_2S as spec } from "./node-spec.js";
import { createRng } from "./rng.js";

const cat = loadWorkloadCatalog();
const w = (c: string) => requireWorkload(cat, c);

function slowdownOf(target: Workload, others: [string, number][]): number {
  const ws = [BACKGROUND_WORKLOAD, target, ...others.map(([c]) => w(c))];
  const cores = [1, target.cores, ...others.map(([, n]) => n)];
  const joint = solveContention(spec, ws, cores).instructionsPerSec[1]!;
  const solo = solveContention(spec, [BACKGROUND_WORKLOAD, target], [1, target.cores]).instructionsPerSec[1]!;
  return solo / joint;
}

describe("contention model", () => {
  it("loaded latency is the idle latency unloaded and rises steeply near saturation", () => {
    expect(loadedLatencyNs(spec, 0)).toBe(spec.idleMemLatencyNs);
    const l50 = loadedLatencyNs(spec, 0.5), l80 = loadedLatencyNs(spec, 0.8), l95 = loadedLatencyNs(spec, 0.95);
    expect(l80 - l50).toBeLessThan(l95 - l80);
    expect(l95 / spec.idleMemLatencyNs).toBeGreaterThan(5);
  });

  it("saturation: DRAM bandwidth never exceeds peak, however many streamers", () => {
    for (const k of [1, 2, 4, 8]) {
      const ws = [BACKGROUND_WORKLOAD, ...Array.from({ length: k }, () => w("mem-bw-streamer"))];
      const s = solveContention(spec, ws, [1, ...Array.from({ length: k }, () => 48)]);
      expect(s.memReadBytesPerSecTotal + s.memWriteBytesPerSecTotal).toBeLessThan(spec.peakMemoryBandwidthBytesPerSec);
      expect(s.memBandwidthUtilization).toBeLessThan(1);
    }
  });

  it("the solution is a fixed point: traffic at the solved throughput reproduces the utilisation", () => {
    const ws = [BACKGROUND_WORKLOAD, w("upf-64b"), w("mem-bw-streamer"), w("llc-thrasher")];
    const s = solveContention(spec, ws, [1, 8, 40, 16]);
    let bytes = 0;
    for (let i = 0; i < ws.length; i++) {
      const miss = (ws[i]!.l2MissesPerKiloInstr / 1000) * (1 - s.llcHitRatio[i]!);
      bytes += s.instructionsPerSec[i]! * miss * CACHE_LINE_BYTES * (1 + ws[i]!.writeToReadRatio);
    }
    expect(bytes / spec.peakMemoryBandwidthBytesPerSec).toBeCloseTo(s.memBandwidthUtilization, 6);
    expect(s.memLatencyNs).toBeCloseTo(loadedLatencyNs(spec, s.memBandwidthUtilization), 6);
    let shares = 0;
    for (let i = 0; i < ws.length; i++) shares += s.llcShareBytes[i]!;
    expect(shares).toBeLessThanOrEqual(spec.llcBytes * (1 + 1e-12));
  });

  it("non-additive: the joint slowdown under two co-runners is not the sum of the individual ones", () => {
    const upf = w("upf-64b");
    const a = slowdownOf(upf, [["mem-bw-streamer", 40]]) - 1;
    const b = slowdownOf(upf, [["mem-bw-streamer", 40]]) - 1;
    const joint = slowdownOf(upf, [["mem-bw-streamer", 40], ["mem-bw-streamer", 40]]) - 1;
    // Two streamers push DRAM into the steep part of the latency curve: far worse than the sum.
    expect(joint).toBeGreaterThan(1.5 * (a + b));
    const t = slowdownOf(upf, [["llc-thrasher", 16]]) - 1;
    const m = slowdownOf(upf, [["mixed-analytics", 24]]) - 1;
    const tm = slowdownOf(upf, [["llc-thrasher", 16], ["mixed-analytics", 24]]) - 1;
    expect(Math.abs(tm - (t + m))).toBeGreaterThan(0.05 * (t + m));
  });

  it("sensitivity follows from the model: a CNF whose working set fits suffers less from an LLC thrasher than one that spills", () => {
    const small = slowdownOf(w("firewall-64b"), [["llc-thrasher", 24]]);
    const big = slowdownOf(w("dpi-1500b"), [["llc-thrasher", 24]]);
    expect(small).toBeGreaterThanOrEqual(1);
    expect(big).toBeGreaterThan(small);
  });

  it("a quiet node leaves every CNF at its solo speed", () => {
    for (const c of cat.cnfs) expect(slowdownOf(c, [])).toBeCloseTo(1, 9);
  });

  it("random resident mixes: converges, stays below peak, shares fit the LLC, nobody runs faster than solo", () => {
    const rng = createRng(123);
    for (let k = 0; k < 300; k++) {
      const n = rng.int(0, 7);
      const ws = [BACKGROUND_WORKLOAD];
      const cores = [1];
      for (let j = 0; j < n; j++) {
        const w = cat.workloads[rng.int(0, cat.workloads.length - 1)]!;
        ws.push(w);
        cores.push(rng.int(w.coresMin, w.coresMax));
      }
      const s = solveContention(spec, ws, cores);
      expect(s.outerIterations).toBeLessThan(60);
      expect(s.memBandwidthUtilization).toBeLessThan(1);
      let shares = 0;
      for (let i = 0; i < ws.length; i++) {
        shares += s.llcShareBytes[i]!;
        const solo = solveContention(spec, [BACKGROUND_WORKLOAD, ws[i]!], [1, cores[i]!]).instructionsPerSec[1]!;
        if (i > 0) expect(s.instructionsPerSec[i]!).toBeLessThanOrEqual(solo * (1 + 1e-9));
      }
      expect(shares).toBeLessThanOrEqual(spec.llcBytes * (1 + 1e-9));
    }
  });
});
