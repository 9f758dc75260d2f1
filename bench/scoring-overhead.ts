// Benchmark: the NON-inference CPU of one ScoreNodes call and one extender prioritize call, stage
// by stage, in one thread without sockets (so other load on the machine skews it less than the
// wall-clock benches). Each stage is timed with process.cpuUsage over many iterations; the raw
// interference run of the same rows is printed beside it (inline, and through the worker thread).
//
// Stages (ms of process CPU per call):
//   req encode    client: ScoreNodesRequest encode (the extender's codec, score-nodes-codec.ts)
//   req decode    server: ScoreNodesRequest decode (scorer-svc's codec)
//   engine        scoreCandidates with the model replaced by precomputed outputs (row building,
//                 decisions, result objects)
//   metrics+span  the handler's per-call metrics and span annotation (no SDK: a no-op span)
//   resp full     results -> NodeScore messages -> encoded (a caller that wants every field)
//   resp packed   results -> packed scores -> encoded (scores_only: what the extender asks for)
//   resp decode   client: the packed answer decoded (extender side)
//   extender      body decode (lib/extender/body-scan.ts) + decide + HostPriorityList bytes (no gRPC)
//   overhead      the sum of the stages on the extender's path (req enc .. extender, packed answer)
//
//   node dist/bench/scoring-overhead.js [--sizes 100,1000,5000] [--bundle-dir models/default]
//   (default: the synthetic test bundle)
import { Registry } from "prom-client";
import type { ScoreNodesRequest, WorkloadSpec } from "../gen/overseer/v1/scorer_service.js";
import { Regime } from "../gen/overseer/v1/regime.js";
import { loadBundle, type ModelBundle } from "../lib/bundle/load-bundle.js";
import { makeBundleDir } from "../lib/bundle/testing/fixture-dir.js";
import { decideScores } from "../lib/extender/decide.js";
import { decodeExtenderBody } from "../lib/extender/body-scan.js";
import { encodeHostPrioritiesJson } from "../lib/extender/wire.js";
import { createScorerMetrics } from "../lib/scorer/metrics.js";
import { NodeStateStore } from "../lib/scorer/node-state-store.js";
import { RecentPlacements } from "../lib/scorer/recent-placements.js";
import { createScorerServiceImpl } from "../lib/scorer/scorer-service.js";
import { scoreCandidates } from "../lib/scorer/scoring-engine.js";
import { nodeState } from "../lib/scorer/testing/node-states.js";
import { encodeScoreNodesResponse } from "../lib/scorer/wire.js";
import { toScoreNodesResponse } from "../lib/scorer/explain.js";
import { decodeScoreNodesRequest, decodeScoreNodesResponse, encodeNamesRequest } from "../lib/scorer/score-nodes-codec.js";
import { BundleHolder } from "../lib/bundle/bundle-holder.js";
import { rm } from "node:fs/promises";

const arg = (name: string, def: string) => {
  const i = process.argv.indexOf(`--${name}`);
  return i >= 0 ? process.argv[i + 1]! : def;
};

async function cpuPerCall(iters: number, fn: () => unknown): Promise<number> {
  for (let i = 0; i < Math.max(5, iters / 10); i++) await fn();
  const c0 = process.cpuUsage();
  for (let i = 0; i < iters; i++) await fn();
  const c = process.cpuUsage(c0);
  return (c.user + c.system) / 1000 / iters;
}

async function wallPerCall(iters: number, fn: () => unknown): Promise<number> {
  for (let i = 0; i < 5; i++) await fn();
  const t0 = performance.now();
  for (let i = 0; i < iters; i++) await fn();
  return (performance.now() - t0) / iters;
}

async function main(): Promise<void> {
  const sizes = arg("sizes", "100,1000,5000").split(",").map(Number);
  const dirArg = arg("bundle-dir", "");
  const b = dirArg ? { dir: dirArg, root: undefined, source: dirArg } : await makeBundleDir({ synthetic: true });
  const os = await import("node:os");
  console.log(`bundle ${b.source}; load average ${os.loadavg().map((x) => x.toFixed(1)).join(" ")}`);
  const maxN = Math.max(...sizes);
  const store = new NodeStateStore({ maxNodes: maxN + 1 });
  const recent = new RecentPlacements({ settleMs: 30_000, maxPerNode: 16 });
  for (let i = 0; i < maxN; i++) {
    store.upsert(nodeState(`node-${i}`, { features: i % 3 === 0 ? { mem_bandwidth_fraction_of_peak: 0.9 } : {} }));
    store.setRegime(`node-${i}`, 1, store.get(`node-${i}`)!.agentStartedAtMs, { regime: Regime.REGIME_QUIET, confidence: 0.9, probabilities: [{ regime: Regime.REGIME_QUIET, probability: 0.9 }, { regime: Regime.REGIME_CORE_BOUND, probability: 0.1 }], modelVersion: "x", classifiedAt: undefined } as never);
  }
  const inline = await loadBundle(b.dir, { runner: "inline" });
  const worker = await loadBundle(b.dir, { runner: "worker", inlineMaxRows: 0 });
  const params = { freshnessMs: 3_600_000, worstSlowdown: 2 };
  const holder = new BundleHolder({ dir: b.dir, pollIntervalMs: 0, loadOptions: { runner: "inline" } });
  await holder.start();
  const metrics = createScorerMetrics(new Registry(), store, recent, () => params.freshnessMs);
  const workload: WorkloadSpec = { podNamespace: "ran", podName: "upf-0", podUid: "u", workloadClass: [...inline.manifest.workloadProfiles.keys()][0]!, maxSlowdown: 0 };

  console.log("nodes   req enc  req dec   engine  met+span resp full resp pkd resp dec extender |  overhead | handler* | infer inline infer worker");
  for (const n of sizes) {
    const names = Array.from({ length: n }, (_, i) => `node-${i}`);
    const iters = Math.max(20, Math.round(200_000 / n));
    const req: ScoreNodesRequest = { workload, nodeNames: names, scoresOnly: true };
    const reqBytes = encodeNamesRequest(req);
    // The model replaced by its outputs for these rows: only the overhead remains.
    const rows = (await scoreCandidates({ store, recent, params }, inline, workload, names, Date.now())).modelRows;
    const canned = { slowdown: new Float32Array(rows).fill(1.1), upper: new Float32Array(rows).fill(1.2) };
    const fakeModel: ModelBundle = { ...inline, predict: async () => canned };
    const run = await scoreCandidates({ store, recent, params }, fakeModel, workload, names, Date.now());
    const respBytes = encodeScoreNodesResponse(toScoreNodesResponse(run, true));
    const body = JSON.stringify({ Pod: { metadata: { name: "upf-0", namespace: "ran", uid: "u", annotations: { "overseer.io/workload-class": "upf" } } }, Nodes: null, NodeNames: names });
    const input = new Float32Array(rows * inline.interferenceWidth);
    const cannedHolder = { current: () => fakeModel, use: <T>(fn: (b: ModelBundle) => Promise<T>) => fn(fakeModel) } as unknown as BundleHolder;
    const impl = createScorerServiceImpl({ holder: cannedHolder, store, recent, params, metrics, onAccepted: () => undefined, maxCandidates: 100_000, now: Date.now });
    const handler = () =>
      new Promise<void>((resolve, reject) => {
        const request = decodeScoreNodesRequest(reqBytes);
        impl.scoreNodes({ request } as never, (e, r) => (e ? reject(e) : (encodeScoreNodesResponse(r!), resolve())));
      });
    const t = {
      reqEnc: await cpuPerCall(iters, () => encodeNamesRequest(req)),
      reqDec: await cpuPerCall(iters, () => decodeScoreNodesRequest(reqBytes)),
      engine: await cpuPerCall(iters, () => scoreCandidates({ store, recent, params }, fakeModel, workload, names, Date.now())),
      metrics: await cpuPerCall(iters, () => {
        metrics.candidates.observe(n);
        metrics.modelRows.observe(rows);
        for (let i = 0; i < run.basis.length; i++) metrics.countWorstCase(run.basis[i]!);
      }),
      respFull: await cpuPerCall(iters, () => encodeScoreNodesResponse(toScoreNodesResponse(run, false))),
      respBuild: await cpuPerCall(iters, () => encodeScoreNodesResponse(toScoreNodesResponse(run, true))),
      respDec: await cpuPerCall(iters, () => decodeScoreNodesResponse(respBytes)),
      extender: await cpuPerCall(iters, () => {
        const r = decodeExtenderBody(body);
        return encodeHostPrioritiesJson(r.nodeNames, decideScores(r, decodeScoreNodesResponse(respBytes)).scores, r.plainNames);
      }),
      handler: await cpuPerCall(iters, handler),
      inferInline: await wallPerCall(Math.max(10, iters / 4), () => inline.predict(input, rows)),
      inferWorker: await wallPerCall(Math.max(10, iters / 4), () => worker.predict(input, rows)),
    };
    const overhead = t.reqEnc + t.reqDec + t.engine + t.metrics + t.respBuild + t.respDec + t.extender;
    const c = (x: number) => x.toFixed(3).padStart(8);
    console.log(`${String(n).padStart(5)} ${c(t.reqEnc)} ${c(t.reqDec)} ${c(t.engine)} ${c(t.metrics)} ${c(t.respFull)} ${c(t.respBuild)} ${c(t.respDec)} ${c(t.extender)} | ${c(overhead)}  | ${c(t.handler)} | ${c(t.inferInline)}  ${c(t.inferWorker)}`);
  }
  console.log("* handler: request decode + the ScoreNodes handler (scores_only) (model canned) + response encode; CPU ms per call. infer: wall ms per call.");
  await inline.release();
  await worker.release();
  await holder.stop();
  if (b.root) await rm(b.root, { recursive: true, force: true });
}

main().catch((e: unknown) => {
  console.error(e);
  process.exit(1);
});
