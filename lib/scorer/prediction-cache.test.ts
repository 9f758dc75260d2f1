// The prediction cache through the scoring engine, with the synthetic test bundle run inline (no
// network). The model is wrapped to count the rows it is asked for.
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { Regime, type RegimeAssessment } from "../../gen/overseer/v1/regime.js";
import { ScoreBasis, SoloProfile, type WorkloadSpec } from "../../gen/overseer/v1/scorer_service.js";
import { loadBundle, type InterferenceOutput, type ModelBundle } from "../bundle/load-bundle.js";
import { makeBundleDir } from "../bundle/testing/fixture-dir.js";
import { NodeStateStore } from "./node-state-store.js";
import { PredictionCache, PredictionTable, profileKey } from "./prediction-cache.js";
import { RecentPlacements } from "./recent-placements.js";
import { scoreCandidates, type ScoreRun, type ScoringContext } from "./scoring-engine.js";
import { nodeState } from "./testing/node-states.js";

const NOW = 2_000_000_000_000;
const params = { freshnessMs: 10_000, worstSlowdown: 2 };
let bundleA: ModelBundle;
let bundleB: ModelBundle;

beforeAll(async () => {
  bundleA = await loadBundle((await makeBundleDir({ synthetic: true, version: "a" })).dir, { runner: "inline" });
  bundleB = await loadBundle((await makeBundleDir({ synthetic: true, version: "b", slowdownScale: 3 })).dir, { runner: "inline" });
});
afterAll(async () => {
  await bundleA?.release();
  await bundleB?.release();
});

const assess = (regime: Regime, p: number): RegimeAssessment => ({
  regime,
  confidence: p,
  probabilities: [{ regime, probability: p }, { regime: regime === Regime.REGIME_QUIET ? Regime.REGIME_MIXED : Regime.REGIME_QUIET, probability: 1 - p }],
  modelVersion: "v",
  classifiedAt: new Date(NOW),
});

/** A model wrapper that counts predict calls and rows, and can poison the next answer with NaN. */
function counting(b: ModelBundle) {
  const calls: number[] = [];
  let nanNext = false;
  const model: ModelBundle = {
    ...b,
    async predict(input, rows, donate): Promise<InterferenceOutput> {
      calls.push(rows);
      const out = await b.predict(input, rows, donate);
      if (nanNext) {
        nanNext = false;
        return { slowdown: out.slowdown.map(() => NaN), upper: out.upper.map(() => NaN) };
      }
      return out;
    },
  };
  return { model, calls, poisonNext: () => (nanNext = true) };
}

function setup(maxProfiles = 4) {
  const store = new NodeStateStore({ maxNodes: 100, now: () => NOW });
  const recent = new RecentPlacements({ settleMs: 30_000, maxPerNode: 16, now: () => NOW });
  const cache = new PredictionCache(maxProfiles);
  const ctx: ScoringContext = { store, recent, params, predictionCache: cache };
  const plain: ScoringContext = { store, recent, params };
  const add = (name: string, seq: number, bw: number, regime = assess(Regime.REGIME_QUIET, 0.9)) => {
    expect(store.upsert(nodeState(name, { sequence: seq, observedAt: new Date(NOW - 100), features: { mem_bandwidth_fraction_of_peak: bw } })).outcome).toBe("accepted");
    store.setRegime(name, seq, store.get(name)!.agentStartedAtMs, regime);
  };
  return { store, recent, cache, ctx, plain, add };
}

const workload = (workloadClass: string): WorkloadSpec => ({ podNamespace: "ns", podName: "p", podUid: "u", workloadClass, maxSlowdown: 0 });
const NAMES = ["n1", "n2", "n3"];
const decisions = (r: ScoreRun) => r.results.map((x) => x.decision);

describe("prediction cache in the scoring engine", () => {
  it("serves a repeated call from the cache, with the same decisions as the model", async () => {
    const { ctx, plain, add } = setup();
    NAMES.forEach((n, i) => add(n, 1, 0.1 + 0.3 * i));
    const m = counting(bundleA);
    const first = await scoreCandidates(ctx, m.model, workload("upf"), NAMES, NOW);
    expect([first.modelRows, first.cacheHits, first.cacheMisses]).toEqual([3, 0, 3]);
    const second = await scoreCandidates(ctx, m.model, workload("upf"), NAMES, NOW);
    expect([second.modelRows, second.cacheHits, second.cacheMisses]).toEqual([0, 3, 0]);
    expect(m.calls).toEqual([3]);
    const uncached = await scoreCandidates(plain, bundleA, workload("upf"), NAMES, NOW);
    expect(decisions(second)).toEqual(decisions(uncached));
    expect(second.results.every((r) => r.decision.basis === ScoreBasis.SCORE_BASIS_MODEL)).toBe(true);
  });

  it("misses for a node with a new state, and scores the new state", async () => {
    const { ctx, plain, add } = setup();
    NAMES.forEach((n) => add(n, 1, 0.1));
    const m = counting(bundleA);
    await scoreCandidates(ctx, m.model, workload("upf"), NAMES, NOW);
    add("n2", 2, 0.9);
    const r = await scoreCandidates(ctx, m.model, workload("upf"), NAMES, NOW);
    expect([r.modelRows, r.cacheHits, r.cacheMisses]).toEqual([1, 2, 1]);
    expect(decisions(r)).toEqual(decisions(await scoreCandidates(plain, bundleA, workload("upf"), NAMES, NOW)));
    expect(r.results[1]!.decision.upper).toBeGreaterThan(r.results[0]!.decision.upper);
  });

  it("misses for a node whose regime probabilities changed", async () => {
    const { ctx, store, add } = setup();
    NAMES.forEach((n) => add(n, 1, 0.5));
    const m = counting(bundleA);
    await scoreCandidates(ctx, m.model, workload("upf"), NAMES, NOW);
    store.setRegime("n3", 1, store.get("n3")!.agentStartedAtMs, assess(Regime.REGIME_MEMORY_BANDWIDTH_SATURATED, 0.8));
    const r = await scoreCandidates(ctx, m.model, workload("upf"), NAMES, NOW);
    expect([r.modelRows, r.cacheHits]).toEqual([1, 2]);
  });

  it("misses when a deleted node's slot is handed to another node with identical data", async () => {
    const { ctx, store, add } = setup();
    add("n1", 1, 0.5);
    const m = counting(bundleA);
    await scoreCandidates(ctx, m.model, workload("upf"), ["n1"], NOW);
    const slot = store.get("n1")!.slot;
    store.delete("n1");
    add("other", 1, 0.5);
    expect(store.get("other")!.slot).toBe(slot);
    const r = await scoreCandidates(ctx, m.model, workload("upf"), ["other"], NOW);
    expect([r.modelRows, r.cacheHits, r.cacheMisses]).toEqual([1, 0, 1]);
  });

  it("drops every output when another bundle is used (hot swap), and again when swapping back", async () => {
    const { ctx, plain, add } = setup();
    NAMES.forEach((n, i) => add(n, 1, 0.2 * (i + 1)));
    await scoreCandidates(ctx, bundleA, workload("upf"), NAMES, NOW);
    const onB = await scoreCandidates(ctx, bundleB, workload("upf"), NAMES, NOW);
    expect([onB.modelRows, onB.cacheHits]).toEqual([3, 0]);
    expect(decisions(onB)).toEqual(decisions(await scoreCandidates(plain, bundleB, workload("upf"), NAMES, NOW)));
    expect(decisions(onB)).not.toEqual(decisions(await scoreCandidates(plain, bundleA, workload("upf"), NAMES, NOW)));
    const backOnA = await scoreCandidates(ctx, bundleA, workload("upf"), NAMES, NOW);
    expect([backOnA.modelRows, backOnA.cacheHits]).toEqual([3, 0]);
  });

  it("keeps one table per profile: another workload misses, then both hit", async () => {
    const { ctx, cache, add } = setup();
    NAMES.forEach((n) => add(n, 1, 0.4));
    const m = counting(bundleA);
    await scoreCandidates(ctx, m.model, workload("upf"), NAMES, NOW);
    const fw = await scoreCandidates(ctx, m.model, workload("firewall"), NAMES, NOW);
    expect([fw.modelRows, fw.cacheHits]).toEqual([3, 0]);
    for (const w of ["upf", "firewall"]) expect((await scoreCandidates(ctx, m.model, workload(w), NAMES, NOW)).cacheHits).toBe(3);
    expect(cache.profiles).toBe(2);
  });

  it("keys a pod's own profile by its values: the same values hit, other values miss", async () => {
    const { ctx, add } = setup();
    NAMES.forEach((n) => add(n, 1, 0.4));
    const own = (reads: number): WorkloadSpec => ({ ...workload(""), soloProfile: SoloProfile.fromPartial({ cores: 2, instructionsPerSec: 1e9, llcWorkingSetBytes: 1e6, memReadBytesPerSec: reads, memWriteBytesPerSec: 1e9 }) });
    await scoreCandidates(ctx, bundleA, own(5e9), NAMES, NOW);
    expect((await scoreCandidates(ctx, bundleA, own(5e9), NAMES, NOW)).cacheHits).toBe(3);
    expect((await scoreCandidates(ctx, bundleA, own(6e9), NAMES, NOW)).cacheHits).toBe(0);
  });

  it("holds at most --prediction-cache-profiles profiles, dropping the least recently used", async () => {
    const { ctx, cache, add } = setup(2);
    NAMES.forEach((n) => add(n, 1, 0.4));
    for (const w of ["upf", "firewall", "upf", "stream-noisy"]) await scoreCandidates(ctx, bundleA, workload(w), NAMES, NOW);
    expect(cache.profiles).toBe(2);
    // firewall was the least recently used when stream-noisy came in.
    expect((await scoreCandidates(ctx, bundleA, workload("upf"), NAMES, NOW)).cacheHits).toBe(3);
    expect((await scoreCandidates(ctx, bundleA, workload("firewall"), NAMES, NOW)).cacheHits).toBe(0);
  });

  it("never serves a charged node (recent placement) from the cache: both its rows go to the model every call", async () => {
    const { ctx, recent, add } = setup();
    NAMES.forEach((n) => add(n, 1, 0.3));
    await scoreCandidates(ctx, bundleA, workload("upf"), NAMES, NOW);
    recent.add("n2", { key: "ns/new", uid: "new", profile: SoloProfile.fromPartial({ cores: 8, instructionsPerSec: 1e9, llcWorkingSetBytes: 1e8, memReadBytesPerSec: 100e9, memWriteBytesPerSec: 50e9 }), placedAtMs: NOW - 10 });
    for (let i = 0; i < 2; i++) {
      const r = await scoreCandidates(ctx, bundleA, workload("upf"), NAMES, NOW);
      expect([r.modelRows, r.cacheHits, r.cacheMisses]).toEqual([2, 2, 0]);
      expect(r.results[1]!.recentPlacements).toBe(1);
    }
  });

  it("never serves a never-classified node (one row per regime hypothesis) from the cache", async () => {
    const { ctx, store, add } = setup();
    add("n1", 1, 0.3);
    store.upsert(nodeState("fresh", { observedAt: new Date(NOW - 100) }));
    for (let i = 0; i < 2; i++) {
      const r = await scoreCandidates(ctx, bundleA, workload("upf"), ["n1", "fresh"], NOW);
      expect(r.modelRows - (i === 0 ? 1 : 0)).toBe(bundleA.regimeCount);
      expect(r.results[1]!.regimeHypotheses).toBe(true);
    }
  });

  it("does not cache NaN outputs: the node is a model error for that call and asks the model again next call", async () => {
    const { ctx, add } = setup();
    NAMES.forEach((n) => add(n, 1, 0.3));
    const m = counting(bundleA);
    m.poisonNext();
    const bad = await scoreCandidates(ctx, m.model, workload("upf"), NAMES, NOW);
    expect(bad.results.map((r) => r.decision.basis)).toEqual(NAMES.map(() => ScoreBasis.SCORE_BASIS_MODEL_ERROR_WORST_CASE));
    const again = await scoreCandidates(ctx, m.model, workload("upf"), NAMES, NOW);
    expect([again.modelRows, again.cacheHits]).toEqual([3, 0]);
    expect(again.results.every((r) => r.decision.basis === ScoreBasis.SCORE_BASIS_MODEL)).toBe(true);
    expect((await scoreCandidates(ctx, m.model, workload("upf"), NAMES, NOW)).cacheHits).toBe(3);
  });

  it("decides staleness at call time even for a node whose output is cached", async () => {
    const { ctx, add } = setup();
    NAMES.forEach((n) => add(n, 1, 0.3));
    await scoreCandidates(ctx, bundleA, workload("upf"), NAMES, NOW);
    const later = await scoreCandidates(ctx, bundleA, workload("upf"), NAMES, NOW + params.freshnessMs + 1);
    expect(later.results.map((r) => r.decision.basis)).toEqual(NAMES.map(() => ScoreBasis.SCORE_BASIS_STALE_WORST_CASE));
    expect([later.modelRows, later.cacheHits]).toEqual([0, 0]);
  });

  it("does not serve an output computed for a state replaced while the model ran", async () => {
    const { ctx, add } = setup();
    NAMES.forEach((n) => add(n, 1, 0.3));
    const pending = scoreCandidates(ctx, bundleA, workload("upf"), NAMES, NOW);
    add("n1", 2, 0.95); // arrives during the model run
    await pending;
    const r = await scoreCandidates(ctx, bundleA, workload("upf"), NAMES, NOW);
    expect([r.modelRows, r.cacheHits]).toEqual([1, 2]);
  });

  it("with 0 profiles (disabled) sends every node to the model and keeps nothing", async () => {
    const { ctx, cache, add } = setup(0);
    NAMES.forEach((n) => add(n, 1, 0.3));
    for (let i = 0; i < 2; i++) expect((await scoreCandidates(ctx, bundleA, workload("upf"), NAMES, NOW)).modelRows).toBe(3);
    expect([cache.enabled, cache.profiles]).toEqual([false, 0]);
  });
});

describe("PredictionCache", () => {
  it.each([[-1], [1.5], [NaN]])("refuses %s profiles", (n) => {
    expect(() => new PredictionCache(n)).toThrow(/maxProfiles must be an integer >= 0/);
  });

  it("keys profiles by their exact float32 values", () => {
    expect(profileKey(new Float32Array([1, 0.1, 3e9]))).toBe(profileKey(new Float32Array([1, 0.1, 3e9])));
    expect(profileKey(new Float32Array([1, 0.1]))).not.toBe(profileKey(new Float32Array([1, 0.10000001])));
  });

  it("grows a table for new slots, keeping what it held, and refuses non-finite outputs and unsized slots", () => {
    const t = new PredictionTable();
    t.ensure(3);
    expect(t.store(2, 7, 1.1, 1.2)).toBe(true);
    t.ensure(5000);
    expect([t.version[2], t.predicted[2]]).toEqual([7, Math.fround(1.1)]);
    expect(t.store(1, 8, NaN, 1)).toBe(false);
    expect(t.store(1, 8, 1, Infinity)).toBe(false);
    expect(t.store(t.version.length, 8, 1, 1)).toBe(false);
    expect(t.version[1]).toBe(0);
    expect(t.bytes).toBe(t.version.length * 16);
  });
});
