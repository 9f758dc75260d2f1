// The runner's two calls to scorer-svc: the prediction for the chosen node (ExplainScores) and
// ReportPlacement, which tells the scorer the pod landed before the counters can show it.
import * as grpc from "@grpc/grpc-js";
import { ScoreBasis, ScorerServiceClient, type NodeExplanation, type WorkloadSpec } from "../../gen/overseer/v1/scorer_service.js";
import { Regime } from "../../gen/overseer/v1/regime.js";

export interface Prediction {
  predictedSlowdown: number;
  slowdownUpperBound: number;
  score: number;
  basis: string;
  regime: string;
  stale: boolean;
  modelVersion: string;
}

export interface ScorerCalls {
  predict(workload: WorkloadSpec, nodeName: string): Promise<Prediction>;
  reportPlacement(workload: WorkloadSpec, nodeName: string, placedAt: Date): Promise<void>;
  staleNodes(): Promise<{ total: number; stale: number }>;
  close(): void;
}

const strip = (name: string, prefix: string) => (name.startsWith(prefix) ? name.slice(prefix.length).toLowerCase() : name);

export function createScorerCalls(address: string, timeoutMs = 2000): ScorerCalls {
  const client = new ScorerServiceClient(address, grpc.credentials.createInsecure());
  const opts = () => ({ deadline: Date.now() + timeoutMs });
  return {
    predict: (workload, nodeName) =>
      new Promise((resolve, reject) =>
        client.explainScores({ workload, nodeNames: [nodeName] }, new grpc.Metadata(), opts(), (err, res) => {
          if (err) return reject(new Error(`scorer-svc ExplainScores: ${err.details || err.message}`));
          const e: NodeExplanation | undefined = res.explanations[0];
          if (!e?.score) return reject(new Error(`scorer-svc ExplainScores: no explanation for ${nodeName}`));
          resolve({
            predictedSlowdown: e.score.predictedSlowdown,
            slowdownUpperBound: e.score.slowdownUpperBound,
            score: e.score.score,
            basis: strip(ScoreBasis[e.score.basis] ?? String(e.score.basis), "SCORE_BASIS_"),
            regime: strip(Regime[e.score.regime] ?? String(e.score.regime), "REGIME_"),
            stale: e.stale,
            modelVersion: res.modelVersion,
          });
        }),
      ),
    reportPlacement: (workload, nodeName, placedAt) =>
      new Promise((resolve, reject) =>
        client.reportPlacement({ workload, nodeName, placedAt }, new grpc.Metadata(), opts(), (err) =>
          err ? reject(new Error(`scorer-svc ReportPlacement: ${err.details || err.message}`)) : resolve(),
        ),
      ),
    staleNodes: () =>
      new Promise((resolve, reject) =>
        client.listNodeStates({ freshOnly: false }, new grpc.Metadata(), opts(), (err, res) =>
          err ? reject(new Error(`scorer-svc ListNodeStates: ${err.details || err.message}`)) : resolve({ total: res.nodes.length, stale: res.nodes.filter((n) => n.stale).length }),
        ),
      ),
    close: () => client.close(),
  };
}
