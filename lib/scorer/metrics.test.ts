import { Registry } from "prom-client";
import { describe, expect, it } from "vitest";
import { Regime } from "../../gen/overseer/v1/regime.js";
import { createScorerMetrics, regimeLabel } from "./metrics.js";
import { NodeStateStore } from "./node-state-store.js";
import { PredictionCache } from "./prediction-cache.js";
import { RecentPlacements } from "./recent-placements.js";
import { nodeState } from "./testing/node-states.js";

const assess = (regime: Regime) => ({ regime, confidence: 0.9, probabilities: [{ regime, probability: 0.9 }], modelVersion: "v", classifiedAt: new Date() });

function setup() {
  const registry = new Registry();
  const store = new NodeStateStore({ maxNodes: 10 });
  const metrics = createScorerMetrics(registry, store, new RecentPlacements({ settleMs: 1000, maxPerNode: 4 }), () => 10_000);
  const nodeRegime = async () => (await registry.getSingleMetric("overseer_scorer_node_regime")!.get()).values.map((v) => `${v.labels.node}:${v.labels.regime}=${v.value}`).sort();
  return { registry, store, metrics, nodeRegime };
}

describe("overseer_scorer_node_regime", () => {
  it.each([
    ["never classified", undefined, "unclassified"],
    ["unspecified", Regime.REGIME_UNSPECIFIED, "unclassified"],
    ["quiet", Regime.REGIME_QUIET, "quiet"],
    ["memory bandwidth saturated", Regime.REGIME_MEMORY_BANDWIDTH_SATURATED, "memory_bandwidth_saturated"],
  ])("label: %s", (_n, r, label) => expect(regimeLabel(r)).toBe(label));

  it("one series per node at 1 for its current regime; a regime change replaces the series; a dropped node loses it", async () => {
    const { store, nodeRegime } = setup();
    store.upsert(nodeState("a"));
    store.upsert(nodeState("b"));
    expect(await nodeRegime()).toEqual(["a:unclassified=1", "b:unclassified=1"]);
    for (const e of store.takePending(10)) store.setRegime(e.rec.name, e.sequence, e.startMs, assess(Regime.REGIME_QUIET));
    expect(await nodeRegime()).toEqual(["a:quiet=1", "b:quiet=1"]);
    store.upsert(nodeState("a", { sequence: 2 }));
    const [e] = store.takePending(10);
    store.setRegime("a", e!.sequence, e!.startMs, assess(Regime.REGIME_LLC_CONTENDED));
    store.delete("b");
    expect(await nodeRegime()).toEqual(["a:llc_contended=1"]);
  });

  it("decision-time classification outcomes and classified nodes are counted", async () => {
    const { registry, metrics } = setup();
    metrics.countDecisionClassify("ok", 3);
    metrics.countDecisionClassify("timeout", 0);
    const text = await registry.metrics();
    expect(text).toMatch(/overseer_scorer_decision_classify_calls_total\{outcome="ok"\} 1/);
    expect(text).toMatch(/overseer_scorer_decision_classify_calls_total\{outcome="timeout"\} 1/);
    expect(text).toMatch(/overseer_scorer_decision_classified_nodes_total 3/);
  });

  it("prediction cache hits, misses, profiles and bytes are exported", async () => {
    const registry = new Registry();
    const cache = new PredictionCache(4);
    cache.table({}, new Float32Array([1, 2]), 10);
    const metrics = createScorerMetrics(registry, new NodeStateStore({ maxNodes: 10 }), new RecentPlacements({ settleMs: 1000, maxPerNode: 4 }), () => 10_000, cache);
    metrics.countPredictionCache(7, 2);
    metrics.countPredictionCache(0, 1);
    const text = await registry.metrics();
    expect(text).toMatch(/overseer_scorer_prediction_cache_hits_total 7/);
    expect(text).toMatch(/overseer_scorer_prediction_cache_misses_total 3/);
    expect(text).toMatch(/overseer_scorer_prediction_cache_profiles 1/);
    expect(text).toMatch(/overseer_scorer_prediction_cache_bytes 16384/);
  });
});
