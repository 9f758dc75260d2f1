// The scoring decision as pure arithmetic: no I/O, no protobuf. The service only translates.
import { FeatureState } from "../../gen/overseer/v1/features.js";
import { ScoreBasis } from "../../gen/overseer/v1/scorer_service.js";
import { FEATURE_NAMES } from "../features/catalog.js";

export const MAX_SCORE = 10;

/**
 * Feature groups the interference model cannot do without. A group is missing when every feature
 * in it is absent; any missing group makes the node a worst case (SCORE_BASIS_ABSENT_FEATURES_WORST_CASE).
 */
export const CRITICAL_FEATURE_GROUPS: readonly { name: string; features: readonly string[] }[] = [
  { name: "memory bandwidth pressure", features: ["mem_bandwidth_fraction_of_peak", "dram_bound_stall_fraction"] },
  { name: "LLC pressure", features: ["llc_misses_per_kilo_instr", "l3_bound_stall_fraction"] },
];
const GROUP_INDICES = CRITICAL_FEATURE_GROUPS.map((g) => g.features.map((f) => FEATURE_NAMES.indexOf(f)));

/** Names of the critical groups whose features are all absent (empty when the node is usable). */
export function missingCriticalGroups(states: readonly FeatureState[]): string[] {
  const out: string[] = [];
  GROUP_INDICES.forEach((idx, g) => {
    if (idx.every((i) => states[i] !== FeatureState.FEATURE_STATE_PRESENT)) out.push(CRITICAL_FEATURE_GROUPS[g]!.name);
  });
  return out;
}

/**
 * Upper bound of the slowdown -> score: 10 at a bound of 1.0 (no slowdown), 0 at `worstSlowdown`
 * or beyond, linear in between, rounded down (a node never earns more than its bound allows).
 */
export function scoreFromUpperBound(upper: number, worstSlowdown: number): number {
  if (!Number.isFinite(upper) || !(worstSlowdown > 1)) return 0;
  const x = (MAX_SCORE * (worstSlowdown - upper)) / (worstSlowdown - 1);
  return Math.max(0, Math.min(MAX_SCORE, Math.floor(x + 1e-9)));
}

export interface NodeScoreInput {
  /** A NodeState was ever received for the node. */
  known: boolean;
  /** Age of the node's state (now - observed_at), ms. */
  ageMs: number;
  freshnessMs: number;
  /** Result of missingCriticalGroups. */
  missingGroups: readonly string[];
  /** Model outputs for the node (max over its rows: measured state, recent placements, regime hypotheses). */
  predicted: number;
  upper: number;
  worstSlowdown: number;
}

export interface NodeScoreDecision {
  score: number;
  basis: ScoreBasis;
  /** 0 when there is no prediction (a worst-case basis). */
  predicted: number;
  upper: number;
}

/** The worst-case decision for a basis (a fresh object: callers may keep it). */
export const worstCaseDecision = (basis: ScoreBasis): NodeScoreDecision => ({ score: 0, basis, predicted: 0, upper: 0 });
const worst = worstCaseDecision;

/** Which basis a node's score rests on, before any model run (undefined = the model decides). */
export function preModelBasis(i: Pick<NodeScoreInput, "known" | "ageMs" | "freshnessMs" | "missingGroups">): ScoreBasis | undefined {
  if (!i.known) return ScoreBasis.SCORE_BASIS_UNKNOWN_NODE_WORST_CASE;
  if (i.ageMs > i.freshnessMs) return ScoreBasis.SCORE_BASIS_STALE_WORST_CASE;
  if (i.missingGroups.length > 0) return ScoreBasis.SCORE_BASIS_ABSENT_FEATURES_WORST_CASE;
  return undefined;
}

/** The decision for one node. Precedence: unknown, stale, absent features, model error, model. */
export function decideNodeScore(i: NodeScoreInput): NodeScoreDecision {
  const pre = preModelBasis(i);
  if (pre !== undefined) return worst(pre);
  return modelDecision(i.predicted, i.upper, i.worstSlowdown);
}

/** The decision for a node the model ran for (preModelBasis was undefined): model error or the model's bound. */
export function modelDecision(predictedRaw: number, upperRaw: number, worstSlowdown: number): NodeScoreDecision {
  if (!Number.isFinite(predictedRaw) || !Number.isFinite(upperRaw)) return worst(ScoreBasis.SCORE_BASIS_MODEL_ERROR_WORST_CASE);
  const predicted = Math.max(1, predictedRaw);
  const upper = Math.max(predicted, upperRaw);
  return { score: scoreFromUpperBound(upper, worstSlowdown), basis: ScoreBasis.SCORE_BASIS_MODEL, predicted, upper };
}

/**
 * Filter rule: a node is removed only when the model, on fresh state, bounds the slowdown above the
 * workload's limit. Unknown, stale and absent-feature nodes stay (their risk is in the score);
 * a model error is not evidence either. `maxSlowdown` 0 means no limit.
 */
export function exceedsLimit(d: NodeScoreDecision, maxSlowdown: number): boolean {
  return maxSlowdown > 0 && d.basis === ScoreBasis.SCORE_BASIS_MODEL && d.upper > maxSlowdown;
}
