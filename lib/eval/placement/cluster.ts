// The simulated cluster's true state during a benchmark run: who runs where, and the true
// slowdown a pod would have on a node (the simulator's contention model, not a prediction).
import type { Workload, WorkloadCatalog } from "../../sim/catalog.js";
import type { ContentionSolution } from "../../sim/contention.js";
import { createSimNode, probeSlowdown, solveNode, type SimNode as SimulatorNode } from "../../sim/node.js";
import type { NodeSpec, NodeVariant } from "../../sim/node-spec.js";
import { SYSTEM_RESERVED_CPUS, type ScenarioNode } from "./scenario.js";

export interface Resident {
  id: string;
  workload: Workload;
  cores: number;
  isCnf: boolean;
}

export interface SimNode {
  name: string;
  index: number;
  variant: NodeVariant;
  logicalCpus: number;
  residents: Resident[];
  allocatedCores: number;
  /** Bumped on every change of residents (cache key). */
  version: number;
  /** The simulator's node (spec, variant, seeded counter noise, solved-state cache). */
  sim: SimulatorNode;
}

export class ClusterError extends Error {}

export class SimCluster {
  readonly nodes: SimNode[];
  readonly byName = new Map<string, SimNode>();
  private readonly podLocation = new Map<string, SimNode>();
  probeCount = 0;

  constructor(
    readonly spec: NodeSpec,
    readonly catalog: WorkloadCatalog,
    nodes: readonly ScenarioNode[],
    seed = 1,
  ) {
    this.nodes = nodes.map((n, index) => {
      const sim = createSimNode({ name: n.name, variant: n.variant, seed, spec });
      return { name: n.name, index, variant: sim.variant, logicalCpus: n.logicalCpus, residents: [], allocatedCores: SYSTEM_RESERVED_CPUS, version: 0, sim };
    });
    for (const n of this.nodes) this.byName.set(n.name, n);
  }

  node(name: string): SimNode {
    const n = this.byName.get(name);
    if (!n) throw new ClusterError(`unknown node "${name}"`);
    return n;
  }

  workload(cls: string): Workload {
    const w = this.catalog.byClass.get(cls);
    if (!w) throw new ClusterError(`unknown workload class "${cls}"`);
    return w;
  }

  freeCores(n: SimNode): number {
    return n.logicalCpus - n.allocatedCores;
  }

  add(nodeName: string, r: Resident): void {
    const n = this.node(nodeName);
    if (r.isCnf) {
      if (this.podLocation.has(r.id)) throw new ClusterError(`pod "${r.id}" is already placed`);
      this.podLocation.set(r.id, n);
    }
    n.residents.push(r);
    n.allocatedCores += r.cores;
    n.version++;
  }

  /** Removes a resident by id; returns the node it was on (undefined when not found). */
  remove(id: string, nodeName?: string): SimNode | undefined {
    const n = nodeName !== undefined ? this.node(nodeName) : this.podLocation.get(id);
    if (!n) return undefined;
    const i = n.residents.findIndex((r) => r.id === id);
    if (i < 0) return undefined;
    const [r] = n.residents.splice(i, 1);
    n.allocatedCores -= r!.cores;
    n.version++;
    this.podLocation.delete(id);
    return n;
  }

  /** The node's solved contention state with its current residents (the simulator caches it). */
  solution(n: SimNode): ContentionSolution {
    return solveNode(n.sim, n.residents);
  }

  /** True slowdown factor (solo / actual throughput) of one more pod of `w` on node `n`, now (the simulator's probe). */
  probeSlowdown(n: SimNode, w: Workload): number {
    this.probeCount++;
    return Math.max(1, probeSlowdown(n.sim, n.residents, w).slowdown);
  }
}
