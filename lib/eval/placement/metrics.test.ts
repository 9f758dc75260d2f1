import { describe, expect, it } from "vitest";
import { gapClosedFraction, mean, percentile, summarisePolicy, violatesSlo } from "./metrics.js";

describe("placement metrics", () => {
  it("percentile uses the nearest rank", () => {
    const v = [5, 1, 4, 2, 3, 6, 7, 8, 9, 10];
    expect(percentile(v, 0.5)).toBe(5);
    expect(percentile(v, 0.95)).toBe(10);
    expect(percentile(v, 0)).toBe(1);
    expect(percentile([], 0.5)).toBeNaN();
  });

  it("mean of nothing is NaN", () => {
    expect(mean([])).toBeNaN();
    expect(mean([1, 2])).toBe(1.5);
  });

  it("an SLO violation is a slowdown strictly above the limit; limit 0 means none", () => {
    expect(violatesSlo({ slowdown: 1.2, maxSlowdown: 1.2 })).toBe(false);
    expect(violatesSlo({ slowdown: 1.21, maxSlowdown: 1.2 })).toBe(true);
    expect(violatesSlo({ slowdown: 9, maxSlowdown: 0 })).toBe(false);
  });

  it("gap closed: oracle 1, default 0, halfway 0.5, worse negative, no gap undefined", () => {
    expect(gapClosedFraction(1.4, 1.0, 1.0)).toBe(1);
    expect(gapClosedFraction(1.4, 1.4, 1.0)).toBe(0);
    expect(gapClosedFraction(1.4, 1.2, 1.0)).toBeCloseTo(0.5);
    expect(gapClosedFraction(1.4, 1.6, 1.0)).toBeLessThan(0);
    expect(gapClosedFraction(1.0, 1.0, 1.0)).toBeUndefined();
  });

  it("summarises outcomes", () => {
    const s = summarisePolicy("p", [
      { pod: "a", workloadClass: "x", node: "n", slowdown: 1.0, maxSlowdown: 1.1 },
      { pod: "b", workloadClass: "x", node: "n", slowdown: 1.5, maxSlowdown: 1.1 },
    ], 1, 3);
    expect(s).toMatchObject({ pods: 3, placed: 2, unschedulable: 1, meanSlowdown: 1.25, sloViolations: 1, sloViolationFraction: 0.5, maxSlowdown: 1.5 });
  });
});
