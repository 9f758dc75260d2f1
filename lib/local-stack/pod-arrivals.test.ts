import { describe, expect, it } from "vitest";
import { loadWorkloadCatalog } from "../sim/index.js";
import { podArrivals } from "./pod-arrivals.js";

const catalog = loadWorkloadCatalog();
const opts = { seed: 4, durationMs: 30_000, meanGapMs: 1000, maxSlowdown: 1.5 };

describe("podArrivals", () => {
  it("same seed, same pods; another seed, other pods", () => {
    expect(podArrivals(catalog, opts)).toEqual(podArrivals(catalog, opts));
    expect(podArrivals(catalog, { ...opts, seed: 5 }).map((a) => a.pod.name)).not.toEqual(podArrivals(catalog, opts).map((a) => a.pod.name));
  });
  it("a steady stream inside the duration: gaps within 0.5..1.5 x the mean", () => {
    const a = podArrivals(catalog, opts);
    expect(a[0]!.atMs).toBeLessThan(1000);
    expect(a.at(-1)!.atMs).toBeLessThan(30_000);
    for (let i = 1; i < a.length; i++) {
      const gap = a[i]!.atMs - a[i - 1]!.atMs;
      expect(gap).toBeGreaterThanOrEqual(500);
      expect(gap).toBeLessThan(1500);
    }
  });
  it("only CNFs from the catalog, unique names and uids, the limit applied", () => {
    const a = podArrivals(catalog, opts);
    expect(a.every((x) => x.pod.workload.kind === "cnf" && x.pod.maxSlowdown === 1.5)).toBe(true);
    expect(new Set(a.map((x) => x.pod.name)).size).toBe(a.length);
    expect(new Set(a.map((x) => x.pod.uid)).size).toBe(a.length);
  });
});
