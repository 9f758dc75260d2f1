// The extender against the real scorer-svc (and a real regime-svc), all over gRPC on 127.0.0.1,
// with the synthetic test bundle: kube-scheduler-shaped requests in, scores and filter results
// that come from the interference model out.
import * as grpc from "@grpc/grpc-js";
import { rm } from "node:fs/promises";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { ScorerServiceClient, type ScoreNodesResponse } from "../gen/overseer/v1/scorer_service.js";
import { makeBundleDir } from "../lib/bundle/testing/fixture-dir.js";
import { startRegimeService, type RunningRegimeService } from "../lib/regime/regime-server.js";
import { startScorerService, type RunningScorerService } from "../lib/scorer/scorer-server.js";
import { nodeState } from "../lib/scorer/testing/node-states.js";
import { goldenPod, namesRequest, nodesRequest, post, startTestExtender, type TestExtender } from "./extender-fixtures.js";

const quiet = () => undefined;
const BUSY = { mem_bandwidth_fraction_of_peak: 0.9, dram_bound_stall_fraction: 0.5, llc_misses_per_kilo_instr: 20 };
const CANDIDATES = ["quiet", "busy", "stale", "never-seen"];

let bundle: Awaited<ReturnType<typeof makeBundleDir>>;
let regime: RunningRegimeService;
let scorer: RunningScorerService;
let raw: ScorerServiceClient;
let ext: TestExtender;

beforeAll(async () => {
  bundle = await makeBundleDir({ synthetic: true });
  regime = await startRegimeService({
    listen: "127.0.0.1:0", metricsHost: "127.0.0.1", metricsPort: 0, bundleDir: bundle.dir, pollInterval: 0,
    maxBatch: 1000, maxMessageBytes: 16 << 20, onnxThreads: 1, shutdownGrace: 500, log: quiet,
  });
  scorer = await startScorerService({
    listen: "127.0.0.1:0", metricsHost: "127.0.0.1", metricsPort: 0, bundleDir: bundle.dir, pollInterval: 0,
    regimeAddress: `127.0.0.1:${regime.grpcPort}`, regimeTimeout: 2000, regimeFlush: 10, regimeBatch: 256,
    freshness: 10_000, worstSlowdown: 2, placementSettle: 30_000, maxCandidates: 1000, maxNodes: 1000,
    maxMessageBytes: 16 << 20, onnxThreads: 1, shutdownGrace: 500, log: quiet,
  });
  raw = new ScorerServiceClient(`127.0.0.1:${scorer.grpcPort}`, grpc.credentials.createInsecure());
  await new Promise<void>((resolve, reject) => {
    const stream = raw.ingestNodeStates((e, r) => (e ? reject(e) : r.accepted === 3 ? resolve() : reject(new Error(JSON.stringify(r)))));
    stream.write({ state: nodeState("quiet"), states: [] });
    stream.write({ state: nodeState("busy", { features: BUSY }), states: [] });
    stream.write({ state: nodeState("stale", { observedAt: new Date(Date.now() - 60_000) }), states: [] });
    stream.end();
  });
  for (let i = 0; i < 500 && ![...scorer.store.values()].every((n) => n.regime !== undefined); i++) await new Promise((r) => setTimeout(r, 10));
  ext = await startTestExtender(`127.0.0.1:${scorer.grpcPort}`);
});
afterAll(async () => {
  await ext?.close();
  raw?.close();
  await scorer?.stop();
  await regime?.stop();
  if (bundle) await rm(bundle.root, { recursive: true, force: true });
});

function upfPod(maxSlowdown?: string) {
  return goldenPod({ "overseer.io/workload-class": "upf", ...(maxSlowdown ? { "overseer.io/max-slowdown": maxSlowdown } : {}) });
}

describe("extender + scorer-svc", () => {
  it("prioritize: the quiet node outscores the busy one; stale and never-seen nodes get the worst score", async () => {
    const r = await post(`${ext.base}/prioritize`, namesRequest(CANDIDATES, upfPod()));
    expect(r.status).toBe(200);
    const list = r.json as { Host: string; Score: number }[];
    expect(list.map((h) => h.Host)).toEqual(CANDIDATES);
    const by = Object.fromEntries(list.map((h) => [h.Host, h.Score]));
    expect(by.quiet).toBeGreaterThan(by.busy!);
    expect(by.stale).toBe(0);
    expect(by["never-seen"]).toBe(0);
    for (const h of list) expect(Number.isInteger(h.Score) && h.Score >= 0 && h.Score <= 10).toBe(true);
    expect(ext.logger.lines.filter((l) => l.level === "warn")).toEqual([]);
  });

  it("filter: with a limit between the quiet and busy bounds only the busy node is removed (both modes)", async () => {
    const s = await new Promise<ScoreNodesResponse>((resolve, reject) =>
      raw.scoreNodes({ workload: { podNamespace: "ran", podName: "probe", podUid: "", workloadClass: "upf", maxSlowdown: 0 }, nodeNames: ["quiet", "busy"] }, (e, r) =>
        e ? reject(e) : resolve(r),
      ),
    );
    const [q, b] = s.scores.map((x) => x.slowdownUpperBound);
    expect(b!).toBeGreaterThan(q!);
    const limit = ((q! + b!) / 2).toFixed(6);

    const names = await post(`${ext.base}/filter`, namesRequest(CANDIDATES, upfPod(limit)));
    const nr = names.json as { NodeNames: string[]; FailedNodes: Record<string, string>; Error: string };
    expect(nr.NodeNames).toEqual(["quiet", "stale", "never-seen"]);
    expect(Object.keys(nr.FailedNodes)).toEqual(["busy"]);
    expect(nr.FailedNodes.busy).toMatch(/exceeds the workload's limit/);
    expect(nr.Error).toBe("");

    const nodes = await post(`${ext.base}/filter`, nodesRequest(CANDIDATES, upfPod(limit)));
    const nd = nodes.json as { Nodes: { items: { metadata: { name: string } }[] }; FailedNodes: Record<string, string> };
    expect(nd.Nodes.items.map((n) => n.metadata.name)).toEqual(["quiet", "stale", "never-seen"]);
    expect(Object.keys(nd.FailedNodes)).toEqual(["busy"]);
  });
});
