// Placement oracle: try one more pod of a workload on every candidate node and take the true best.
import type { Workload } from "./catalog.js";
import { probeSlowdown, type SimNode, type SimResident } from "./node.js";

export interface OracleCandidate {
  node: SimNode;
  residents: readonly SimResident[];
}

export interface OracleResult {
  /** Index of the candidate with the lowest true slowdown (first one on ties); -1 when there are none. */
  bestIndex: number;
  bestSlowdown: number;
  /** True slowdown of the pod on every candidate, in input order. */
  slowdowns: number[];
}

export function oracleBestNode(candidates: readonly OracleCandidate[], workload: Workload, cores = workload.cores): OracleResult {
  const slowdowns: number[] = [];
  let bestIndex = -1;
  let bestSlowdown = Infinity;
  for (let i = 0; i < candidates.length; i++) {
    const c = candidates[i]!;
    const s = probeSlowdown(c.node, c.residents, workload, cores).slowdown;
    slowdowns.push(s);
    if (s < bestSlowdown) {
      bestSlowdown = s;
      bestIndex = i;
    }
  }
  return { bestIndex, bestSlowdown, slowdowns };
}
