// Benchmark: what decision-time classification costs a ScoreNodes call over real gRPC (scorer-svc and
// regime-svc in this process, loopback). For each candidate count, alternates calls where every
// candidate's regime is cached (the baseline) with calls right after every candidate published a new
// state (the call classifies them itself: one Classify of min(N, --decision-classify-max) vectors).
// Prints medians, p95 and the ratio to the baseline measured in the same run, with the load average.
//   node dist/bench/decision-classify.js [--bundle-dir models/default] [--sizes 10,100,1000] [--iterations 40]
import * as grpc from "@grpc/grpc-js";
import { stat } from "node:fs/promises";
import os from "node:os";
import { performance } from "node:perf_hooks";
import type { NodeState } from "../gen/overseer/v1/node_state.js";
import { ScorerServiceClient, type WorkloadSpec } from "../gen/overseer/v1/scorer_service.js";
import { makeBundleDir } from "../lib/bundle/testing/fixture-dir.js";
import { startRegimeService } from "../lib/regime/regime-server.js";
import { createScorerClient } from "../lib/scorer/client.js";
import { startScorerService } from "../lib/scorer/scorer-server.js";
import { nodeState } from "../lib/scorer/testing/node-states.js";
import { regimeConfig, scorerConfig } from "../lib/scorer/testing/service-configs.js";

const arg = (name: string, def: string) => {
  const i = process.argv.indexOf(`--${name}`);
  return i >= 0 ? process.argv[i + 1]! : def;
};
const pct = (xs: number[], p: number) => [...xs].sort((a, b) => a - b)[Math.min(xs.length - 1, Math.ceil((p / 100) * xs.length) - 1)]!;
const ms = (x: number) => `${x.toFixed(2)} ms`;
const upf: WorkloadSpec = { podNamespace: "cnf", podName: "bench", podUid: "uid-bench", workloadClass: "upf", maxSlowdown: 0 };

function ingest(c: ScorerServiceClient, states: NodeState[]): Promise<void> {
  return new Promise((resolve, reject) => {
    const s = c.ingestNodeStates((e) => (e ? reject(e) : resolve()));
    for (const st of states) s.write({ state: st, states: [] });
    s.end();
  });
}

async function main() {
  let bundleDir = arg("bundle-dir", "models/default");
  const sizes = arg("sizes", "10,100,1000").split(",").map(Number);
  const iterations = Number(arg("iterations", "40"));
  if (!(await stat(`${bundleDir}/manifest.json`).catch(() => undefined))) bundleDir = (await makeBundleDir({ synthetic: true })).dir;
  const regime = await startRegimeService(regimeConfig(bundleDir));
  const maxCandidates = Math.max(...sizes);
  const scorer = await startScorerService({ ...scorerConfig(bundleDir, `127.0.0.1:${regime.grpcPort}`), maxCandidates, maxNodes: maxCandidates, regimeFlush: 600_000, regimeBatch: 1_000_000 });
  const raw = new ScorerServiceClient(`127.0.0.1:${scorer.grpcPort}`, grpc.credentials.createInsecure(), { "grpc.max_send_message_length": -1 });
  const client = createScorerClient(`127.0.0.1:${scorer.grpcPort}`, { timeoutMs: 30_000 });
  console.log(`bundle ${bundleDir}; load average ${os.loadavg().map((l) => l.toFixed(2)).join(" ")} (${os.cpus().length} cpus)`);
  console.log("candidates  cached p50 / p95        fresh (inline) p50 / p95   ratio p50   classified inline per call");
  let seq = 1;
  for (const n of sizes) {
    const names = Array.from({ length: n }, (_, i) => `bench-${i}`);
    const publish = () => ingest(raw, names.map((name) => nodeState(name, { sequence: seq })));
    await publish();
    await client.scoreNodes({ workload: upf, nodeNames: names, scoresOnly: false }); // warm-up (classifies)
    const cached: number[] = [];
    const fresh: number[] = [];
    const before = scorer.registry.getSingleMetric("overseer_scorer_decision_classified_nodes_total");
    const classifiedBefore = (await before!.get()).values[0]?.value ?? 0;
    for (let i = 0; i < iterations; i++) {
      // Baseline: nothing queued (over the cap, the previous call left some; the batcher takes them, untimed).
      while (scorer.store.pendingCount > 0) await scorer.batcher.flush();
      let t = performance.now();
      await client.scoreNodes({ workload: upf, nodeNames: names, scoresOnly: false });
      cached.push(performance.now() - t);
      seq++;
      await publish();
      t = performance.now();
      await client.scoreNodes({ workload: upf, nodeNames: names, scoresOnly: false });
      fresh.push(performance.now() - t);
    }
    const classified = ((await before!.get()).values[0]?.value ?? 0) - classifiedBefore;
    while (scorer.store.pendingCount > 0) await scorer.batcher.flush();
    console.log(
      `${String(n).padEnd(12)}${`${ms(pct(cached, 50))} / ${ms(pct(cached, 95))}`.padEnd(23)}${`${ms(pct(fresh, 50))} / ${ms(pct(fresh, 95))}`.padEnd(27)}${(pct(fresh, 50) / pct(cached, 50)).toFixed(2).padEnd(12)}${(classified / iterations).toFixed(0)}`,
    );
  }
  console.log(`load average at the end ${os.loadavg().map((l) => l.toFixed(2)).join(" ")}`);
  client.close();
  raw.close();
  await scorer.stop();
  await regime.stop();
}

await main();
