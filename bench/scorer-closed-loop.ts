// Benchmark: ScoreNodes throughput of scorer-svc alone (no extender, no HTTP), in a closed loop with
// 1 and 4 concurrent callers, against a real regime-svc, everything in this process. It isolates
// scorer-svc's per-call cost from the extender's: calls/s with one caller is 1 / (its per-call time).
// Three rows, same run: the raw inference floor (the same rows through interference.onnx inline, in
// a closed loop), the COLD path (every candidate's slot version bumped before each call, as if each
// node had a new state: the prediction cache misses for all), and the STEADY state (a background
// ingest gives every node --churn-per-node-hz new states per second; the cache serves the rest).
//   node dist/bench/scorer-closed-loop.js [--bundle-dir models/default] [--nodes 1000] [--seconds 2] [--inline-inference-ms 2] [--churn-per-node-hz 1] [--regime-flush-ms 1000] [--decision-classify-max 256]
import * as grpc from "@grpc/grpc-js";
import { readFileSync } from "node:fs";
import os from "node:os";
import { performance } from "node:perf_hooks";
import { ScorerServiceClient, type WorkloadSpec } from "../gen/overseer/v1/scorer_service.js";
import { loadBundle } from "../lib/bundle/load-bundle.js";
import { profileRow } from "../lib/bundle/model-input.js";
import { floorRows } from "../lib/scorer/testing/floor-rows.js";
import { startRegimeService } from "../lib/regime/regime-server.js";
import { SCORER_FLAGS } from "../lib/scorer/config.js";
import { startScorerService } from "../lib/scorer/scorer-server.js";
import { nodeState } from "../lib/scorer/testing/node-states.js";
import { startChurn } from "./churn-ingest.js";

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
  const churnHz = Number(arg("churn-per-node-hz", "1"));
  // The background catch-up of the service (default 1 s: decisions classify fresh states of their candidates themselves).
  const regimeFlush = Number(arg("regime-flush-ms", String(SCORER_FLAGS.regimeFlush.default)));
  if (!(regimeFlush > 0)) throw new Error("--regime-flush-ms must be > 0");
  // How many pending candidates a call classifies itself before scoring (0: only the background flush does).
  const decisionClassifyMax = Number(arg("decision-classify-max", String(SCORER_FLAGS.decisionClassifyMax.default)));
  if (!Number.isInteger(decisionClassifyMax) || decisionClassifyMax < 0) throw new Error("--decision-classify-max must be an integer >= 0");
  if (!(nodes >= 1 && seconds > 0 && inlineInferenceMs >= 0 && churnHz >= 0)) throw new Error("bad --nodes/--seconds/--inline-inference-ms/--churn-per-node-hz");
  const regime = await startRegimeService({
    listen: "127.0.0.1:0", metricsHost: "127.0.0.1", metricsPort: 0, bundleDir, pollInterval: 0,
    maxBatch: 10_000, maxMessageBytes: 64 << 20, onnxThreads: 1, shutdownGrace: 500, log: quiet,
  });
  const scorer = await startScorerService({
    listen: "127.0.0.1:0", metricsHost: "127.0.0.1", metricsPort: 0, bundleDir, pollInterval: 0,
    regimeAddress: `127.0.0.1:${regime.grpcPort}`, regimeTimeout: 10_000, regimeFlush, regimeBatch: 1024,
    freshness: 3_600_000, worstSlowdown: 2, placementSettle: 30_000, maxCandidates: 10_000, maxNodes: 100_000,
    maxMessageBytes: 64 << 20, onnxThreads: 1, shutdownGrace: 500, log: quiet, inlineInferenceMs, decisionClassifyMax,
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
  const slots = names.map((n) => scorer.store.get(n)!.slot);
  let cold = false;
  const call = () => {
    if (cold) for (const sl of slots) scorer.store.slab.touch(sl);
    return new Promise<void>((resolve, reject) => client.scoreNodes({ workload, nodeNames: names, scoresOnly: true }, (e) => (e ? reject(e) : resolve())));
  };
  // The floor: the same rows straight into onnxruntime on this thread.
  const bundle = scorer.holder.current()!;
  const floorBundle = await loadBundle(bundleDir, { runner: "inline", intraOpThreads: 1 });
  const prof = profileRow(bundle.manifest.workloadProfiles.get(workload.workloadClass)!.profile, bundle.manifest.profileFeatureNames);
  const input = floorRows(scorer.store, names, bundle, prof);
  // CPU time of this thread (client, scorer-svc and regime-svc all run on it; the churn has its own
  // process and the inference worker its own thread), from /proc: less skewed by other processes than wall time.
  const threadCpuMs = (): number => {
    try {
      const f = readFileSync(`/proc/self/task/${process.pid}/stat`, "utf8").split(") ")[1]!.split(" ");
      return ((Number(f[11]) + Number(f[12])) * 1000) / 100;
    } catch {
      return NaN;
    }
  };
  let lastCalls = 0;
  const closedLoop = async (callers: number, fn: () => Promise<unknown>) => {
    let done = 0;
    const t0 = performance.now();
    const end = t0 + seconds * 1000;
    await Promise.all(
      Array.from({ length: callers }, async () => {
        while (performance.now() < end) {
          await fn();
          done++;
        }
      }),
    );
    lastCalls = done;
    return done / ((performance.now() - t0) / 1000);
  };
  const hitsMisses = async () => {
    const get = async (m: string) => (await scorer.registry.getSingleMetric(m)!.get()).values[0]?.value ?? 0;
    return [await get("overseer_scorer_prediction_cache_hits_total"), await get("overseer_scorer_prediction_cache_misses_total")] as const;
  };
  for (let i = 0; i < 50; i++) await call();
  console.log(`scorer-svc closed loop: ScoreNodes(${nodes}) scores_only, bundle ${bundleDir}, --inline-inference-ms ${inlineInferenceMs}, onnx threads 1; load average ${os.loadavg().map((x) => x.toFixed(1)).join(" ")}`);
  const floorRate = await closedLoop(1, () => floorBundle.predict(input, nodes));
  console.log(`  FLOOR raw interference.onnx of the same ${nodes} rows, inline, 1 caller: ${floorRate.toFixed(0)} runs/s (${(1000 / floorRate).toFixed(2)} ms per run)`);
  const report = async (label: string) => {
    for (const callers of [1, 4]) {
      const [h0, m0] = await hitsMisses();
      const cpu0 = threadCpuMs();
      const rate = await closedLoop(callers, call);
      const cpuPerCall = (threadCpuMs() - cpu0) / lastCalls;
      const [h1, m1] = await hitsMisses();
      const hitPct = h1 - h0 + m1 - m0 > 0 ? (100 * (h1 - h0)) / (h1 - h0 + m1 - m0) : 0;
      console.log(`  ${label}, ${callers} caller(s): ${rate.toFixed(0)} calls/s (${(1000 / rate).toFixed(2)} ms per call; ${(rate / floorRate).toFixed(2)}x the floor's runs/s; cache hits ${hitPct.toFixed(1)}%; main thread CPU ${cpuPerCall.toFixed(2)} ms per call)`);
    }
  };
  cold = true;
  await report("COLD (every candidate new each call, all rows to the model)");
  cold = false;
  if (churnHz > 0) {
    const churn = startChurn({ address: `127.0.0.1:${scorer.grpcPort}`, names, hzPerNode: churnHz, firstSequence: 1_000_000 });
    await new Promise((r) => setTimeout(r, 1500));
    await report(`STEADY (churn ${churnHz} state/node/s = ${Math.round(churnHz * nodes)} states/s ingested meanwhile, --regime-flush ${regimeFlush} ms, --decision-classify-max ${decisionClassifyMax})`);
    const c = await churn.stop();
    console.log(`  churn: ${c.accepted} of ${c.sent} states accepted in ${c.seconds.toFixed(1)} s; load average ${os.loadavg().map((x) => x.toFixed(1)).join(" ")}`);
  }
  await floorBundle.release();
  client.close();
  await scorer.stop();
  await regime.stop();
}

main().catch((e) => {
  console.error(e);
  process.exit(1);
});
