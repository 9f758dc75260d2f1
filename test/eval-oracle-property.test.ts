// Sanity property of the placement benchmark: on the same scenario no policy beats the oracle.
import { describe, expect, it } from "vitest";
import { loadWorkloadCatalog } from "../lib/sim/catalog.js";
import { BUILTIN_POLICIES, createOraclePolicy, type PlacementPolicy } from "../lib/eval/placement/policies.js";
import { comparePolicies, runPolicy } from "../lib/eval/placement/run.js";
import { createScenario } from "../lib/eval/placement/scenario.js";

const catalog = loadWorkloadCatalog();

describe("oracle property", () => {
  it("the oracle's mean slowdown is never above any policy's on the same scenario (40 random scenarios)", async () => {
    for (let seed = 100; seed < 140; seed++) {
      const scenario = createScenario(
        { seed, nodeCount: 3 + (seed % 11), podCount: 8 + ((seed * 13) % 40), meanPodLifetimeIntervals: seed % 2 ? 0 : 15, meanTenantsPerNode: 1 + (seed % 4) },
        catalog,
      );
      const { comparison } = await comparePolicies(scenario, catalog, Object.values(BUILTIN_POLICIES));
      const oracle = comparison.policies.find((p) => p.policy === "oracle")!;
      for (const p of comparison.policies) {
        expect(oracle.meanSlowdown, `seed ${seed}: oracle vs ${p.policy}`).toBeLessThanOrEqual(p.meanSlowdown + 1e-12);
        expect(p.placed + p.unschedulable).toBe(scenario.pods.length);
      }
      expect(comparison.gapClosed.oracle ?? 1).toBe(1);
    }
  });

  it("every oracle decision is the truly best candidate at that moment", async () => {
    const scenario = createScenario({ seed: 9, nodeCount: 12, podCount: 40 }, catalog);
    const oracle = createOraclePolicy(9);
    const checked: PlacementPolicy = {
      name: "oracle",
      choose: async (pod, candidates, ctx) => {
        const chosen = await oracle.choose(pod, candidates, ctx);
        const w = ctx.cluster.workload(pod.workloadClass);
        const best = Math.min(...candidates.map((n) => ctx.cluster.probeSlowdown(n, w)));
        expect(ctx.cluster.probeSlowdown(ctx.cluster.node(chosen), w)).toBe(best);
        return chosen;
      },
    };
    const run = await runPolicy(scenario, catalog, checked);
    expect(run.outcomes).toHaveLength(40);
  });

  it("rejects a policy that picks a node that is not a candidate", async () => {
    const scenario = createScenario({ seed: 3, nodeCount: 3, podCount: 2 }, catalog);
    const rogue: PlacementPolicy = { name: "rogue", choose: () => "node-999" };
    await expect(runPolicy(scenario, catalog, rogue)).rejects.toThrow(/not a candidate/);
  });

  it("a pod that fits nowhere is counted unschedulable, not placed", async () => {
    const scenario = createScenario({ seed: 3, nodeCount: 1, podCount: 40, meanTenantsPerNode: 0 }, catalog);
    const run = await runPolicy(scenario, catalog, createOraclePolicy(3));
    expect(run.summary.unschedulable).toBeGreaterThan(0);
    expect(run.summary.placed + run.summary.unschedulable).toBe(40);
  });
});
