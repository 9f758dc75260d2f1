import { describe, expect, it } from "vitest";
import { topKIndices } from "./top-k.js";

const stableTop = (n: number, k: number, before: (a: number, b: number) => number) =>
  Array.from({ length: n }, (_, i) => i)
    .sort(before)
    .slice(0, Math.max(0, k));

describe("topKIndices", () => {
  it("equals the first k of a stable sort, ties in index order (random tables)", () => {
    let seed = 11;
    const rnd = () => ((seed = (Math.imul(seed, 1664525) + 1013904223) >>> 0) / 2 ** 32);
    for (let t = 0; t < 300; t++) {
      const n = Math.floor(rnd() * 60);
      const k = Math.floor(rnd() * 20);
      const scores = Array.from({ length: n }, () => Math.floor(rnd() * 11));
      const before = (a: number, b: number) => scores[b]! - scores[a]!;
      expect(topKIndices(n, k, before)).toEqual(stableTop(n, k, before));
    }
  });
  it("k of 0 or more than n", () => {
    const before = (a: number, b: number) => a - b;
    expect(topKIndices(5, 0, before)).toEqual([]);
    expect(topKIndices(3, 10, (a, b) => b - a)).toEqual([2, 1, 0]);
    expect(topKIndices(0, 3, before)).toEqual([]);
  });
});
