// Drift detection and the promotion rule: pure functions of accuracy figures.
import type { AccuracyGroup } from "../accuracy/metrics.js";

export interface DriftBounds {
  /** Drift when the overall slowdown MAPE is above this (e.g. 0.15). */
  maxSlowdownMape: number;
  /** Drift when the upper bound covers fewer actual slowdowns than this (e.g. 0.9). */
  minUpperBoundCoverage: number;
}

export interface DriftVerdict {
  drifted: boolean;
  reasons: string[];
}

export function detectDrift(g: AccuracyGroup, b: DriftBounds): DriftVerdict {
  const reasons: string[] = [];
  if (g.n === 0) return { drifted: false, reasons: ["no probes to judge"] };
  if (g.slowdownMape !== null && g.slowdownMape > b.maxSlowdownMape) reasons.push(`slowdown MAPE ${g.slowdownMape.toFixed(4)} > bound ${b.maxSlowdownMape}`);
  if (g.upperBoundCoverage !== null && g.upperBoundCoverage < b.minUpperBoundCoverage) reasons.push(`upper-bound coverage ${g.upperBoundCoverage.toFixed(4)} < bound ${b.minUpperBoundCoverage}`);
  return { drifted: reasons.length > 0, reasons };
}

export interface PromotionRule {
  /** The challenger's MAPE must be lower by at least this much (absolute). */
  minMapeImprovement: number;
  /** The challenger's coverage may be lower than the champion's by at most this much. */
  maxCoverageLoss: number;
}

export const DEFAULT_PROMOTION_RULE: PromotionRule = { minMapeImprovement: 0.005, maxCoverageLoss: 0.02 };

export interface PromotionVerdict {
  promote: boolean;
  reason: string;
}

/** Promote only a challenger that is measurably better on the same held-out data. */
export function decidePromotion(champion: AccuracyGroup, challenger: AccuracyGroup, rule: PromotionRule = DEFAULT_PROMOTION_RULE): PromotionVerdict {
  if (challenger.n === 0 || challenger.slowdownMape === null) return { promote: false, reason: "the challenger produced no predictions on the held-out data" };
  if (champion.n !== challenger.n) return { promote: false, reason: `champion and challenger were judged on different probes (${champion.n} vs ${challenger.n})` };
  const chMape = champion.slowdownMape ?? Infinity;
  const ccMape = challenger.slowdownMape;
  const chCov = champion.upperBoundCoverage ?? 0;
  const ccCov = challenger.upperBoundCoverage ?? 0;
  if (!(ccMape <= chMape - rule.minMapeImprovement)) {
    return { promote: false, reason: `challenger MAPE ${ccMape.toFixed(4)} is not better than champion ${Number.isFinite(chMape) ? chMape.toFixed(4) : "n/a"} by ${rule.minMapeImprovement}` };
  }
  if (ccCov < chCov - rule.maxCoverageLoss) {
    return { promote: false, reason: `challenger coverage ${ccCov.toFixed(4)} is below champion ${chCov.toFixed(4)} by more than ${rule.maxCoverageLoss}` };
  }
  return { promote: true, reason: `challenger MAPE ${ccMape.toFixed(4)} < champion ${chMape.toFixed(4)}, coverage ${ccCov.toFixed(4)} vs ${chCov.toFixed(4)}` };
}
