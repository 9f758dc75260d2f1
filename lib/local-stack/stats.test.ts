import { describe, expect, it } from "vitest";
import { correlation, max, mean, percentile } from "./stats.js";

describe("stats", () => {
  it("empty input: undefined, not 0", () => {
    expect(mean([])).toBeUndefined();
    expect(percentile([], 95)).toBeUndefined();
    expect(max([])).toBeUndefined();
    expect(correlation([], [])).toBeUndefined();
  });
  it("mean and max", () => {
    expect(mean([1, 2, 3, 6])).toBe(3);
    expect(max([1, 7, 3])).toBe(7);
  });
  it("nearest-rank percentile", () => {
    const xs = [5, 1, 4, 2, 3];
    expect(percentile(xs, 50)).toBe(3);
    expect(percentile(xs, 100)).toBe(5);
    expect(percentile(xs, 1)).toBe(1);
    expect(percentile([1, 2, 3, 4, 5, 6, 7, 8, 9, 10], 95)).toBe(10);
  });
  it("correlation: perfect, inverse, too few points, no variance", () => {
    expect(correlation([1, 2, 3], [2, 4, 6])).toBeCloseTo(1);
    expect(correlation([1, 2, 3], [3, 2, 1])).toBeCloseTo(-1);
    expect(correlation([1, 2], [1, 2])).toBeUndefined();
    expect(correlation([1, 1, 1], [1, 2, 3])).toBeUndefined();
  });
});
