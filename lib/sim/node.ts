// A simulated node: hardware spec + variant + seeded noise + a cache of the last solved state.
import type { Regime } from "../../gen/overseer/v1/regime.js";
import type { PmuFacts } from "../../gen/overseer/v1/node_state.js";
import type { IntervalCounters, NodeCapacity } from "../features/counters.js";
import { formatPerfStatInterval } from "../perf/perf-stat-emitter.js";
import type { Workload } from "./catalog.js";
import { BACKGROUND_WORKLOAD, solveContention, type ContentionSolution } from "./contention.js";
import { emitCounters } from "./counter-model.js";
import { turboFrequency, type FrequencyModel } from "./frequency.js";
import { getVariant, nodeCapacity, pmuFacts, SPR_8480_2S, type NodeSpec, type NodeVariant, type VariantName } from "./node-spec.js";
import { regimeOf } from "./regime.js";
import { createRng, seedFrom, type Rng } from "./rng.js";

/** A workload instance on a node. `cores` defaults to the catalog's. */
export interface SimResident {
  workload: Workload;
  cores?: number;
}

export interface SimNode {
  readonly name: string;
  readonly spec: NodeSpec;
  readonly variant: NodeVariant;
  readonly capacity: NodeCapacity;
  readonly pmu: PmuFacts;
  /** Noise generator (advanced by every simulateInterval). */
  readonly rng: Rng;
  /** Intervals simulated so far. */
  intervals: number;
  /** @internal cache of the last solved resident set (background first). */
  _ws: Workload[];
  _cores: number[];
  _solution: ContentionSolution | undefined;
  _probes: Map<number, ProbeResult>;
  _truth: GroundTruth | undefined;
  _truthOf: ContentionSolution | undefined;
}

export interface CreateSimNodeOptions {
  name?: string;
  variant?: VariantName | string;
  seed?: number;
  spec?: NodeSpec;
}

export function createSimNode(o: CreateSimNodeOptions = {}): SimNode {
  const spec = o.spec ?? SPR_8480_2S;
  const variant = getVariant(o.variant ?? "spr-full");
  const name = o.name ?? "sim-node-0";
  return {
    name,
    spec,
    variant,
    capacity: nodeCapacity(spec),
    pmu: pmuFacts(spec, variant),
    rng: createRng(seedFrom(o.seed ?? 1, name)),
    intervals: 0,
    _ws: [],
    _cores: [],
    _solution: undefined,
    _probes: new Map(),
    _truth: undefined,
    _truthOf: undefined,
  };
}

export interface WorkloadOutcome {
  workloadClass: string;
  cores: number;
  /** Units of work per second (packets for CNFs, see the catalog's `unit`). */
  throughput: number;
  throughputSolo: number;
  /** throughputSolo / throughput (1 = no slowdown). */
  slowdown: number;
}

export interface GroundTruth {
  regime: Regime;
  memBandwidthUtilization: number;
  memLatencyNs: number;
  llcDisplacedFraction: number;
  llcDemandRatio: number;
  busyCpuFraction: number;
  /** Observed core clock of this window. */
  coreHz: number;
  /** One entry per resident, in input order (the OS background is not listed). */
  workloads: WorkloadOutcome[];
}

export interface IntervalResult {
  counters: IntervalCounters;
  /** The perf events of `counters` as `perf stat -x';' -I -a` lines (with `perfText: true`). */
  perfLines?: string[];
  groundTruth: GroundTruth;
  solution: ContentionSolution;
}

export interface SimulateOptions {
  windowSec?: number;
  frequency?: FrequencyModel;
  /** Also format the perf events as `perf stat` text (slower; see lib/perf/perf-stat-emitter.ts). */
  perfText?: boolean;
  /** With perfText: perf's -x separator (default ';'). */
  perfSeparator?: string;
}

/** Solve (or reuse) the contention state of `residents` on `node`. */
export function solveNode(node: SimNode, residents: readonly SimResident[]): ContentionSolution {
  const n = residents.length + 1;
  let same = node._solution !== undefined && node._ws.length === n;
  if (same) {
    for (let i = 1; i < n; i++) {
      const r = residents[i - 1]!;
      if (node._ws[i] !== r.workload || node._cores[i] !== (r.cores ?? r.workload.cores)) {
        same = false;
        break;
      }
    }
  }
  if (same) return node._solution!;
  const ws = [BACKGROUND_WORKLOAD];
  const cores = [BACKGROUND_WORKLOAD.cores];
  for (const r of residents) {
    ws.push(r.workload);
    cores.push(r.cores ?? r.workload.cores);
  }
  node._ws = ws;
  node._cores = cores;
  node._solution = solveContention(node.spec, ws, cores);
  node._probes.clear();
  return node._solution;
}

/** Simulate one measurement window: counter deltas as perf/resctrl would report them, plus the ground truth. */
export function simulateInterval(node: SimNode, residents: readonly SimResident[], o: SimulateOptions = {}): IntervalResult {
  const windowSec = o.windowSec ?? 1;
  if (!(Number.isFinite(windowSec) && windowSec > 0)) throw new RangeError(`windowSec must be positive, got ${windowSec}`);
  const s = solveNode(node, residents);
  const coreHz = (o.frequency ?? turboFrequency)(s.busyLogicalCpus, node.spec);
  const counters = emitCounters(node.spec, node.variant, node._ws, node._cores, s, windowSec, coreHz, node.rng);
  node.intervals++;
  const perfLines = o.perfText
    ? formatPerfStatInterval(counters, { separator: o.perfSeparator, timestampSec: node.intervals * windowSec, windowSec, logicalCpus: node.spec.logicalCpus })
    : undefined;
  return { counters, perfLines, solution: s, groundTruth: groundTruthOf(node, s, coreHz) };
}

/** Ground truth of the solved state; reused (frozen) while the state and clock are unchanged. */
function groundTruthOf(node: SimNode, s: ContentionSolution, coreHz: number): GroundTruth {
  const cached = node._truth;
  if (cached && node._truthOf === s && cached.coreHz === coreHz) return cached;
  const workloads: WorkloadOutcome[] = [];
  for (let i = 1; i < s.n; i++) {
    const w = node._ws[i]!;
    const c = node._cores[i]!;
    const solo = soloThroughput(node.spec, w, c);
    const tp = s.instructionsPerSec[i]! / w.instructionsPerUnit;
    workloads.push(Object.freeze({ workloadClass: w.class, cores: c, throughput: tp, throughputSolo: solo, slowdown: solo / tp }));
  }
  const gt: GroundTruth = Object.freeze({
    regime: regimeOf(s, node.spec.logicalCpus),
    memBandwidthUtilization: s.memBandwidthUtilization,
    memLatencyNs: s.memLatencyNs,
    llcDisplacedFraction: s.llcDisplacedFraction,
    llcDemandRatio: s.llcDemandRatio,
    busyCpuFraction: s.busyLogicalCpus / node.spec.logicalCpus,
    coreHz,
    workloads: Object.freeze(workloads) as WorkloadOutcome[],
  });
  node._truth = gt;
  node._truthOf = s;
  return gt;
}

export interface ProbeResult {
  slowdown: number;
  throughput: number;
  throughputSolo: number;
}

/**
 * What the slowdown of one more pod of `workload` would be if it were placed on `node` with `residents`
 * (the probe is solved together with the residents; the node's state is not changed).
 */
export function probeSlowdown(node: SimNode, residents: readonly SimResident[], workload: Workload, cores = workload.cores): ProbeResult {
  solveNode(node, residents);
  const key = workload.id * 4096 + cores;
  const hit = workload.id >= 0 ? node._probes.get(key) : undefined;
  if (hit) return hit;
  const ws = [...node._ws, workload];
  const cs = [...node._cores, cores];
  const s = solveContention(node.spec, ws, cs);
  const throughput = s.instructionsPerSec[ws.length - 1]! / workload.instructionsPerUnit;
  const throughputSolo = soloThroughput(node.spec, workload, cores);
  const res = { slowdown: throughputSolo / throughput, throughput, throughputSolo };
  if (workload.id >= 0) node._probes.set(key, res);
  return res;
}

const soloCache = new WeakMap<NodeSpec, WeakMap<Workload, Map<number, ContentionSolution>>>();

/** The workload alone on a quiet node of `spec` (with the OS background). */
export function soloSolution(spec: NodeSpec, w: Workload, cores = w.cores): ContentionSolution {
  let bySpec = soloCache.get(spec);
  if (!bySpec) soloCache.set(spec, (bySpec = new WeakMap()));
  let byW = bySpec.get(w);
  if (!byW) bySpec.set(w, (byW = new Map()));
  let s = byW.get(cores);
  if (!s) {
    s = solveContention(spec, [BACKGROUND_WORKLOAD, w], [BACKGROUND_WORKLOAD.cores, cores]);
    byW.set(cores, s);
  }
  return s;
}

export function soloThroughput(spec: NodeSpec, w: Workload, cores = w.cores): number {
  return soloSolution(spec, w, cores).instructionsPerSec[1]! / w.instructionsPerUnit;
}
