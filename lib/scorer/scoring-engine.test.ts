// The engine's packed scores and bases agree with the per-node results built from the same run, for
// every kind of node (synthetic test bundle run inline, no network).
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { Regime } from "../../gen/overseer/v1/regime.js";
import { ScoreBasis, SoloProfile } from "../../gen/overseer/v1/scorer_service.js";
import { loadBundle, type ModelBundle } from "../bundle/load-bundle.js";
import { makeBundleDir } from "../bundle/testing/fixture-dir.js";
import { NodeStateStore } from "./node-state-store.js";
import { InputScratch } from "./input-scratch.js";
import { PredictionCache } from "./prediction-cache.js";
import { RecentPlacements } from "./recent-placements.js";
import { PlanScratch } from "./plan-scratch.js";
import { toScoreNodesResponse } from "./explain.js";
import { scoreCandidates } from "./scoring-engine.js";
import { nodeState } from "./testing/node-states.js";

const NOW = 2_000_000_000_000;
let bundle: ModelBundle;
beforeAll(async () => {
  bundle = await loadBundle((await makeBundleDir({ synthetic: true })).dir, { runner: "inline" });
});
afterAll(async () => bundle?.release());

/** A store with four fresh nodes a..d (memory bandwidth rising 0, 0.2, 0.4, 0.6), no placements, the usual params. */
function fourNodes() {
  const store = new NodeStateStore({ maxNodes: 100, now: () => NOW });
  const recent = new RecentPlacements({ settleMs: 30_000, maxPerNode: 16, now: () => NOW });
  const params = { freshnessMs: 10_000, worstSlowdown: 2 };
  const names = ["a", "b", "c", "d"];
  const fresh = new Date(NOW - 100);
  names.forEach((n, i) => store.upsert(nodeState(n, { observedAt: fresh, features: { mem_bandwidth_fraction_of_peak: 0.2 * i } })));
  return { store, recent, params, names };
}

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

  it("scores the same from a reused input buffer full of garbage (hypothesis, charged and plain rows all rewritten)", async () => {
    const { store, recent, params, names } = fourNodes();
    const probabilities = [{ regime: Regime.REGIME_MIXED, probability: 0.6 }, { regime: Regime.REGIME_CORE_BOUND, probability: 0.4 }];
    store.setRegime("a", 1, store.get("a")!.agentStartedAtMs, { regime: Regime.REGIME_MIXED, confidence: 0.6, probabilities, modelVersion: "v" });
    store.setRegime("b", 1, store.get("b")!.agentStartedAtMs, { regime: Regime.REGIME_MIXED, confidence: 0.6, probabilities, modelVersion: "v" });
    recent.add("b", { key: "ns/p", uid: "p", profile: SoloProfile.fromPartial({ cores: 4, memReadBytesPerSec: 50e9 }), placedAtMs: NOW - 10 });
    const workload = { podNamespace: "ns", podName: "x", podUid: "x", workloadClass: "firewall", maxSlowdown: 0 };
    const want = await scoreCandidates({ store, recent, params }, bundle, workload, names, NOW);
    const inputScratch = new InputScratch(1);
    const dirty = inputScratch.take(64 * bundle.interferenceWidth).fill(7.5);
    inputScratch.give(dirty);
    let lent: Float32Array | undefined;
    const spy: ModelBundle = { ...bundle, predict: async (input, rows, donate) => ((lent = input), bundle.predict(input, rows, donate)) };
    const got = await scoreCandidates({ store, recent, params, inputScratch }, spy, workload, names, NOW);
    expect(lent!.buffer).toBe(dirty.buffer); // the dirty buffer was reused
    expect(got.modelRows).toBe(want.modelRows);
    expect(got.results.map((r) => r.decision)).toEqual(want.results.map((r) => r.decision));
    expect(inputScratch.idle).toBe(1); // handed back
  });
});

describe("scoreCandidates: reused plan memory", () => {
  it("concurrent runs get their own lists, score as without the pool, and keep results read before release", async () => {
    const { store, recent, params, names } = fourNodes();
    for (const n of names) store.setRegime(n, 1, store.get(n)!.agentStartedAtMs, { regime: Regime.REGIME_QUIET, confidence: 1, probabilities: [{ regime: Regime.REGIME_QUIET, probability: 1 }], modelVersion: "v" });
    const workload = { podNamespace: "ns", podName: "x", podUid: "x", workloadClass: [...bundle.manifest.workloadProfiles.keys()][0]!, maxSlowdown: 0 };
    const want = await scoreCandidates({ store, recent, params }, bundle, workload, names, NOW);
    const planScratch = new PlanScratch();
    const ctx = { store, recent, params, planScratch };
    // Two runs in flight at once (different candidate lists), then a third reusing a list.
    const [one, two] = await Promise.all([scoreCandidates(ctx, bundle, workload, names, NOW), scoreCandidates(ctx, bundle, workload, ["d", "unknown", "a"], NOW)]);
    const oneResults = one.results;
    expect(oneResults.map((r) => r.decision)).toEqual(want.results.map((r) => r.decision));
    expect([...one.scores]).toEqual([...want.scores]);
    expect([...one.basis]).toEqual([...want.basis]);
    expect(two.results.map((r) => r.rec?.name)).toEqual(["d", undefined, "a"]);
    one.release();
    two.release();
    one.release(); // twice: given back once
    expect(planScratch.idleCount).toBe(2);
    // A reused (dirty) block scores exactly as fresh memory.
    const three = await scoreCandidates(ctx, bundle, workload, ["c", "a"], NOW);
    expect(planScratch.idleCount).toBe(1);
    expect(three.results.map((r) => r.rec?.name)).toEqual(["c", "a"]);
    const fresh3 = await scoreCandidates({ store, recent, params }, bundle, workload, ["c", "a"], NOW);
    expect([...three.scores]).toEqual([...fresh3.scores]);
    expect(three.results.map((r) => r.decision)).toEqual(fresh3.results.map((r) => r.decision));
    // The first run's results were built before its list went back: unchanged by the reuse.
    expect(oneResults.map((r) => r.rec?.name)).toEqual(names);
    three.release();
    expect(() => two.results).not.toThrow(); // built before release
    // An answer built before release keeps its scores when the released memory is reused at once.
    const five = await scoreCandidates(ctx, bundle, workload, ["d", "c", "b", "a"], NOW);
    const answer = toScoreNodesResponse(five, true);
    const sent = [...answer.packedScores!];
    five.release();
    const six = await scoreCandidates(ctx, bundle, workload, ["a", "a", "a", "a"], NOW);
    expect([...six.scores]).not.toEqual(sent);
    expect([...answer.packedScores!]).toEqual(sent);
    six.release();
    const four = await scoreCandidates(ctx, bundle, workload, names, NOW);
    four.release();
    expect(() => four.results).toThrow(/after release/);
  });
});

describe("InputScratch", () => {
  it("hands out the smallest idle buffer that fits, grows in powers of two, keeps the largest when full", () => {
    const s = new InputScratch(2);
    const a = s.take(1000);
    expect([a.length, a.buffer.byteLength]).toEqual([1000, 1024 * 4]);
    const b = s.take(5000);
    expect(b.buffer.byteLength).toBe(8192 * 4);
    s.give(a);
    s.give(b);
    s.give(b); // twice: kept once
    expect(s.idle).toBe(2);
    expect(s.take(900).buffer).toBe(a.buffer);
    s.give(s.take(20_000)); // b is too small: a new, larger buffer, kept beside b
    expect(s.idle).toBe(2);
    expect(s.take(8000).buffer).toBe(b.buffer);
  });

  it("ignores a detached (transferred, never handed back) buffer and undefined", () => {
    const s = new InputScratch();
    const a = s.take(10);
    structuredClone(a.buffer, { transfer: [a.buffer] });
    s.give(a);
    s.give(undefined);
    expect(s.idle).toBe(0);
  });

  it.each([[0], [1.5]])("refuses maxKept %s", (n) => expect(() => new InputScratch(n)).toThrow(/maxKept must be an integer >= 1/));
});

describe("scoreCandidates: a repeated (frozen) candidate list", () => {
  it("scores exactly as the same names in a fresh array, across newer states, added and deleted nodes (slots reused)", async () => {
    const store = new NodeStateStore({ maxNodes: 100, now: () => NOW });
    const recent = new RecentPlacements({ settleMs: 30_000, maxPerNode: 16, now: () => NOW });
    const ctx = { store, recent, params: { freshnessMs: 10_000, worstSlowdown: 2 } };
    const fresh = new Date(NOW - 100);
    const workload = { podNamespace: "ns", podName: "p", podUid: "u", workloadClass: [...bundle.manifest.workloadProfiles.keys()][0]!, maxSlowdown: 0 };
    const add = (name: string, sequence: number, bw: number) => {
      store.upsert(nodeState(name, { sequence, observedAt: fresh, features: { mem_bandwidth_fraction_of_peak: bw } }));
      store.setRegime(name, sequence, store.get(name)!.agentStartedAtMs, { regime: Regime.REGIME_QUIET, confidence: 1, probabilities: [{ regime: Regime.REGIME_QUIET, probability: 1 }], modelVersion: "v" });
    };
    const names = Object.freeze(Array.from({ length: 70 }, (_, i) => `n${i}`)) as string[];
    for (let i = 0; i < 60; i++) add(`n${i}`, 1, (i % 10) / 10); // n60..n69 unknown at first
    const same = async () => {
      const viaSlots = await scoreCandidates(ctx, bundle, workload, names, NOW);
      const viaNames = await scoreCandidates(ctx, bundle, workload, [...names], NOW);
      expect([...viaSlots.scores]).toEqual([...viaNames.scores]);
      expect([...viaSlots.basis]).toEqual([...viaNames.basis]);
      return viaSlots;
    };
    const first = await same();
    expect(first.basis[65]).toBe(ScoreBasis.SCORE_BASIS_UNKNOWN_NODE_WORST_CASE);
    const slots = store.slotsOf(names)!;
    expect(store.slotsOf(names)).toBe(slots); // kept while no node comes or goes
    add("n3", 2, 0.95); // a newer state: same slot, the new record is read
    expect(store.slotsOf(names)).toBe(slots);
    const busier = await same();
    expect(busier.scores[3]).toBeLessThan(first.scores[3]!);
    store.delete("n5");
    add("n65", 1, 0.9); // takes n5's slot: n5 must now be unknown, n65 known
    expect(store.slotsOf(names)).not.toBe(slots);
    const moved = await same();
    expect(moved.basis[5]).toBe(ScoreBasis.SCORE_BASIS_UNKNOWN_NODE_WORST_CASE);
    expect(moved.basis[65]).toBe(ScoreBasis.SCORE_BASIS_MODEL);
    expect(store.slotsOf([...names])).toBeUndefined(); // a list that is not frozen: looked up by name
  });
});
