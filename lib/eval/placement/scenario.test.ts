import { describe, expect, it } from "vitest";
import { loadWorkloadCatalog } from "../../sim/catalog.js";
import { createScenario, ScenarioError } from "./scenario.js";

const catalog = loadWorkloadCatalog();

describe("createScenario", () => {
  it("is deterministic: same options, same scenario", () => {
    const a = createScenario({ seed: 5, nodeCount: 10, podCount: 30 }, catalog);
    const b = createScenario({ seed: 5, nodeCount: 10, podCount: 30 }, catalog);
    expect(JSON.stringify(a)).toBe(JSON.stringify(b));
  });

  it("differs with the seed", () => {
    const a = createScenario({ seed: 5, nodeCount: 10, podCount: 30 }, catalog);
    const b = createScenario({ seed: 6, nodeCount: 10, podCount: 30 }, catalog);
    expect(JSON.stringify(a.events)).not.toBe(JSON.stringify(b.events));
  });

  it("has one arrival per pod, sorted events, tenants within the core budget", () => {
    const s = createScenario({ seed: 1, nodeCount: 8, podCount: 50, tenantCoreBudget: 100, meanPodLifetimeIntervals: 5 }, catalog);
    expect(s.events.filter((e) => e.kind === "pod-arrive")).toHaveLength(50);
    for (let i = 1; i < s.events.length; i++) expect(s.events[i]!.timeSec).toBeGreaterThanOrEqual(s.events[i - 1]!.timeSec);
    const used = new Map<string, number>();
    const tenantCores = new Map<string, number>();
    for (const e of s.events) {
      if (e.kind === "tenant-arrive") {
        tenantCores.set(e.tenantId, e.cores);
        used.set(e.node, (used.get(e.node) ?? 0) + e.cores);
        expect(used.get(e.node)).toBeLessThanOrEqual(100);
      } else if (e.kind === "tenant-leave") used.set(e.node, used.get(e.node)! - tenantCores.get(e.tenantId)!);
    }
    expect(s.events.some((e) => e.kind === "pod-leave")).toBe(true);
    expect(s.synthetic).toBe(true);
  });

  it("uses the node variants it is given", () => {
    const s = createScenario({ seed: 2, nodeCount: 20, podCount: 1, variantWeights: { "spr-vm": 1 } }, catalog);
    expect(new Set(s.nodes.map((n) => n.variant))).toEqual(new Set(["spr-vm"]));
  });

  const bad: [string, object, RegExp][] = [
    ["zero nodes", { nodeCount: 0 }, /nodeCount/],
    ["fractional pods", { podCount: 2.5 }, /podCount/],
    ["negative seed", { seed: -1 }, /seed/],
    ["unknown variant", { variantWeights: { "spr-nope": 1 } }, /unknown class "spr-nope"/],
    ["CNF used as a tenant", { tenantClassWeights: { "upf-64b": 1 } }, /unknown class "upf-64b"/],
    ["all-zero pod weights", { podClassWeights: { "upf-64b": 0 } }, /sum to 0/],
    ["SLO below 1", { sloChoices: [0.9] }, /sloChoices/],
    ["tenant budget above the node", { tenantCoreBudget: 500 }, /tenantCoreBudget/],
    ["zero pod interval", { podIntervalSec: 0 }, /podIntervalSec/],
  ];
  for (const [name, patch, re] of bad) {
    it(`rejects ${name}`, () => {
      expect(() => createScenario({ seed: 1, nodeCount: 3, podCount: 3, ...patch }, catalog)).toThrow(ScenarioError);
      expect(() => createScenario({ seed: 1, nodeCount: 3, podCount: 3, ...patch }, catalog)).toThrow(re);
    });
  }
});
