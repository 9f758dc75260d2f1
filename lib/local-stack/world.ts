// The simulated cluster the local stack runs on: SPR nodes of several variants, noisy neighbours
// arriving and leaving (lib/sim's NodeScenario, time compressed to the run), and the CNF pods the
// driver places. It owns the ground truth: the slowdown a pod really gets (the simulator's oracle).
// Two worlds built from the same seed see exactly the same neighbour churn, whatever is placed in
// them, so OverSeer's placements and the default scheduler's can be compared on the same scenario.
import type { ResidentWorkload } from "../../gen/overseer/v1/node_state.js";
import {
  createRng,
  createSimNode,
  probeSlowdown,
  seedFrom,
  simulateInterval,
  VARIANT_NAMES,
  type IntervalResult,
  type SimNode,
  type SimResident,
  type Workload,
  type WorkloadCatalog,
} from "../sim/index.js";
import { NodeScenario, type ScenarioOptions } from "../sim/scenario.js";

/** Logical CPUs the neighbours leave free for CNFs on every node. */
export const CNF_RESERVED_CPUS = 96;
/** Memory a pod requests per logical CPU (only used for the least-allocated score). */
export const MEMORY_BYTES_PER_CPU = 4 * 1024 ** 3;

/** Granularity of the neighbour churn. */
export const CHURN_STEP_SEC = 0.25;

export interface PlacedCnf {
  podName: string;
  podNamespace: string;
  podUid: string;
  workload: Workload;
  cores: number;
  nodeName: string;
  placedAtSec: number;
}

export interface WorldNode {
  name: string;
  variant: string;
  sim: SimNode;
  scenario: NodeScenario;
  placed: PlacedCnf[];
}

export interface WorldOptions {
  nodes: number;
  seed: number;
  /** Scenario length: neighbour churn is scaled so that several arrive and leave during it. */
  durationSec: number;
}

export function nodeName(i: number): string {
  return `spr-node-${String(i + 1).padStart(2, "0")}`;
}

/** Neighbour churn scaled to the run: about four arrivals per node, each staying about half the run. */
export function churnOptions(durationSec: number, logicalCpus: number): ScenarioOptions {
  const clamp = (v: number, lo: number, hi: number) => Math.min(hi, Math.max(lo, v));
  return {
    neighbourArrivalMeanGapSec: clamp(durationSec / 4, 2, 120),
    neighbourMeanLifetimeSec: clamp(durationSec / 2, 4, 300),
    cnfMeanLifetimeSec: 1e9,
    maxCnfs: 0,
    reservedCpus: CNF_RESERVED_CPUS,
    logicalCpus,
  };
}

export class SimWorld {
  readonly nodes: WorldNode[] = [];
  private readonly byName = new Map<string, WorldNode>();
  /** Noisy neighbours that arrived and left since the start. */
  readonly churn = { arrived: 0, left: 0 };
  private churnSec = 0;

  constructor(
    readonly catalog: WorkloadCatalog,
    opts: WorldOptions,
  ) {
    for (let i = 0; i < opts.nodes; i++) {
      const name = nodeName(i);
      const variant = VARIANT_NAMES[i % VARIANT_NAMES.length]!;
      const sim = createSimNode({ name, variant, seed: opts.seed });
      const neighbours = catalog.neighbours.map((w) => w.class);
      const scenario = new NodeScenario(
        name,
        catalog,
        { ...churnOptions(opts.durationSec, sim.spec.logicalCpus), weights: new Map(neighbours.map((c) => [c, 1])) },
        createRng(seedFrom(opts.seed, "local-stack-churn", name)),
      );
      const node = { name, variant, sim, scenario, placed: [] };
      this.nodes.push(node);
      this.byName.set(name, node);
    }
  }

  node(name: string): WorldNode {
    const n = this.byName.get(name);
    if (!n) throw new Error(`no simulated node "${name}"`);
    return n;
  }

  /**
   * Moves the neighbour churn to `tSec` (seconds since the scenario started) in fixed steps of
   * CHURN_STEP_SEC, so that twin worlds advanced at different moments pass through exactly the same
   * states (an arrival's fit depends on who has left by then). Returns the nodes whose mix changed.
   */
  advanceTo(tSec: number): string[] {
    const changed = new Set<string>();
    while (this.churnSec + CHURN_STEP_SEC <= tSec + 1e-9) {
      this.churnSec += CHURN_STEP_SEC;
      for (const n of this.nodes) {
        const before = new Set(n.scenario.residents.map((r) => r.podUid));
        if (!n.scenario.advanceTo(this.churnSec)) continue;
        changed.add(n.name);
        const after = new Set(n.scenario.residents.map((r) => r.podUid));
        for (const uid of after) if (!before.has(uid)) this.churn.arrived++;
        for (const uid of before) if (!after.has(uid)) this.churn.left++;
      }
    }
    return [...changed];
  }

  /** Neighbours first, then the placed CNFs in placement order. */
  residents(name: string): SimResident[] {
    const n = this.node(name);
    return [...n.scenario.residents.map((r) => ({ workload: r.workload, cores: r.cores })), ...n.placed.map((p) => ({ workload: p.workload, cores: p.cores }))];
  }

  neighbourCount(name: string): number {
    return this.node(name).scenario.residents.length;
  }

  allocatableCpus(name: string): number {
    return this.node(name).sim.spec.logicalCpus;
  }

  requestedCpus(name: string): number {
    const n = this.node(name);
    let c = 0;
    for (const r of n.scenario.residents) c += r.cores;
    for (const p of n.placed) c += p.cores;
    return c;
  }

  /** The slowdown `workload` would really get if placed on `name` now (oracle, no state change). */
  trueSlowdownIfPlaced(name: string, workload: Workload, cores = workload.cores): number {
    return probeSlowdown(this.node(name).sim, this.residents(name), workload, cores).slowdown;
  }

  place(p: PlacedCnf): void {
    this.node(p.nodeName).placed.push(p);
  }

  /** One measurement window of a node: the counters an agent would read, plus the ground truth. */
  simulate(name: string, windowSec: number): IntervalResult {
    return simulateInterval(this.node(name).sim, this.residents(name), { windowSec });
  }

  /** The slowdown every placed CNF has now (neighbours and later placements included). */
  currentSlowdowns(): Map<string, number> {
    const out = new Map<string, number>();
    for (const n of this.nodes) {
      if (n.placed.length === 0) continue;
      const truth = simulateInterval(n.sim, this.residents(n.name), { windowSec: 1 }).groundTruth;
      const offset = n.scenario.residents.length;
      n.placed.forEach((p, i) => out.set(p.podUid, truth.workloads[offset + i]!.slowdown));
    }
    return out;
  }

  /** Residents as an agent would publish them in NodeState.residents. */
  residentWorkloads(name: string, nowMs: number, startMs: number): ResidentWorkload[] {
    const n = this.node(name);
    const at = (sec: number) => new Date(startMs + Math.max(0, sec) * 1000);
    return [
      ...n.scenario.residents.map((r) => ({
        podNamespace: r.podNamespace,
        podName: r.podName,
        podUid: r.podUid,
        workloadClass: r.workload.class,
        isCnf: false,
        placedAt: at(r.placedAtSec),
      })),
      ...n.placed.map((p) => ({
        podNamespace: p.podNamespace,
        podName: p.podName,
        podUid: p.podUid,
        workloadClass: p.workload.class,
        isCnf: true,
        placedAt: new Date(Math.min(nowMs, startMs + p.placedAtSec * 1000)),
      })),
    ];
  }
}
