// Explanations and query answers: translate engine results and store records into messages.
import type { Duration } from "../../gen/google/protobuf/duration.js";
import { regimeToJSON } from "../../gen/overseer/v1/regime.js";
import { ScoreBasis, type NodeExplanation, type NodeScore, type NodeStateEntry, type ScoreNodesResponse } from "../../gen/overseer/v1/scorer_service.js";
import { regimeAssessmentOf } from "./compact-regime.js";
import { nodeStateOf, type NodeRecord } from "./node-state-store.js";
import type { NodeResult, ScoreRun, ScoringParams } from "./scoring-engine.js";

export function durationFromMs(ms: number): Duration {
  const seconds = Math.floor(ms / 1000);
  return { seconds, nanos: Math.round((ms - seconds * 1000) * 1e6) };
}

const x = (v: number) => `${v.toFixed(3)}x`;
const sec = (ms: number) => `${(ms / 1000).toFixed(1)}s`;

export function toNodeScore(r: NodeResult): NodeScore {
  return {
    nodeName: r.nodeName,
    score: r.decision.score,
    predictedSlowdown: r.decision.predicted,
    slowdownUpperBound: r.decision.upper,
    regime: r.regime,
    basis: r.decision.basis,
  };
}

const NO_BYTES = Buffer.alloc(0);

/**
 * The ScoreNodes answer. With `scoresOnly` (the extender's calls) only the scores, one byte per
 * node in request order: no per-node message is built, encoded or parsed.
 */
export function toScoreNodesResponse(run: ScoreRun, scoresOnly: boolean): ScoreNodesResponse {
  if (!scoresOnly) return { scores: run.results.map(toNodeScore), modelVersion: run.modelVersion, packedScores: NO_BYTES };
  // A copy: the scores are a view of the run's plan memory, which goes back to the engine's pool on
  // release(), before gRPC serializes this answer (a concurrent call may take that memory first).
  const packed = Buffer.from(run.scores);
  return { scores: [], modelVersion: run.modelVersion, packedScores: packed };
}

export function summarize(r: NodeResult, run: ScoreRun, params: ScoringParams): string {
  const d = r.decision;
  const head = `score ${d.score}/10`;
  switch (d.basis) {
    case ScoreBasis.SCORE_BASIS_UNKNOWN_NODE_WORST_CASE:
      return `${head}: worst case, no NodeState was ever received for this node`;
    case ScoreBasis.SCORE_BASIS_STALE_WORST_CASE:
      return `${head}: worst case, the newest NodeState is ${sec(r.ageMs)} old, beyond the freshness bound of ${sec(params.freshnessMs)}`;
    case ScoreBasis.SCORE_BASIS_ABSENT_FEATURES_WORST_CASE:
      return `${head}: worst case, critical features absent (${r.rec?.missingGroups.join(", ")}: every feature of the group is absent)`;
    case ScoreBasis.SCORE_BASIS_MODEL_ERROR_WORST_CASE:
      return `${head}: worst case, the interference model returned a non-finite value`;
  }
  const parts = [
    `${head} from the conservative bound ${x(d.upper)} (predicted ${x(d.predicted)}; 10 at 1.0x, 0 at ${x(params.worstSlowdown)})`,
    r.regimeHypotheses
      ? "regime never classified: bound is the worst over every regime"
      : `regime ${regimeToJSON(r.regime)} (${(r.rec?.regime?.confidence ?? 0).toFixed(2)})${r.regimeStale ? ", STALE (classified for an older state; regime-svc behind or down)" : ""}`,
    `state age ${sec(r.ageMs)}`,
    `profile ${run.profile.source === "pod" ? "from the pod" : `${run.profile.className} (${run.profile.source})`}`,
  ];
  if (r.recentPlacements > 0) parts.push(`${r.recentPlacements} recent placement(s) charged (worst of their demands)`);
  return parts.join("; ");
}

export function toExplanation(r: NodeResult, run: ScoreRun, params: ScoringParams): NodeExplanation {
  return {
    score: toNodeScore(r),
    features: r.rec ? nodeStateOf(r.rec).features : undefined,
    stateAge: r.rec ? durationFromMs(r.ageMs) : undefined,
    stale: r.stale,
    profile: run.profile.profile,
    profileSource: run.profile.source,
    recentPlacements: r.recentPlacements,
    summary: summarize(r, run, params),
  };
}

export function toNodeStateEntry(rec: NodeRecord, nowMs: number, freshnessMs: number): NodeStateEntry {
  const age = Math.max(0, nowMs - rec.observedAtMs);
  return { state: { ...nodeStateOf(rec), regime: regimeAssessmentOf(rec) }, age: durationFromMs(age), stale: age > freshnessMs };
}
