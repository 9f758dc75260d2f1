// Held-out accuracy of what is served: replays a fresh labelled corpus into scorer-svc (as a new
// agent incarnation, with fresh timestamps, under prefixed node names so real nodes are not
// touched), waits until regime-svc classified each step, asks ExplainScores for every probed
// workload, and compares prediction and bound with the simulator's true slowdown.
import * as grpc from "@grpc/grpc-js";
import type { NodeState } from "../../../gen/overseer/v1/node_state.js";
import { regimeToJSON } from "../../../gen/overseer/v1/regime.js";
import { RegimeServiceClient, type GetModelInfoResponse } from "../../../gen/overseer/v1/regime_service.js";
import { scoreBasisToJSON, type WorkloadSpec } from "../../../gen/overseer/v1/scorer_service.js";
import { ScorerFeed } from "../services/scorer-feed.js";
import { probeKey, readEvalCorpus, type EvalCorpus } from "./corpus-reader.js";
import { summariseAccuracy, type AccuracyResult, type Prediction } from "./metrics.js";

export interface HeldOutOptions {
  corpusDir: string;
  scorerAddress: string;
  regimeAddress: string;
  /** Prefix of the replayed node names in the scorer's store. */
  nodePrefix?: string;
  /** Use only the first N sequence numbers of the corpus. */
  maxSequences?: number;
  classifyTimeoutMs?: number;
  onProgress?: (done: number, total: number) => void;
}

export class HeldOutError extends Error {}

export function getModelInfo(regimeAddress: string, timeoutMs = 10_000): Promise<GetModelInfoResponse> {
  const client = new RegimeServiceClient(regimeAddress, grpc.credentials.createInsecure());
  return new Promise<GetModelInfoResponse>((resolve, reject) =>
    client.getModelInfo({}, new grpc.Metadata(), { deadline: new Date(Date.now() + timeoutMs) }, (err, res) => {
      client.close();
      if (err) reject(new HeldOutError(`GetModelInfo on regime-svc ${regimeAddress} failed: ${err.message}`));
      else resolve(res!);
    }),
  );
}

export async function evaluateHeldOut(o: HeldOutOptions): Promise<AccuracyResult> {
  const corpus = await readEvalCorpus(o.corpusDir, o.maxSequences);
  if (corpus.probeCount === 0) throw new HeldOutError(`${o.corpusDir}: the corpus has no probes (performance.jsonl) to evaluate against`);
  const info = await getModelInfo(o.regimeAddress);
  const trained = new Set(info.model?.workloadClasses ?? []);
  const feed = new ScorerFeed(o.scorerAddress);
  try {
    return await replay(corpus, feed, trained, o);
  } finally {
    feed.close();
  }
}

async function replay(corpus: EvalCorpus, feed: ScorerFeed, trained: ReadonlySet<string>, o: HeldOutOptions): Promise<AccuracyResult> {
  const prefix = o.nodePrefix ?? "heldout-";
  const startedAt = new Date();
  const predictions: Prediction[] = [];
  let regimeKnown = 0;
  let regimeRight = 0;
  let modelVersion = "";
  const classes = [...new Set([...corpus.probes.values()].flatMap((ps) => ps.map((p) => p.workloadClass)))].sort();
  const spec = (cls: string): WorkloadSpec => ({
    podNamespace: "overseer-eval",
    podName: `heldout-${cls}`,
    podUid: "",
    workloadClass: cls,
    // Workloads the bundle was not trained on carry their measured solo profile, as a new CNF's pod would.
    soloProfile: trained.has(cls) ? undefined : corpus.soloProfiles.get(cls)?.profile,
    maxSlowdown: 0,
  });
  let done = 0;
  for (const step of corpus.steps) {
    const at = new Date();
    const states: NodeState[] = step.states.map((s) => ({ ...s, nodeName: prefix + s.nodeName, observedAt: at, agentStartedAt: startedAt, regime: undefined }));
    const res = await feed.ingest(states);
    if (res.rejected > 0) throw new HeldOutError(`scorer-svc rejected ${res.rejected} of ${states.length} node states of sequence ${step.sequence}`);
    await feed.waitClassified(states.map((s) => s.nodeName), at, o.classifyTimeoutMs ?? 10_000);
    const names = step.states.map((s) => s.nodeName);
    let regimeCounted = false;
    for (const cls of classes) {
      const probed = names.filter((n) => corpus.probes.get(probeKey(n, step.sequence))?.some((p) => p.workloadClass === cls));
      if (probed.length === 0) continue;
      const ex = await feed.explain(spec(cls), regimeCounted ? probed.map((n) => prefix + n) : names.map((n) => prefix + n));
      modelVersion = ex.modelVersion || modelVersion;
      for (const e of ex.explanations) {
        const score = e.score;
        if (!score) continue;
        const node = score.nodeName.slice(prefix.length);
        const key = probeKey(node, step.sequence);
        const predictedRegime = regimeToJSON(score.regime);
        const trueRegime = corpus.trueRegimes.get(key);
        if (!regimeCounted && trueRegime !== undefined) {
          regimeKnown++;
          if (trueRegime === predictedRegime) regimeRight++;
        }
        const probe = corpus.probes.get(key)?.find((p) => p.workloadClass === cls);
        if (!probe) continue;
        predictions.push({
          workloadClass: cls,
          nodeName: node,
          sequence: step.sequence,
          actual: probe.slowdown,
          predicted: score.predictedSlowdown,
          upper: score.slowdownUpperBound,
          predictedRegime,
          trueRegime,
          basis: scoreBasisToJSON(score.basis),
        });
      }
      regimeCounted = true;
    }
    done++;
    o.onProgress?.(done, corpus.steps.length);
  }
  return summariseAccuracy(predictions, trained, {
    modelVersion,
    corpus: { dir: corpus.dir, seed: corpus.seed, synthetic: corpus.synthetic, probes: predictions.length, nodeStates: corpus.nodeStateCount },
    nodeRegimeAccuracy: regimeKnown ? regimeRight / regimeKnown : null,
  });
}
