// Placement policies compared by the benchmark. Each sees the candidate nodes (those with room
// for the pod) and returns one. Only the oracle reads the simulator's truth; the threshold policy
// reads the memory-bandwidth telemetry a node exposes (none on nodes without IMC/MBM counters).
import { createRng, seedFrom, type Rng } from "../../sim/rng.js";
import type { SimCluster, SimNode } from "./cluster.js";
import type { CnfPod } from "./scenario.js";

export interface DecisionContext {
  cluster: SimCluster;
  timeSec: number;
  /** Nodes whose residents changed since the previous decision (tenants, pods). */
  changedNodes: ReadonlySet<SimNode>;
}

export interface PlacementPolicy {
  readonly name: string;
  /** Picks one of `candidates` (non-empty, all with room for the pod). */
  choose(pod: CnfPod, candidates: readonly SimNode[], ctx: DecisionContext): string | Promise<string>;
  /** The pod was bound to `node`. */
  placed?(pod: CnfPod, node: SimNode, ctx: DecisionContext): void | Promise<void>;
  close?(): void | Promise<void>;
}

/** Builds a fresh policy for one run (policies may keep state). `seed` is the scenario's. */
export type PolicyFactory = (seed: number) => PlacementPolicy | Promise<PlacementPolicy>;

/** kube-scheduler's NodeResourcesLeastAllocated (CPU): most free share; ties broken at random, as selectHost does. */
export function pickLeastAllocated(candidates: readonly SimNode[], rng: Rng, cluster: SimCluster): SimNode {
  let best: SimNode[] = [];
  let bestScore = -Infinity;
  for (const n of candidates) {
    const score = Math.floor((cluster.freeCores(n) / n.logicalCpus) * 100);
    if (score > bestScore) {
      bestScore = score;
      best = [n];
    } else if (score === bestScore) best.push(n);
  }
  return best[rng.int(0, best.length - 1)]!;
}

export function createLeastAllocatedPolicy(seed: number): PlacementPolicy {
  const rng = createRng(seedFrom(seed, "policy", "least-allocated"));
  return { name: "default", choose: (_pod, candidates, ctx) => pickLeastAllocated(candidates, rng, ctx.cluster).name };
}

export function createRandomPolicy(seed: number): PlacementPolicy {
  const rng = createRng(seedFrom(seed, "policy", "random"));
  return { name: "random", choose: (_pod, candidates) => candidates[rng.int(0, candidates.length - 1)]!.name };
}

/** Memory-bandwidth utilisation (fraction of peak) as node telemetry shows it, or undefined when the node has no IMC/MBM counters. */
export function observedMemBandwidthFraction(cluster: SimCluster, n: SimNode): number | undefined {
  if (!n.variant.uncoreImc && !n.variant.resctrl) return undefined;
  return cluster.solution(n).memBandwidthUtilization;
}

export const DEFAULT_MEM_BANDWIDTH_THRESHOLD = 0.5;

/**
 * A telemetry-aware scheduler as deployed today: drop nodes whose memory bandwidth is above a
 * threshold (nodes that do not report it are kept), then least allocated among the rest.
 */
export function createThresholdPolicy(seed: number, threshold = DEFAULT_MEM_BANDWIDTH_THRESHOLD): PlacementPolicy {
  if (!(threshold > 0 && threshold <= 1)) throw new RangeError(`threshold must be in (0, 1], got ${threshold}`);
  const rng = createRng(seedFrom(seed, "policy", "threshold"));
  return {
    name: "threshold",
    choose: (_pod, candidates, ctx) => {
      const ok = candidates.filter((n) => {
        const bw = observedMemBandwidthFraction(ctx.cluster, n);
        return bw === undefined || bw <= threshold;
      });
      return pickLeastAllocated(ok.length > 0 ? ok : candidates, rng, ctx.cluster).name;
    },
  };
}

/** Tries the pod on every candidate in the simulator and takes the truly best (least slowdown; ties: least allocated). */
export function createOraclePolicy(seed: number): PlacementPolicy {
  const rng = createRng(seedFrom(seed, "policy", "oracle"));
  return {
    name: "oracle",
    choose: (pod, candidates, ctx) => {
      const w = ctx.cluster.workload(pod.workloadClass);
      let best: SimNode[] = [];
      let bestSlowdown = Infinity;
      for (const n of candidates) {
        const s = ctx.cluster.probeSlowdown(n, w);
        if (s < bestSlowdown - 1e-12) {
          bestSlowdown = s;
          best = [n];
        } else if (Math.abs(s - bestSlowdown) <= 1e-12) best.push(n);
      }
      return pickLeastAllocated(best, rng, ctx.cluster).name;
    },
  };
}

export const BUILTIN_POLICIES: Readonly<Record<string, PolicyFactory>> = Object.freeze({
  default: createLeastAllocatedPolicy,
  random: createRandomPolicy,
  threshold: (seed: number) => createThresholdPolicy(seed),
  oracle: createOraclePolicy,
});
