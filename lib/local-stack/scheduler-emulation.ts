// How kube-scheduler turns plugin and extender scores into a node, reduced to what differs between
// the simulated nodes: NodeResourcesFit's LeastAllocated score (cpu and memory, weight 1) plus the
// extender's score x (100 / MaxExtenderPriority) x weight; the highest total wins, ties broken at
// random (the scheduler samples uniformly among the best). Pure.

export const MAX_EXTENDER_PRIORITY = 10;

export interface NodeLoad {
  name: string;
  allocatableCpus: number;
  requestedCpus: number;
  allocatableMemoryBytes: number;
  requestedMemoryBytes: number;
}

/** LeastAllocated, 0..100: mean over cpu and memory of the free share after placing the pod. */
export function leastAllocatedScore(n: NodeLoad, podCpus: number, podMemoryBytes: number): number {
  const free = (alloc: number, req: number) => (alloc <= 0 ? 0 : Math.max(0, (alloc - req) / alloc));
  const cpu = free(n.allocatableCpus, n.requestedCpus + podCpus);
  const mem = free(n.allocatableMemoryBytes, n.requestedMemoryBytes + podMemoryBytes);
  return Math.floor(((cpu + mem) / 2) * 100);
}

/** NodeResourcesFit's filter: the pod's requests fit in what is left. */
export function fits(n: NodeLoad, podCpus: number, podMemoryBytes: number): boolean {
  return n.requestedCpus + podCpus <= n.allocatableCpus && n.requestedMemoryBytes + podMemoryBytes <= n.allocatableMemoryBytes;
}

export interface Choice {
  node: string;
  total: number;
}

/**
 * Picks a node among `feasible`: total = leastAllocated + extenderScore * 10 * weight
 * (extenderScores undefined = no extender, the default scheduler). `random` in [0, 1) breaks ties.
 */
export function chooseNode(
  feasible: readonly NodeLoad[],
  podCpus: number,
  podMemoryBytes: number,
  extenderScores: ReadonlyMap<string, number> | undefined,
  extenderWeight: number,
  random: () => number,
): Choice | undefined {
  let best: NodeLoad[] = [];
  let bestTotal = -Infinity;
  for (const n of feasible) {
    const ext = extenderScores ? (extenderScores.get(n.name) ?? 0) * (100 / MAX_EXTENDER_PRIORITY) * extenderWeight : 0;
    const total = leastAllocatedScore(n, podCpus, podMemoryBytes) + ext;
    if (total > bestTotal) {
      bestTotal = total;
      best = [n];
    } else if (total === bestTotal) best.push(n);
  }
  if (best.length === 0) return undefined;
  const pick = best[Math.min(best.length - 1, Math.floor(random() * best.length))]!;
  return { node: pick.name, total: bestTotal };
}
