// scorer-svc over real gRPC on 127.0.0.1, fed by a real regime-svc: ingest, score, filter,
// explain, placements, queries, invalid requests, metrics.
import * as grpc from "@grpc/grpc-js";
import { rm } from "node:fs/promises";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import type { NodeState } from "../gen/overseer/v1/node_state.js";
import { Regime } from "../gen/overseer/v1/regime.js";
import { ScoreBasis, ScorerServiceClient, SoloProfile, type IngestNodeStatesResponse, type ScoreNodesResponse, type WorkloadSpec } from "../gen/overseer/v1/scorer_service.js";
import { makeBundleDir } from "../lib/bundle/testing/fixture-dir.js";
import { featureIndex } from "../lib/features/catalog.js";
import { startRegimeService, type RunningRegimeService } from "../lib/regime/regime-server.js";
import { createScorerClient, type ScorerClient } from "../lib/scorer/client.js";
import { startScorerService, type RunningScorerService } from "../lib/scorer/scorer-server.js";
import { nodeState } from "../lib/scorer/testing/node-states.js";
import { regimeConfig, scorerConfig, waitFor } from "../lib/scorer/testing/service-configs.js";

function ingest(c: ScorerServiceClient, states: (NodeState | undefined)[]): Promise<IngestNodeStatesResponse> {
  return new Promise((resolve, reject) => {
    const stream = c.ingestNodeStates((e, r) => (e ? reject(e) : resolve(r)));
    for (const s of states) stream.write({ state: s, states: [] });
    stream.end();
  });
}

const upf: WorkloadSpec = { podNamespace: "cnf", podName: "upf-0", podUid: "uid-upf-0", workloadClass: "upf", maxSlowdown: 0 };
const BUSY = { mem_bandwidth_fraction_of_peak: 0.9, dram_bound_stall_fraction: 0.5, llc_misses_per_kilo_instr: 20 };

describe("scorer-svc with regime-svc", () => {
  let bundle: Awaited<ReturnType<typeof makeBundleDir>>;
  let regime: RunningRegimeService;
  let scorer: RunningScorerService;
  let raw: ScorerServiceClient;
  let client: ScorerClient;

  beforeAll(async () => {
    bundle = await makeBundleDir({ synthetic: true, nanOnNegativeFeature: featureIndex("tma_backend_bound_fraction") });
    regime = await startRegimeService(regimeConfig(bundle.dir));
    scorer = await startScorerService(scorerConfig(bundle.dir, `127.0.0.1:${regime.grpcPort}`));
    raw = new ScorerServiceClient(`127.0.0.1:${scorer.grpcPort}`, grpc.credentials.createInsecure());
    client = createScorerClient(`127.0.0.1:${scorer.grpcPort}`, { timeoutMs: 5000 });
    const r = await ingest(raw, [
      nodeState("quiet"),
      nodeState("busy", { features: BUSY }),
      nodeState("stale", { observedAt: new Date(Date.now() - 60_000) }),
      nodeState("blind", { absent: ["mem_bandwidth_fraction_of_peak", "dram_bound_stall_fraction"] }),
      nodeState("broken-model", { features: { tma_backend_bound_fraction: -1 } }),
      nodeState("twin-a"),
      nodeState("twin-b"),
    ]);
    expect(r).toEqual({ accepted: 7, ignored: 0, rejected: 0 });
    await waitFor(() => [...scorer.store.values()].every((n) => n.regime !== undefined && !n.regimeStale), "regimes from regime-svc");
  });
  afterAll(async () => {
    client?.close();
    raw?.close();
    await scorer?.stop();
    await regime?.stop();
    await rm(bundle.root, { recursive: true, force: true });
  });

  it("counts accepted, ignored (duplicate, out of order) and rejected (invalid) states of a stream", async () => {
    const bad = nodeState("x");
    bad.features!.values[0] = NaN;
    const r = await ingest(raw, [nodeState("seq", { sequence: 5 }), nodeState("seq", { sequence: 5 }), nodeState("seq", { sequence: 4 }), bad, nodeState(""), undefined]);
    expect(r).toEqual({ accepted: 1, ignored: 2, rejected: 3 });
  });

  it("scores every candidate in request order with the basis set", async () => {
    const names = ["quiet", "busy", "stale", "blind", "never-seen", "broken-model"];
    const r: ScoreNodesResponse = await client.scoreNodes({ workload: upf, nodeNames: names });
    expect(r.scores.map((s) => s.nodeName)).toEqual(names);
    expect(r.modelVersion).toBe("v1-testfixture-1");
    const by = Object.fromEntries(r.scores.map((s) => [s.nodeName, s]));
    expect(by.quiet!.basis).toBe(ScoreBasis.SCORE_BASIS_MODEL);
    expect(by.busy!.basis).toBe(ScoreBasis.SCORE_BASIS_MODEL);
    expect(by.quiet!.score).toBeGreaterThan(by.busy!.score);
    expect(by.busy!.slowdownUpperBound).toBeGreaterThan(by.quiet!.slowdownUpperBound);
    expect(by.quiet!.slowdownUpperBound).toBeGreaterThanOrEqual(by.quiet!.predictedSlowdown);
    expect(by.quiet!.regime).not.toBe(Regime.REGIME_UNSPECIFIED);
    expect(by.stale).toMatchObject({ score: 0, basis: ScoreBasis.SCORE_BASIS_STALE_WORST_CASE });
    expect(by.blind).toMatchObject({ score: 0, basis: ScoreBasis.SCORE_BASIS_ABSENT_FEATURES_WORST_CASE });
    expect(by["never-seen"]).toMatchObject({ score: 0, basis: ScoreBasis.SCORE_BASIS_UNKNOWN_NODE_WORST_CASE });
    expect(by["broken-model"]).toMatchObject({ score: 0, basis: ScoreBasis.SCORE_BASIS_MODEL_ERROR_WORST_CASE });
  });

  it("with scores_only answers one packed score per candidate, equal to the full answer's scores", async () => {
    const names = ["quiet", "busy", "stale", "blind", "never-seen", "broken-model", "quiet"];
    const full = await client.scoreNodes({ workload: upf, nodeNames: names, scoresOnly: false });
    const packed = await client.scoreNodes({ workload: upf, nodeNames: names, scoresOnly: true });
    expect(packed.scores).toEqual([]);
    expect(packed.modelVersion).toBe(full.modelVersion);
    expect([...packed.packedScores]).toEqual(full.scores.map((s) => s.score));
    expect(full.packedScores.length).toBe(0);
    // the extender's client (fast codecs) reads the same answer
    const { createGrpcScorerBackend } = await import("../lib/extender/scorer-backend.js");
    const backend = createGrpcScorerBackend({ address: `127.0.0.1:${scorer.grpcPort}` });
    try {
      const viaBackend = await backend.scoreNodes({ workload: upf, nodeNames: names, scoresOnly: true }, 5000);
      expect([...viaBackend.packedScores]).toEqual([...packed.packedScores]);
      expect(await backend.scoreNodes({ workload: upf, nodeNames: names, scoresOnly: false }, 5000)).toEqual(full);
      // the extender's default client (the lean h2 one, --scorer-transport h2) reads the same answers
      const { createH2ScorerBackend } = await import("../lib/extender/h2-scorer-backend.js");
      const h2 = createH2ScorerBackend({ address: `127.0.0.1:${scorer.grpcPort}` });
      try {
        expect([...(await h2.scoreNodes({ workload: upf, nodeNames: names, scoresOnly: true }, 5000)).packedScores]).toEqual([...packed.packedScores]);
        expect(await h2.scoreNodes({ workload: upf, nodeNames: names, scoresOnly: false }, 5000)).toEqual(full);
        const filterReq = { workload: { ...upf, maxSlowdown: 1.0001 }, nodeNames: names };
        expect(await h2.filterNodes(filterReq, 5000)).toEqual(await backend.filterNodes(filterReq, 5000));
      } finally {
        h2.close();
      }
    } finally {
      backend.close();
    }
  });

  it("gives identical nodes identical scores", async () => {
    const r = await client.scoreNodes({ workload: upf, nodeNames: ["twin-a", "twin-b", "quiet"] });
    expect(new Set(r.scores.map((s) => s.score)).size).toBe(1);
    expect(r.scores[0]!.slowdownUpperBound).toBe(r.scores[1]!.slowdownUpperBound);
  });

  it("filters only model-bounded nodes above the limit; unknown and stale nodes stay", async () => {
    const names = ["quiet", "busy", "stale", "never-seen", "blind"];
    const scores = await client.scoreNodes({ workload: upf, nodeNames: names });
    const busyBound = scores.scores[1]!.slowdownUpperBound;
    const limit = (busyBound + scores.scores[0]!.slowdownUpperBound) / 2;
    const f = await client.filterNodes({ workload: { ...upf, maxSlowdown: limit }, nodeNames: names });
    expect(f.feasibleNodeNames).toEqual(["quiet", "stale", "never-seen", "blind"]);
    expect(f.filtered).toHaveLength(1);
    expect(f.filtered[0]!.nodeName).toBe("busy");
    expect(f.filtered[0]!.reason).toMatch(/exceeds the workload's limit/);
    const none = await client.filterNodes({ workload: upf, nodeNames: names });
    expect(none.feasibleNodeNames).toEqual(names);
  });

  it("explains inputs, regime, bound, staleness and profile source", async () => {
    const r = await client.explainScores({ workload: upf, nodeNames: ["quiet", "stale", "never-seen"] });
    const [q, s, u] = r.explanations;
    expect(q!.profileSource).toBe("bundle");
    expect(q!.profile!.cores).toBe(4);
    expect(q!.features!.values.length).toBe(17);
    expect(q!.stale).toBe(false);
    expect(q!.summary).toMatch(/conservative bound .*regime REGIME_/);
    expect(s!.stale).toBe(true);
    expect(s!.stateAge!.seconds).toBeGreaterThanOrEqual(59);
    expect(s!.summary).toMatch(/beyond the freshness bound of 10\.0s/);
    expect(u!.features).toBeUndefined();
    expect(u!.summary).toMatch(/no NodeState was ever received/);

    const unknown = await client.explainScores({ workload: { ...upf, workloadClass: "mystery" }, nodeNames: ["quiet"] });
    expect(unknown.explanations[0]!.profileSource).toBe("default");
    expect(unknown.explanations[0]!.summary).toMatch(/profile stream-noisy \(default\)/);
    const own = await client.explainScores({ workload: { ...upf, soloProfile: { cores: 1, instructionsPerSec: 1e9, llcWorkingSetBytes: 1e6, memReadBytesPerSec: 1e8, memWriteBytesPerSec: 1e8, llcMissesPerKiloInstr: 0.1, tmaRetiringFraction: 0.7, tmaBackendBoundFraction: 0.1, tmaMemoryBoundFraction: 0.05, l2MissesPerKiloInstr: 2, l3BoundStallFraction: 0.03, dramBoundStallFraction: 0.02, llcHitRatioAtQuarterWorkingSet: 0 } }, nodeNames: ["quiet"] });
    expect(own.explanations[0]!.profileSource).toBe("pod");
  });

  it("an unknown workload is scored with the conservative default, never better than its class", async () => {
    const known = await client.scoreNodes({ workload: upf, nodeNames: ["busy"] });
    const unknown = await client.scoreNodes({ workload: { ...upf, workloadClass: "" }, nodeNames: ["busy"] });
    expect(unknown.scores[0]!.slowdownUpperBound).toBeGreaterThanOrEqual(known.scores[0]!.slowdownUpperBound);
  });

  it("charges a just-placed pod until a newer state shows it as resident", async () => {
    const before = await client.explainScores({ workload: upf, nodeNames: ["twin-a"] });
    await client.reportPlacement({ workload: { podNamespace: "noise", podName: "stream-1", podUid: "uid-s1", workloadClass: "stream-noisy", maxSlowdown: 0 }, nodeName: "twin-a", placedAt: new Date() });
    const during = await client.explainScores({ workload: upf, nodeNames: ["twin-a"] });
    expect(during.explanations[0]!.recentPlacements).toBe(1);
    expect(during.explanations[0]!.score!.slowdownUpperBound).toBeGreaterThan(before.explanations[0]!.score!.slowdownUpperBound);
    expect(during.explanations[0]!.summary).toMatch(/1 recent placement/);
    // A second placement of a smaller pod does not add on top (worst case, not sum).
    await client.reportPlacement({ workload: { podNamespace: "cnf", podName: "fw-1", podUid: "uid-fw1", workloadClass: "firewall", maxSlowdown: 0 }, nodeName: "twin-a" });
    const two = await client.explainScores({ workload: upf, nodeNames: ["twin-a"] });
    expect(two.explanations[0]!.recentPlacements).toBe(2);
    expect(two.explanations[0]!.score!.slowdownUpperBound).toBeCloseTo(during.explanations[0]!.score!.slowdownUpperBound, 6);
    await ingest(raw, [nodeState("twin-a", { sequence: 2, residents: [{ podNamespace: "noise", podName: "stream-1", podUid: "uid-s1" }, { podNamespace: "cnf", podName: "fw-1" }] })]);
    const after = await client.explainScores({ workload: upf, nodeNames: ["twin-a"] });
    expect(after.explanations[0]!.recentPlacements).toBe(0);
  });

  it.each([
    ["a missing workload", { nodeNames: ["quiet"] }, /workload is required/],
    ["max_slowdown below 1", { workload: { ...upf, maxSlowdown: 0.5 }, nodeNames: ["quiet"] }, /workload\.max_slowdown is 0\.5/],
    ["NaN max_slowdown", { workload: { ...upf, maxSlowdown: NaN }, nodeNames: ["quiet"] }, /workload\.max_slowdown is NaN/],
    ["too many candidates", { workload: upf, nodeNames: Array.from({ length: 101 }, (_, i) => `n${i}`) }, /node_names has 101 entries, the limit is 100/],
    ["an empty node name", { workload: upf, nodeNames: ["quiet", ""] }, /node_names\[1\] is empty/],
    ["a negative solo profile value", { workload: { ...upf, soloProfile: SoloProfile.fromPartial({ cores: -1, instructionsPerSec: 1 }) }, nodeNames: ["quiet"] }, /workload\.solo_profile\.cores is -1/],
  ])("rejects %s with INVALID_ARGUMENT", async (_n, req, message) => {
    const err = (await client.scoreNodes(req as never).catch((e) => e)) as grpc.ServiceError;
    expect(err.code).toBe(grpc.status.INVALID_ARGUMENT);
    expect(err.details).toMatch(message);
  });

  it("lists and gets node states with their regimes", async () => {
    const all = await new Promise<any>((res, rej) => raw.listNodeStates({ freshOnly: false }, (e, r) => (e ? rej(e) : res(r))));
    const fresh = await new Promise<any>((res, rej) => raw.listNodeStates({ freshOnly: true }, (e, r) => (e ? rej(e) : res(r))));
    expect(all.nodes.map((n: any) => n.state.nodeName)).toContain("stale");
    expect(fresh.nodes.map((n: any) => n.state.nodeName)).not.toContain("stale");
    const one = await new Promise<any>((res, rej) => raw.getNodeState({ nodeName: "quiet" }, (e, r) => (e ? rej(e) : res(r))));
    expect(one.node.state.regime.regime).not.toBe(Regime.REGIME_UNSPECIFIED);
    // The assessment as regime-svc gave it: every regime of the model with its probability.
    const probs = one.node.state.regime.probabilities as { regime: number; probability: number }[];
    expect(probs.length).toBeGreaterThan(1);
    expect(probs.reduce((sum, p) => sum + p.probability, 0)).toBeCloseTo(1, 4);
    expect(probs.find((p) => p.regime === one.node.state.regime.regime)!.probability).toBeCloseTo(one.node.state.regime.confidence, 6);
    expect(one.node.state.regime.classifiedAt).toBeDefined();
    expect(one.node.stale).toBe(false);
    const err = await new Promise<any>((res) => raw.getNodeState({ nodeName: "nope" }, (e) => res(e)));
    expect(err.code).toBe(grpc.status.NOT_FOUND);
  });

  it("exports worst-case counts, batch sizes and the loaded model version", async () => {
    const text = await (await fetch(`http://127.0.0.1:${scorer.metricsPort}/metrics`)).text();
    expect(text).toMatch(/overseer_scorer_worst_case_scores_total\{basis="SCORE_BASIS_STALE_WORST_CASE"\} [1-9]/);
    expect(text).toMatch(/overseer_scorer_worst_case_scores_total\{basis="SCORE_BASIS_MODEL_ERROR_WORST_CASE"\} [1-9]/);
    expect(text).toMatch(/overseer_scorer_stale_nodes 1/);
    expect(text).toMatch(/overseer_scorer_model_loaded\{version="v1-testfixture-1"\} 1/);
    expect(text).toMatch(/overseer_scorer_regime_batch_size_count [1-9]/);
    expect(text).toMatch(/overseer_scorer_ingested_states_total\{source="grpc",outcome="ignored"\} 2/);
    expect(text).toMatch(/overseer_scorer_request_duration_seconds_count\{method="ScoreNodes",code="OK"\} [1-9]/);
    expect(text).toMatch(/^overseer_scorer_buffer_gcs_total \d+$/m);
    expect(text).toMatch(/^overseer_scorer_buffer_gc_seconds_total [\d.e-]+$/m);
  });
});

describe("scorer-svc when regime-svc goes down", () => {
  it("keeps scoring with cached regimes, marks them stale, and bounds never-classified nodes over every regime", async () => {
    const bundle = await makeBundleDir({ synthetic: true });
    const regime = await startRegimeService(regimeConfig(bundle.dir));
    const scorer = await startScorerService(scorerConfig(bundle.dir, `127.0.0.1:${regime.grpcPort}`));
    const raw = new ScorerServiceClient(`127.0.0.1:${scorer.grpcPort}`, grpc.credentials.createInsecure());
    const client = createScorerClient(`127.0.0.1:${scorer.grpcPort}`, { timeoutMs: 5000 });
    try {
      await ingest(raw, [nodeState("n1"), nodeState("n2", { features: BUSY })]);
      await waitFor(() => scorer.store.get("n1")?.regime !== undefined && scorer.store.get("n2")?.regime !== undefined, "first regimes");
      const cached = scorer.store.get("n1")!.regime!.regime;
      await regime.stop();
      await ingest(raw, [nodeState("n1", { sequence: 2 }), nodeState("n3")]);
      await waitFor(() => (scorer.registry.getSingleMetric("overseer_scorer_regime_classify_failures_total") as any).hashMap[""]?.value > 0, "a failed Classify");
      const r = await client.explainScores({ workload: upf, nodeNames: ["n1", "n2", "n3"] });
      const [e1, e2, e3] = r.explanations;
      expect(e1!.score!.basis).toBe(ScoreBasis.SCORE_BASIS_MODEL);
      expect(e1!.score!.regime).toBe(cached);
      expect(e1!.summary).toMatch(/STALE \(classified for an older state/);
      expect(e2!.summary).not.toMatch(/STALE/);
      expect(e3!.score!.basis).toBe(ScoreBasis.SCORE_BASIS_MODEL);
      expect(e3!.score!.regime).toBe(Regime.REGIME_UNSPECIFIED);
      expect(e3!.summary).toMatch(/worst over every regime/);
      // Never classified is bounded by the worst regime: no better than the same features classified.
      expect(e3!.score!.slowdownUpperBound).toBeGreaterThanOrEqual(e1!.score!.slowdownUpperBound);
      const text = await (await fetch(`http://127.0.0.1:${scorer.metricsPort}/metrics`)).text();
      expect(text).toMatch(/overseer_scorer_regime_service_up 0/);
      expect(text).toMatch(/overseer_scorer_regime_stale_nodes 2/);
    } finally {
      client.close();
      raw.close();
      await scorer.stop();
      await regime.stop().catch(() => undefined);
      await rm(bundle.root, { recursive: true, force: true });
    }
  });
});

describe("scorer-svc hot reload", () => {
  it("swaps bundles under concurrent ScoreNodes without a failed request and refuses a corrupt one", async () => {
    const { corruptBundle, setBundleVersion } = await import("../lib/bundle/testing/fixture-dir.js");
    const bundle = await makeBundleDir();
    const scorer = await startScorerService(scorerConfig(bundle.dir, ""));
    const raw = new ScorerServiceClient(`127.0.0.1:${scorer.grpcPort}`, grpc.credentials.createInsecure());
    const client = createScorerClient(`127.0.0.1:${scorer.grpcPort}`, { timeoutMs: 5000 });
    try {
      await ingest(raw, [nodeState("a"), nodeState("b", { features: BUSY })]);
      const workload = { ...upf, workloadClass: [...scorer.holder.current()!.manifest.workloadProfiles.keys()][0]! };
      let stop = false;
      let failures = 0;
      let done = 0;
      const seen = new Set<string>();
      const workers = Array.from({ length: 3 }, async () => {
        while (!stop) {
          try {
            const r = await client.scoreNodes({ workload, nodeNames: ["a", "b", "c"] });
            seen.add(r.modelVersion);
            if (r.scores[0]!.basis !== ScoreBasis.SCORE_BASIS_MODEL) failures++;
            done++;
          } catch {
            failures++;
          }
        }
      });
      for (const v of ["s-1", "s-2"]) {
        await setBundleVersion(bundle.dir, v);
        expect(await scorer.holder.checkNow()).toBe("loaded");
        const target = done + 6;
        await waitFor(() => done >= target || failures > 0, "requests after the swap");
      }
      await corruptBundle(bundle.dir);
      expect(await scorer.holder.checkNow()).toBe("refused");
      const target = done + 6;
      await waitFor(() => done >= target || failures > 0, "requests after the refusal");
      stop = true;
      await Promise.all(workers);
      expect(failures).toBe(0);
      expect(seen.has("s-2")).toBe(true);
      expect((await client.scoreNodes({ workload, nodeNames: ["a"] })).modelVersion).toBe("s-2");
      const text = await (await fetch(`http://127.0.0.1:${scorer.metricsPort}/metrics`)).text();
      expect(text).toMatch(/overseer_scorer_model_refusals_total\{reason="checksum_mismatch"\} 1/);
      expect(text).toMatch(/overseer_scorer_model_reloads_total 2/);
    } finally {
      client.close();
      raw.close();
      await scorer.stop();
      await rm(bundle.root, { recursive: true, force: true });
    }
  });
});
