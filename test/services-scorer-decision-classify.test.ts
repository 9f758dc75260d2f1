// Decision-time regime classification over real gRPC: scorer-svc classifies a call's pending
// candidates itself (real regime-svc), and a regime-svc that does not answer costs the call only
// its short deadline: the call is answered with cached regimes / regime hypotheses.
import * as grpc from "@grpc/grpc-js";
import { rm } from "node:fs/promises";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import type { NodeState } from "../gen/overseer/v1/node_state.js";
import { Regime } from "../gen/overseer/v1/regime.js";
import { RegimeServiceService } from "../gen/overseer/v1/regime_service.js";
import { ScoreBasis, ScorerServiceClient, type WorkloadSpec } from "../gen/overseer/v1/scorer_service.js";
import { makeBundleDir } from "../lib/bundle/testing/fixture-dir.js";
import { startRegimeService, type RunningRegimeService } from "../lib/regime/regime-server.js";
import { createScorerClient, type ScorerClient } from "../lib/scorer/client.js";
import { startScorerService, type RunningScorerService } from "../lib/scorer/scorer-server.js";
import { nodeState } from "../lib/scorer/testing/node-states.js";
import { regimeConfig, scorerConfig, waitFor } from "../lib/scorer/testing/service-configs.js";

const upf: WorkloadSpec = { podNamespace: "cnf", podName: "upf-0", podUid: "uid-upf-0", workloadClass: "upf", maxSlowdown: 0 };
const BUSY = { mem_bandwidth_fraction_of_peak: 0.9, dram_bound_stall_fraction: 0.5, llc_misses_per_kilo_instr: 20 };
/** The background batcher never flushes on its own in these tests: only decisions classify. */
const NO_BACKGROUND_FLUSH_MS = 600_000;

function ingest(address: string, states: NodeState[]): Promise<void> {
  const c = new ScorerServiceClient(address, grpc.credentials.createInsecure());
  return new Promise<void>((resolve, reject) => {
    const stream = c.ingestNodeStates((e) => (c.close(), e ? reject(e) : resolve()));
    for (const s of states) stream.write({ state: s, states: [] });
    stream.end();
  });
}

async function metricsText(s: RunningScorerService): Promise<string> {
  return (await fetch(`http://127.0.0.1:${s.metricsPort}/metrics`)).text();
}

describe("decision-time classification with a real regime-svc", () => {
  let bundle: Awaited<ReturnType<typeof makeBundleDir>>;
  let regime: RunningRegimeService;
  let scorer: RunningScorerService;
  let client: ScorerClient;

  beforeAll(async () => {
    bundle = await makeBundleDir({ synthetic: true });
    regime = await startRegimeService(regimeConfig(bundle.dir));
    scorer = await startScorerService({ ...scorerConfig(bundle.dir, `127.0.0.1:${regime.grpcPort}`), regimeFlush: NO_BACKGROUND_FLUSH_MS });
    client = createScorerClient(`127.0.0.1:${scorer.grpcPort}`, { timeoutMs: 5000 });
    await ingest(`127.0.0.1:${scorer.grpcPort}`, [nodeState("quiet"), nodeState("busy", { features: BUSY }), nodeState("bystander")]);
  });
  afterAll(async () => {
    client?.close();
    await scorer?.stop();
    await regime?.stop();
    await rm(bundle.root, { recursive: true, force: true });
  });

  it("a call classifies its pending candidates before scoring: fresh regimes, not the worst over every regime", async () => {
    expect(scorer.store.pendingCount).toBe(3);
    const r = await client.explainScores({ workload: upf, nodeNames: ["quiet", "busy"] });
    for (const e of r.explanations) {
      expect(e.score!.basis).toBe(ScoreBasis.SCORE_BASIS_MODEL);
      expect(e.score!.regime).not.toBe(Regime.REGIME_UNSPECIFIED);
      expect(e.summary).not.toMatch(/STALE|worst over every regime/);
    }
    expect(scorer.store.isPending("quiet") || scorer.store.isPending("busy")).toBe(false);
    expect(scorer.store.isPending("bystander")).toBe(true); // not a candidate: the background batcher's
    const text = await metricsText(scorer);
    expect(text).toMatch(/overseer_scorer_decision_classify_calls_total\{outcome="ok"\} 1/);
    expect(text).toMatch(/overseer_scorer_decision_classified_nodes_total 2/);
    expect(text).toMatch(/overseer_scorer_regime_service_up 1/);
    expect(text).toMatch(/overseer_scorer_node_regime\{node="quiet",regime="(?!unclassified)[a-z_]+"\} 1/);
    expect(text).toMatch(/overseer_scorer_node_regime\{node="bystander",regime="unclassified"\} 1/);
  });

  it("the next call finds nothing pending and uses the cached regimes", async () => {
    await client.scoreNodes({ workload: upf, nodeNames: ["quiet", "busy"] });
    expect(await metricsText(scorer)).toMatch(/overseer_scorer_decision_classify_calls_total\{outcome="none"\} 1/);
  });

  it("a new state of a candidate is classified by the next call that scores it", async () => {
    await ingest(`127.0.0.1:${scorer.grpcPort}`, [nodeState("quiet", { sequence: 2, features: BUSY })]);
    expect(scorer.store.get("quiet")!.regimeStale).toBe(true);
    await client.filterNodes({ workload: { ...upf, maxSlowdown: 1.5 }, nodeNames: ["quiet", "busy"] });
    expect(scorer.store.get("quiet")).toMatchObject({ regimeStale: false, regimeOf: { sequence: 2 } });
  });
});

describe("decision-time classification when regime-svc does not answer", () => {
  it("the call waits only --decision-classify-timeout, then scores with regime hypotheses and requeues", async () => {
    const bundle = await makeBundleDir({ synthetic: true });
    // A RegimeService that accepts calls and never answers (a hung regime-svc).
    const hung = new grpc.Server();
    let received = 0;
    hung.addService(RegimeServiceService, { classify: () => void received++, info: () => undefined });
    const port = await new Promise<number>((res, rej) => hung.bindAsync("127.0.0.1:0", grpc.ServerCredentials.createInsecure(), (e, p) => (e ? rej(e) : res(p))));
    const scorer = await startScorerService({ ...scorerConfig(bundle.dir, `127.0.0.1:${port}`), regimeTimeout: 60_000, regimeFlush: NO_BACKGROUND_FLUSH_MS, decisionClassifyTimeout: 100 });
    const client = createScorerClient(`127.0.0.1:${scorer.grpcPort}`, { timeoutMs: 30_000 });
    try {
      await ingest(`127.0.0.1:${scorer.grpcPort}`, [nodeState("n1")]);
      const r = await client.explainScores({ workload: upf, nodeNames: ["n1"] });
      const e = r.explanations[0]!;
      expect(received).toBe(1);
      expect(e.score!.basis).toBe(ScoreBasis.SCORE_BASIS_MODEL);
      expect(e.score!.regime).toBe(Regime.REGIME_UNSPECIFIED);
      expect(e.summary).toMatch(/regime never classified: bound is the worst over every regime/);
      expect(scorer.store.isPending("n1")).toBe(true);
      const text = await metricsText(scorer);
      expect(text).toMatch(/overseer_scorer_decision_classify_calls_total\{outcome="timeout"\} 1/);
      expect(text).toMatch(/overseer_scorer_regime_service_up 0/);
      // In the cool-down the next call does not wait for regime-svc again.
      await client.scoreNodes({ workload: upf, nodeNames: ["n1"] });
      expect(received).toBe(1);
      expect(await metricsText(scorer)).toMatch(/overseer_scorer_decision_classify_calls_total\{outcome="cooldown"\} 1/);
    } finally {
      client.close();
      await scorer.stop();
      hung.forceShutdown();
      await rm(bundle.root, { recursive: true, force: true });
    }
  });
});

describe("decision-time classification spaced by --decision-classify-interval (real regime-svc)", () => {
  it("frequent decisions score cached regimes (marked stale), have the queue classified in the background, and call regime-svc only for a never-classified candidate", async () => {
    const bundle = await makeBundleDir({ synthetic: true });
    const regime = await startRegimeService(regimeConfig(bundle.dir));
    const scorer = await startScorerService({ ...scorerConfig(bundle.dir, `127.0.0.1:${regime.grpcPort}`), regimeFlush: NO_BACKGROUND_FLUSH_MS, decisionClassifyInterval: 600_000 });
    const address = `127.0.0.1:${scorer.grpcPort}`;
    const client = createScorerClient(address, { timeoutMs: 5000 });
    try {
      await ingest(address, [nodeState("a"), nodeState("b")]);
      await client.scoreNodes({ workload: upf, nodeNames: ["a", "b"] });
      expect(scorer.store.get("a")).toMatchObject({ regimeStale: false, regimeOf: { sequence: 1 } });

      await ingest(address, [nodeState("a", { sequence: 2, features: BUSY })]);
      const r = await client.explainScores({ workload: upf, nodeNames: ["a", "b"] });
      const [a, b] = r.explanations;
      expect(a!.summary).toMatch(/STALE/); // scored with the regime of sequence 1, without waiting for regime-svc
      expect(a!.score!.regime).not.toBe(Regime.REGIME_UNSPECIFIED);
      expect(b!.summary).not.toMatch(/STALE/);
      expect(await metricsText(scorer)).toMatch(/overseer_scorer_decision_classify_calls_total\{outcome="throttled"\} 1/);
      // The decision asked the background batcher to classify the queue (its own flush timer is 10 minutes away).
      await waitFor(() => scorer.store.get("a")!.regimeOf?.sequence === 2 && !scorer.store.get("a")!.regimeStale, "the background flush a frequent decision asked for");
      expect(scorer.store.isPending("a")).toBe(false);
      expect(await metricsText(scorer)).toMatch(/overseer_scorer_decision_classified_nodes_total 2/); // only the first decision's

      // A never-classified candidate is classified inline even inside the interval; the pending
      // candidate with a cached regime rides along in the same call.
      await ingest(address, [nodeState("a", { sequence: 3 }), nodeState("fresh")]);
      const r2 = await client.explainScores({ workload: upf, nodeNames: ["a", "fresh"] });
      for (const e of r2.explanations) expect(e.summary).not.toMatch(/STALE|worst over every regime/);
      expect(scorer.store.isPending("a") || scorer.store.isPending("fresh")).toBe(false);
      expect(scorer.store.get("a")).toMatchObject({ regimeStale: false, regimeOf: { sequence: 3 } });
      const text = await metricsText(scorer);
      expect(text).toMatch(/overseer_scorer_decision_classify_calls_total\{outcome="ok"\} 2/);
      expect(text).toMatch(/overseer_scorer_decision_classified_nodes_total 4/);
    } finally {
      client.close();
      await scorer.stop();
      await regime.stop();
      await rm(bundle.root, { recursive: true, force: true });
    }
  });
});
