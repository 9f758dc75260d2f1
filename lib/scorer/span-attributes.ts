// What operators need on scorer-svc's span of a scoring call (the gRPC server span the
// instrumentation made active): workload, candidates, model version, worst cases, top scores.
// Uses only @opentelemetry/api; a no-op when tracing is off.
import { trace } from "@opentelemetry/api";
import { ScoreBasis, type WorkloadSpec } from "../../gen/overseer/v1/scorer_service.js";
import { topKIndices } from "../telemetry/top-k.js";
import type { ScoreRun } from "./scoring-engine.js";

const TOP_SCORES = 16;

export function annotateScoringSpan(run: ScoreRun, workload: WorkloadSpec): void {
  const span = trace.getActiveSpan();
  if (!span?.isRecording()) return;
  let worstCase = 0;
  for (let i = 0; i < run.basis.length; i++) if (run.basis[i] !== ScoreBasis.SCORE_BASIS_MODEL) worstCase++;
  const res = run.results;
  // The best few without sorting thousands of results (same order as a stable sort by score).
  const top = topKIndices(res.length, TOP_SCORES, (a, b) => res[b]!.decision.score - res[a]!.decision.score).map((i) => {
    const r = res[i]!;
    return `${r.nodeName}=${r.decision.score}(bound ${r.decision.upper.toFixed(3)})`;
  });
  span.setAttributes({
    "k8s.pod.name": workload.podName,
    "k8s.namespace.name": workload.podNamespace,
    "overseer.workload.class": workload.workloadClass,
    "overseer.profile_source": run.profile.source,
    "overseer.candidate_count": run.scores.length,
    "overseer.model_version": run.modelVersion,
    "overseer.model_rows": run.modelRows,
    "overseer.prediction_cache_hits": run.cacheHits,
    "overseer.worst_case_count": worstCase,
    "overseer.degraded": worstCase > 0,
    "overseer.scores": top.join(","),
  });
}
