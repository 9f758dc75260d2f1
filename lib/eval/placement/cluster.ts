// The simulated cluster's true state during a benchmark run: who runs where, and the true
// slowdown a pod would have on a node (the simulator's contention model, not a prediction).
import type { Workload, WorkloadCatalog } from "../../sim/catalog.js";
import { BACKGROUND_WORKLOAD, solveContention, type ContentionSolution } from "../../sim/contention.js";
import { getVariant, type NodeSpec, type NodeVariant } from "../../sim/node-spec.js";
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
}

export class ClusterError extends Error {}

export class SimCluster {
  readonly nodes: SimNode[];
  readonly byName = new Map<string, SimNode>();
  private readonly soloIps = new Map<string, number>();
  /** node index -> "version|class" -> slowdown. */
  private readonly probeCache: Map<string, number>[];
  private readonly stateCache: { version: number; solution: ContentionSolution }[] = [];
  private readonly podLocation = new Map<string, SimNode>();
  probeCount = 0;

  constructor(
    readonly spec: NodeSpec,
    readonly catalog: WorkloadCatalog,
    nodes: readonly ScenarioNode[],
  ) {
    this.nodes = nodes.map((n, index) => ({ name: n.name, index, variant: getVariant(n.variant), logicalCpus: n.logicalCpus, residents: [], allocatedCores: SYSTEM_RESERVED_CPUS, version: 0 }));
    for (const n of this.nodes) this.byName.set(n.name, n);
    this.probeCache = this.nodes.map(() => new Map());
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

  /** Throughput of `w` alone on an idle node (with the system background). */
  soloInstructionsPerSec(w: Workload): number {
    let v = this.soloIps.get(w.class);
    if (v === undefined) {
      v = solveContention(this.spec, [BACKGROUND_WORKLOAD, w], [1, w.cores]).instructionsPerSec[1]!;
      this.soloIps.set(w.class, v);
    }
    return v;
  }

  /** The node's solved contention state with its current residents. */
  solution(n: SimNode): ContentionSolution {
    const c = this.stateCache[n.index];
    if (c && c.version === n.version) return c.solution;
    const ws = [BACKGROUND_WORKLOAD, ...n.residents.map((r) => r.workload)];
    const cores = [1, ...n.residents.map((r) => r.cores)];
    const solution = solveContention(this.spec, ws, cores);
    this.stateCache[n.index] = { version: n.version, solution };
    return solution;
  }

  /** True slowdown factor (solo / actual throughput) of one more pod of `w` on node `n`, now. */
  probeSlowdown(n: SimNode, w: Workload): number {
    const cache = this.probeCache[n.index]!;
    const key = `${n.version}|${w.class}`;
    const hit = cache.get(key);
    if (hit !== undefined) return hit;
    if (cache.size > 64) cache.clear();
    this.probeCount++;
    const ws = [BACKGROUND_WORKLOAD, ...n.residents.map((r) => r.workload), w];
    const cores = [1, ...n.residents.map((r) => r.cores), w.cores];
    const s = solveContention(this.spec, ws, cores);
    const slowdown = Math.max(1, this.soloInstructionsPerSec(w) / s.instructionsPerSec[ws.length - 1]!);
    cache.set(key, slowdown);
    return slowdown;
  }

  /** Current slowdown of a placed CNF pod (its neighbours may have changed since placement). */
  currentSlowdown(podName: string): number | undefined {
    const n = this.podLocation.get(podName);
    if (!n) return undefined;
    const i = n.residents.findIndex((r) => r.id === podName);
    const s = this.solution(n);
    return Math.max(1, this.soloInstructionsPerSec(n.residents[i]!.workload) / s.instructionsPerSec[i + 1]!);
  }
}
