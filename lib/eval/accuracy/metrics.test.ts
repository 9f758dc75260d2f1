import { describe, expect, it } from "vitest";
import { accuracyHeadline, accuracyOf, summariseAccuracy, type Prediction } from "./metrics.js";

const p = (cls: string, actual: number, predicted: number, upper: number, regimes: [string?, string?] = []): Prediction => ({
  workloadClass: cls, nodeName: "n", sequence: 0, actual, predicted, upper, basis: "SCORE_BASIS_MODEL", predictedRegime: regimes[0], trueRegime: regimes[1],
});

describe("accuracy metrics", () => {
  it("no predictions: nulls, not NaN", () => {
    expect(accuracyOf([])).toEqual({ n: 0, slowdownMae: null, slowdownMape: null, upperBoundCoverage: null, regimeAccuracy: null });
  });

  it("MAE, MAPE, coverage (bound equal to actual counts as covered), regime accuracy", () => {
    const g = accuracyOf([p("a", 2, 1.5, 2, ["Q", "Q"]), p("a", 1, 1.1, 1.05, ["Q", "M"])]);
    expect(g.slowdownMae).toBeCloseTo(0.3);
    expect(g.slowdownMape).toBeCloseTo((0.25 + 0.1) / 2);
    expect(g.upperBoundCoverage).toBe(1);
    expect(g.regimeAccuracy).toBe(0.5);
  });

  it("regime accuracy is null when no truth is known", () => {
    expect(accuracyOf([p("a", 1, 1, 1)]).regimeAccuracy).toBeNull();
  });

  it("separates trained-on from held-out workloads and samples per workload", () => {
    const ps = [p("seen", 1.2, 1.2, 1.3), p("unseen", 1.5, 1.0, 1.1), p("unseen", 1.5, 1.0, 1.1)];
    const r = summariseAccuracy(ps, new Set(["seen"]), { modelVersion: "m", corpus: { dir: "d", seed: 1, synthetic: true, probes: 3, nodeStates: 1 }, nodeRegimeAccuracy: null });
    expect(r.trained.n).toBe(1);
    expect(r.heldOut.n).toBe(2);
    expect(r.trained.slowdownMae).toBe(0);
    expect(r.heldOut.upperBoundCoverage).toBe(0);
    expect(r.perWorkload.map((w) => [w.workloadClass, w.trainedOn])).toEqual([["seen", true], ["unseen", false]]);
    expect(r.samples.unseen).toHaveLength(2);
    const h = accuracyHeadline(r);
    expect(h.probes).toBe(3);
    expect(h).not.toHaveProperty("regime_accuracy");
    expect(h.held_out_slowdown_mape).toBeCloseTo(1 / 3);
  });
});
