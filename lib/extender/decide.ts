// Decision math between scorer-svc's answers and the extender's: pure, no I/O.
// Every function answers only for the request's own candidates.
import type { FilterNodesResponse, ScoreNodesResponse } from "../../gen/overseer/v1/scorer_service.js";
import { topKIndices } from "../telemetry/top-k.js";
import { clampScore, MIN_EXTENDER_PRIORITY, type ExtenderRequest } from "./wire.js";

/** The score every node gets when OverSeer has no opinion (non-CNF pod, degraded answer). */
export const NEUTRAL_SCORE = MIN_EXTENDER_PRIORITY;
/** A candidate scorer-svc left out of its answer is treated as worst case (unknown = worst). */
export const MISSING_NODE_SCORE = MIN_EXTENDER_PRIORITY;

export interface ScoreDecision {
  /** Aligned with req.nodeNames. */
  scores: number[];
  /** Requested nodes scorer-svc did not score (given MISSING_NODE_SCORE). */
  missing: string[];
  /** Names scorer-svc answered that were not requested (dropped). */
  unexpected: string[];
}

export function decideScores(req: ExtenderRequest, resp: ScoreNodesResponse): ScoreDecision {
  const names = req.nodeNames;
  const answered = resp.scores;
  // scores_only answer: byte i is the score of node_names[i]. A scorer-svc that predates
  // scores_only answers `scores` instead (handled below); a packed list of the wrong length
  // cannot be attributed to nodes, so every candidate counts as missing.
  const packed = resp.packedScores;
  if (packed !== undefined && packed.length > 0 && answered.length === 0) {
    if (packed.length === names.length) {
      const scores = new Array<number>(names.length);
      for (let i = 0; i < names.length; i++) scores[i] = clampScore(packed[i]!);
      return { scores, missing: [], unexpected: [] };
    }
    return { scores: new Array<number>(names.length).fill(MISSING_NODE_SCORE), missing: [...names], unexpected: [] };
  }
  // Fast path: scorer-svc answers one score per requested node, in request order (its contract).
  if (answered.length === names.length && answered.every((s, i) => s.nodeName === names[i])) {
    return { scores: answered.map((s) => clampScore(s.score)), missing: [], unexpected: [] };
  }
  const scores = new Array<number>(names.length).fill(NaN);
  const unexpected: string[] = [];
  for (const s of answered) {
    const i = req.indexByName.get(s.nodeName);
    if (i === undefined) unexpected.push(s.nodeName);
    else if (Number.isNaN(scores[i]!)) scores[i] = clampScore(s.score);
  }
  const missing: string[] = [];
  for (let i = 0; i < names.length; i++) {
    if (Number.isNaN(scores[i]!)) {
      scores[i] = MISSING_NODE_SCORE;
      missing.push(names[i]!);
    }
  }
  return { scores, missing, unexpected };
}

export function neutralScores(req: ExtenderRequest): number[] {
  return new Array<number>(req.nodeNames.length).fill(NEUTRAL_SCORE);
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
  const requested = req.indexByName;
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
export function topScores(names: readonly string[], scores: readonly number[], limit: number): string[] {
  const before = (a: number, b: number) => scores[b]! - scores[a]! || (names[a]! < names[b]! ? -1 : names[a]! > names[b]! ? 1 : 0);
  return topKIndices(names.length, limit, before).map((i) => `${names[i]}=${scores[i]}`);
}
