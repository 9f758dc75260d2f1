// The engine's packed scores and bases agree with the per-node results built from the same run, for
// every kind of node (synthetic test bundle run inline, no network).
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { Regime } from "../../gen/overseer/v1/regime.js";
import { ScoreBasis, SoloProfile } from "../../gen/overseer/v1/scorer_service.js";
import { loadBundle, type ModelBundle } from "../bundle/load-bundle.js";
import { makeBundleDir } from "../bundle/testing/fixture-dir.js";
import { NodeStateStore } from "./node-state-store.js";
import { PredictionCache } from "./prediction-cache.js";
import { RecentPlacements } from "./recent-placements.js";
import { scoreCandidates } from "./scoring-engine.js";
import { nodeState } from "./testing/node-states.js";

const NOW = 2_000_000_000_000;
let bundle: ModelBundle;
beforeAll(async () => {
  bundle = await loadBundle((await makeBundleDir({ synthetic: true })).dir, { runner: "inline" });
});
afterAll(async () => bundle?.release());

describe("scoreCandidates: packed scores and bases", () => {
  it("match the per-node results for unknown, stale, absent-feature, model, cached, charged, unclassified and model-error nodes", async () => {
    const store = new NodeStateStore({ maxNodes: 100, now: () => NOW });
    const recent = new RecentPlacements({ settleMs: 30_000, maxPerNode: 16, now: () => NOW });
    const ctx = { store, recent, params: { freshnessMs: 10_000, worstSlowdown: 2 }, predictionCache: new PredictionCache(4) };
    const fresh = new Date(NOW - 100);
    const add = (name: string, o: Parameters<typeof nodeState>[1], classify = true) => {
      store.upsert(nodeState(name, o));
      const probabilities = [{ regime: Regime.REGIME_QUIET, probability: 0.7 }, { regime: Regime.REGIME_MIXED, probability: 0.3 }];
      if (classify) store.setRegime(name, o?.sequence ?? 1, store.get(name)!.agentStartedAtMs, { regime: Regime.REGIME_QUIET, confidence: 0.7, probabilities, modelVersion: "v" });
    };
    add("stale", { observedAt: new Date(NOW - 60_000) });
    add("absent", { observedAt: fresh, absent: ["mem_bandwidth_fraction_of_peak", "dram_bound_stall_fraction"] });
    add("light", { observedAt: fresh, features: { mem_bandwidth_fraction_of_peak: 0.05 } });
    add("heavy", { observedAt: fresh, features: { mem_bandwidth_fraction_of_peak: 0.9, cpu_utilization_fraction: 0.95 } });
    add("charged", { observedAt: fresh });
    add("unclassified", { observedAt: fresh }, false);
    add("poisoned", { observedAt: fresh, features: { mem_bandwidth_fraction_of_peak: 0.3 } });
    recent.add("charged", { key: "ns/p", uid: "p", profile: SoloProfile.fromPartial({ cores: 16, memReadBytesPerSec: 200e9, memWriteBytesPerSec: 100e9 }), placedAtMs: NOW - 10 });
    const names = ["unknown", "stale", "absent", "light", "heavy", "charged", "unclassified", "poisoned", "light"];
    // The model answers NaN for the poisoned node's row (the rows follow the request order).
    let poison = true;
    const model: ModelBundle = {
      ...bundle,
      async predict(input, rows, donate) {
        const out = await bundle.predict(input, rows, donate);
        if (poison) out.slowdown[out.slowdown.length - 2] = NaN; // the poisoned node's row, before the last "light"
        return out;
      },
    };
    const wantBasis = [
      ScoreBasis.SCORE_BASIS_UNKNOWN_NODE_WORST_CASE,
      ScoreBasis.SCORE_BASIS_STALE_WORST_CASE,
      ScoreBasis.SCORE_BASIS_ABSENT_FEATURES_WORST_CASE,
      ScoreBasis.SCORE_BASIS_MODEL,
      ScoreBasis.SCORE_BASIS_MODEL,
      ScoreBasis.SCORE_BASIS_MODEL,
      ScoreBasis.SCORE_BASIS_MODEL,
      ScoreBasis.SCORE_BASIS_MODEL_ERROR_WORST_CASE,
      ScoreBasis.SCORE_BASIS_MODEL,
    ];
    for (const round of [0, 1]) {
      poison = round === 0;
      const run = await scoreCandidates(ctx, model, { podNamespace: "ns", podName: "x", podUid: "x", workloadClass: "upf", maxSlowdown: 0 }, names, NOW);
      if (round === 1) expect(run.cacheHits).toBeGreaterThan(0); // light and heavy come from the cache
      expect([...run.scores]).toEqual(run.results.map((r) => r.decision.score));
      expect([...run.basis]).toEqual(run.results.map((r) => r.decision.basis));
      expect([...run.basis]).toEqual(round === 0 ? wantBasis : wantBasis.map((b) => (b === ScoreBasis.SCORE_BASIS_MODEL_ERROR_WORST_CASE ? ScoreBasis.SCORE_BASIS_MODEL : b)));
      expect(run.scores[3]).toBeGreaterThan(run.scores[4]!); // light beats heavy
      expect(run.results).toBe(run.results); // built once
    }
  });
});
