// Benchmark: ScoreNodes throughput of scorer-svc alone (no extender, no HTTP), in a closed loop with
// 1 and 4 concurrent callers, against a real regime-svc, everything in this process. It isolates
// scorer-svc's per-call cost from the extender's: calls/s with one caller is 1 / (its per-call time).
//   node dist/bench/scorer-closed-loop.js [--bundle-dir models/default] [--nodes 1000] [--seconds 2] [--inline-inference-ms 2]
import * as grpc from "@grpc/grpc-js";
import os from "node:os";
import { performance } from "node:perf_hooks";
import { ScorerServiceClient, type WorkloadSpec } from "../gen/overseer/v1/scorer_service.js";
import { startRegimeService } from "../lib/regime/regime-server.js";
import { startScorerService } from "../lib/scorer/scorer-server.js";
import { nodeState } from "../lib/scorer/testing/node-states.js";

const arg = (name: string, def: string) => {
  const i = process.argv.indexOf(`--${name}`);
  return i >= 0 ? process.argv[i + 1]! : def;
};
const quiet = () => undefined;

async function main() {
  const bundleDir = arg("bundle-dir", "models/default");
  const nodes = Number(arg("nodes", "1000"));
  const seconds = Number(arg("seconds", "2"));
  const inlineInferenceMs = Number(arg("inline-inference-ms", "2"));
  if (!(nodes >= 1 && seconds > 0 && inlineInferenceMs >= 0)) throw new Error("bad --nodes/--seconds/--inline-inference-ms");
  const regime = await startRegimeService({
    listen: "127.0.0.1:0", metricsHost: "127.0.0.1", metricsPort: 0, bundleDir, pollInterval: 0,
    maxBatch: 10_000, maxMessageBytes: 64 << 20, onnxThreads: 1, shutdownGrace: 500, log: quiet,
  });
  const scorer = await startScorerService({
    listen: "127.0.0.1:0", metricsHost: "127.0.0.1", metricsPort: 0, bundleDir, pollInterval: 0,
    regimeAddress: `127.0.0.1:${regime.grpcPort}`, regimeTimeout: 10_000, regimeFlush: 10, regimeBatch: 1024,
    freshness: 3_600_000, worstSlowdown: 2, placementSettle: 30_000, maxCandidates: 10_000, maxNodes: 100_000,
    maxMessageBytes: 64 << 20, onnxThreads: 1, shutdownGrace: 500, log: quiet, inlineInferenceMs,
  });
  const client = new ScorerServiceClient(`127.0.0.1:${scorer.grpcPort}`, grpc.credentials.createInsecure());
  const names = Array.from({ length: nodes }, (_, i) => `node-${i}`);
  await new Promise<void>((resolve, reject) => {
    const s = client.ingestNodeStates((e) => (e ? reject(e) : resolve()));
    s.write({ state: undefined, states: names.map((n) => nodeState(n, {})) });
    s.end();
  });
  const deadline = Date.now() + 60_000;
  while (![...scorer.store.values()].every((r) => r.regime !== undefined && !r.regimeStale)) {
    if (Date.now() > deadline) throw new Error("regimes did not arrive from regime-svc within 60 s");
    await new Promise((r) => setTimeout(r, 50));
  }
  const workload: WorkloadSpec = { podNamespace: "bench", podName: "p", podUid: "u", workloadClass: "upf-64b", maxSlowdown: 0 };
  const call = () =>
    new Promise<void>((resolve, reject) => client.scoreNodes({ workload, nodeNames: names, scoresOnly: true }, (e) => (e ? reject(e) : resolve())));
  for (let i = 0; i < 50; i++) await call();
  console.log(`scorer-svc closed loop: ScoreNodes(${nodes}) scores_only, bundle ${bundleDir}, --inline-inference-ms ${inlineInferenceMs}, onnx threads 1; load average ${os.loadavg().map((x) => x.toFixed(1)).join(" ")}`);
  for (const callers of [1, 4]) {
    let done = 0;
    const t0 = performance.now();
    const end = t0 + seconds * 1000;
    await Promise.all(
      Array.from({ length: callers }, async () => {
        while (performance.now() < end) {
          await call();
          done++;
        }
      }),
    );
    const rate = done / ((performance.now() - t0) / 1000);
    console.log(`  ${callers} caller(s): ${rate.toFixed(0)} calls/s (${(1000 / rate).toFixed(2)} ms per call)`);
  }
  client.close();
  await scorer.stop();
  await regime.stop();
}

main().catch((e) => {
  console.error(e);
  process.exit(1);
});
