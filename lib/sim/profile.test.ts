import { describe, expect, it } from "vitest";
import { loadWorkloadCatalog, requireWorkload } from "./catalog.js";
import { llcHitRatioAtShare } from "./contention.js";
import { SPR_8480_2S as spec } from "./node-spec.js";
import { llcHitRatioAtQuarterWorkingSet, soloProfile } from "./profile.js";

const cat = loadWorkloadCatalog();

describe("solo profile: hit ratio at a quarter of the working set (SoloProfile field 13)", () => {
  it("is the workload's own hit curve at share W / 4 (l3-router: 0.9 * 0.25^0.5 = 0.45)", () => {
    const w = requireWorkload(cat, "l3-router-64b");
    expect(w.llcReuseFraction).toBe(0.9);
    expect(w.hitCurveExponent).toBe(0.5);
    expect(soloProfile(spec, w).llcHitRatioAtQuarterWorkingSet).toBeCloseTo(0.45, 12);
  });

  it("with the solo hit ratio gives back the hit-curve exponent when the working set fits solo", () => {
    for (const w of cat.cnfs) {
      const p = soloProfile(spec, w);
      const h0 = 1 - p.llcMissesPerKiloInstr / p.l2MissesPerKiloInstr;
      expect(Math.log(p.llcHitRatioAtQuarterWorkingSet / h0) / Math.log(0.25)).toBeCloseTo(w.hitCurveExponent, 9);
    }
  });

  it("a working set beyond four LLCs gets at most the whole LLC", () => {
    const huge = { ...requireWorkload(cat, "llc-thrasher"), llcWorkingSetBytes: 8 * spec.llcBytes };
    expect(llcHitRatioAtQuarterWorkingSet(spec, huge)).toBeCloseTo(llcHitRatioAtShare(huge, spec.llcBytes), 12);
    expect(llcHitRatioAtQuarterWorkingSet(spec, huge)).toBeCloseTo(huge.llcReuseFraction / 8, 12);
  });

  it("a streaming workload (no reuse) has none: 0, the same as not measured", () => {
    expect(soloProfile(spec, requireWorkload(cat, "mem-bw-streamer")).llcHitRatioAtQuarterWorkingSet).toBe(0);
  });
});
