// Decision math between scorer-svc's answers and the extender's: pure, no I/O.
// Every function answers only for the request's own candidates.
import type { FilterNodesResponse, ScoreNodesResponse } from "../../gen/overseer/v1/scorer_service.js";
import { clampScore, MIN_EXTENDER_PRIORITY, type ExtenderRequest } from "./wire.js";

/** The score every node gets when OverSeer has no opinion (non-CNF pod, degraded answer). */
export const NEUTRAL_SCORE = MIN_EXTENDER_PRIORITY;
/** A candidate scorer-svc left out of its answer is treated as worst case (unknown = worst). */
export const MISSING_NODE_SCORE = MIN_EXTENDER_PRIORITY;

export interface ScoreDecision {
  scores: Map<string, number>;
  /** Requested nodes scorer-svc did not score (given MISSING_NODE_SCORE). */
  missing: string[];
  /** Names scorer-svc answered that were not requested (dropped). */
  unexpected: string[];
}

export function decideScores(req: ExtenderRequest, resp: ScoreNodesResponse): ScoreDecision {
  const requested = new Set(req.nodeNames);
  const scores = new Map<string, number>();
  const unexpected: string[] = [];
  for (const s of resp.scores) {
    if (!requested.has(s.nodeName)) unexpected.push(s.nodeName);
    else if (!scores.has(s.nodeName)) scores.set(s.nodeName, clampScore(s.score));
  }
  const missing = req.nodeNames.filter((n) => !scores.has(n));
  for (const n of missing) scores.set(n, MISSING_NODE_SCORE);
  return { scores, missing, unexpected };
}

export function neutralScores(req: ExtenderRequest): Map<string, number> {
  return new Map(req.nodeNames.map((n) => [n, NEUTRAL_SCORE]));
}

export interface FilterDecision {
  feasible: string[];
  failed: Map<string, string>;
  unexpected: string[];
}

/**
 * The filter removes only nodes scorer-svc names in `filtered` (its conservative slowdown bound
 * exceeds the pod's limit). A candidate it mentions nowhere stays feasible: the filter is for
 * hard limits only and fails open; risk belongs in prioritize.
 */
export function decideFilter(req: ExtenderRequest, resp: FilterNodesResponse): FilterDecision {
  const requested = new Set(req.nodeNames);
  const failed = new Map<string, string>();
  const unexpected: string[] = [];
  for (const f of resp.filtered) {
    if (!requested.has(f.nodeName)) unexpected.push(f.nodeName);
    else if (!failed.has(f.nodeName)) failed.set(f.nodeName, f.reason || "OverSeer: predicted slowdown exceeds the pod's limit");
  }
  for (const n of resp.feasibleNodeNames) if (!requested.has(n)) unexpected.push(n);
  const feasible = req.nodeNames.filter((n) => !failed.has(n));
  return { feasible, failed, unexpected };
}

/** Highest first, ties by name: for span attributes and logs. */
export function topScores(scores: ReadonlyMap<string, number>, limit: number): string[] {
  return [...scores]
    .sort((a, b) => b[1] - a[1] || (a[0] < b[0] ? -1 : a[0] > b[0] ? 1 : 0))
    .slice(0, limit)
    .map(([n, s]) => `${n}=${s}`);
}
