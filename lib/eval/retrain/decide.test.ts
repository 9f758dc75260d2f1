import { describe, expect, it } from "vitest";
import type { AccuracyGroup } from "../accuracy/metrics.js";
import { decidePromotion, detectDrift } from "./decide.js";

const g = (mape: number | null, cov: number | null, n = 100): AccuracyGroup => ({ n, slowdownMae: mape, slowdownMape: mape, upperBoundCoverage: cov, regimeAccuracy: null });
const bounds = { maxSlowdownMape: 0.15, minUpperBoundCoverage: 0.9 };

describe("detectDrift", () => {
  const cases: [string, AccuracyGroup, boolean, RegExp?][] = [
    ["within bounds", g(0.1, 0.95), false],
    ["MAPE above the bound", g(0.2, 0.95), true, /MAPE 0.2000 > bound 0.15/],
    ["coverage below the bound", g(0.1, 0.8), true, /coverage 0.8000 < bound 0.9/],
    ["exactly at the bounds", g(0.15, 0.9), false],
    ["no probes", g(null, null, 0), false, /no probes/],
  ];
  for (const [name, acc, drifted, re] of cases) {
    it(name, () => {
      const v = detectDrift(acc, bounds);
      expect(v.drifted).toBe(drifted);
      if (re) expect(v.reasons.join("; ")).toMatch(re);
    });
  }
});

describe("decidePromotion", () => {
  const cases: [string, AccuracyGroup, AccuracyGroup, boolean, RegExp][] = [
    ["better MAPE, same coverage", g(0.2, 0.9), g(0.1, 0.9), true, /challenger MAPE 0.1000 < champion 0.2000/],
    ["worse MAPE", g(0.1, 0.9), g(0.2, 0.95), false, /not better/],
    ["equal MAPE", g(0.1, 0.9), g(0.1, 0.9), false, /not better/],
    ["improvement below the minimum", g(0.1, 0.9), g(0.098, 0.9), false, /not better/],
    ["better MAPE but coverage collapses", g(0.2, 0.95), g(0.1, 0.5), false, /coverage 0.5000 is below/],
    ["challenger with no predictions", g(0.2, 0.9), g(null, null, 0), false, /no predictions/],
    ["different probe sets", g(0.2, 0.9, 100), g(0.1, 0.9, 90), false, /different probes/],
    ["champion without predictions, challenger fine", g(null, null), g(0.1, 0.9), true, /champion n\/a|< champion/],
  ];
  for (const [name, champion, challenger, promote, re] of cases) {
    it(name, () => {
      const v = decidePromotion(champion, challenger);
      expect(v.promote).toBe(promote);
      expect(v.reason).toMatch(re);
    });
  }
});
