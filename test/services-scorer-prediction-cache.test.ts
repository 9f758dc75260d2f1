// The prediction cache through a real scorer-svc over gRPC (ephemeral port, regime classification
// replaced by a function): repeats are served from the cache and counted, a new state misses, a
// bundle hot swap drops everything, and --prediction-cache-profiles 0 turns it off.
import * as grpc from "@grpc/grpc-js";
import { rm } from "node:fs/promises";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { Regime } from "../gen/overseer/v1/regime.js";
import { ScorerServiceClient, type ScoreNodesResponse, type WorkloadSpec } from "../gen/overseer/v1/scorer_service.js";
import { makeBundleDir } from "../lib/bundle/testing/fixture-dir.js";
import { writeTestBundle } from "../lib/bundle/testing/make-test-bundle.js";
import type { ClassifyFn } from "../lib/scorer/regime-batcher.js";
import { startScorerService, type RunningScorerService } from "../lib/scorer/scorer-server.js";
import { nodeState } from "../lib/scorer/testing/node-states.js";
import { scorerConfig, waitFor } from "../lib/scorer/testing/service-configs.js";

const classify: ClassifyFn = async (vectors) => {
  const a = { regime: Regime.REGIME_QUIET, confidence: 0.8, probabilities: [{ regime: Regime.REGIME_QUIET, probability: 0.8 }, { regime: Regime.REGIME_MIXED, probability: 0.2 }], modelVersion: "fake", classifiedAt: new Date() };
  return { assessments: vectors.map(() => a), modelVersion: "fake" };
};
const NODES = ["c-a", "c-b", "c-c"];
const workload: WorkloadSpec = { podNamespace: "ns", podName: "p", podUid: "u", workloadClass: "upf", maxSlowdown: 0 };

async function start(dir: string, predictionCacheProfiles?: number) {
  const scorer = await startScorerService({ ...scorerConfig(dir, ""), classify, predictionCacheProfiles });
  const client = new ScorerServiceClient(`127.0.0.1:${scorer.grpcPort}`, grpc.credentials.createInsecure());
  const ingest = (seq: number, names = NODES) =>
    new Promise<void>((resolve, reject) => {
      const s = client.ingestNodeStates((e) => (e ? reject(e) : resolve()));
      s.write({ state: undefined, states: names.map((n, i) => nodeState(n, { sequence: seq, features: { mem_bandwidth_fraction_of_peak: 0.2 + 0.3 * i + 0.01 * seq } })) });
      s.end();
    });
  const score = () => new Promise<ScoreNodesResponse>((resolve, reject) => client.scoreNodes({ workload, nodeNames: NODES, scoresOnly: false }, (e, r) => (e ? reject(e) : resolve(r!))));
  const counters = async () => {
    const get = async (m: string) => (await scorer.registry.getSingleMetric(m)!.get()).values[0]?.value ?? 0;
    return { hits: await get("overseer_scorer_prediction_cache_hits_total"), misses: await get("overseer_scorer_prediction_cache_misses_total") };
  };
  const classified = () => NODES.every((n) => scorer.store.get(n)?.regime !== undefined && !scorer.store.get(n)!.regimeStale);
  return { scorer, client, ingest, score, counters, classified };
}

describe("scorer-svc prediction cache over gRPC", () => {
  let bundle: Awaited<ReturnType<typeof makeBundleDir>>;
  let svc: Awaited<ReturnType<typeof start>>;

  beforeAll(async () => {
    bundle = await makeBundleDir({ synthetic: true, version: "cache-v1" });
    svc = await start(bundle.dir);
  });
  afterAll(async () => {
    svc?.client.close();
    await svc?.scorer.stop();
    if (bundle) await rm(bundle.root, { recursive: true, force: true });
  });

  it("serves a repeated ScoreNodes from the cache with the same answer, and misses only for a node with a new state", async () => {
    await svc.ingest(1);
    await waitFor(svc.classified, "regimes of the candidates");
    const c0 = await svc.counters();
    const first = await svc.score();
    const second = await svc.score();
    const c1 = await svc.counters();
    expect([c1.misses - c0.misses, c1.hits - c0.hits]).toEqual([3, 3]);
    expect(second).toEqual(first);
    await svc.ingest(2, ["c-b"]);
    await waitFor(svc.classified, "regime of the new state");
    await svc.score();
    const c2 = await svc.counters();
    expect([c2.misses - c1.misses, c2.hits - c1.hits]).toEqual([1, 2]);
  });

  it("drops every cached output when a new bundle is loaded", async () => {
    await svc.score(); // everything cached
    const c0 = await svc.counters();
    await writeTestBundle(bundle.dir, { version: "cache-v2", slowdownScale: 3 });
    expect(await svc.scorer.holder.checkNow()).toBe("loaded");
    const r = await svc.score();
    const c1 = await svc.counters();
    expect(r.modelVersion).toBe("cache-v2");
    expect([c1.misses - c0.misses, c1.hits - c0.hits]).toEqual([3, 0]);
  });

  it("with --prediction-cache-profiles 0 every call runs the model and nothing is counted", async () => {
    const off = await start(bundle.dir, 0);
    try {
      await off.ingest(1);
      await waitFor(off.classified, "regimes");
      const a = await off.score();
      const b = await off.score();
      expect(b).toEqual(a);
      expect(await off.counters()).toEqual({ hits: 0, misses: 0 });
      const rows = (await off.scorer.registry.getSingleMetric("overseer_scorer_model_batch_rows")!.get()).values.find((v) => (v as { metricName?: string }).metricName?.endsWith("_sum"));
      expect(rows?.value).toBe(6);
    } finally {
      off.client.close();
      await off.scorer.stop();
    }
  });
});
