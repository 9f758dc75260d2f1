// A placement scenario: a simulated cluster (nodes, node variants, noisy tenants arriving and
// leaving) and a stream of CNF pods. Pure and deterministic: the same options give the same
// scenario, so every policy is measured on exactly the same arrivals (docs/eval.md).
import type { WorkloadCatalog } from "../../sim/catalog.js";
import { VARIANT_NAMES, type VariantName } from "../../sim/node-spec.js";
import { createRng, seedFrom, type Rng } from "../../sim/rng.js";

export interface ScenarioOptions {
  seed: number;
  nodeCount: number;
  podCount: number;
  /** Simulated seconds between two CNF pod arrivals. */
  podIntervalSec?: number;
  /** Mean number of noisy tenants resident on a node. */
  meanTenantsPerNode?: number;
  /** Mean tenant lifetime, in pod intervals. */
  meanTenantLifetimeIntervals?: number;
  /** Mean CNF pod lifetime, in pod intervals (0 = pods stay to the end). */
  meanPodLifetimeIntervals?: number;
  /** Logical CPUs per node that tenants may use at most (the rest is left to CNFs). */
  tenantCoreBudget?: number;
  /** Weights of the node variants (which events a node exposes). */
  variantWeights?: Partial<Record<VariantName, number>>;
  /** Weights of the neighbour classes among tenants (default: all neighbours, equal). */
  tenantClassWeights?: Record<string, number>;
  /** Weights of the CNF classes among pods (default: all CNFs, equal). */
  podClassWeights?: Record<string, number>;
  /** SLO limits drawn uniformly from this list (slowdown factors). */
  sloChoices?: readonly number[];
}

export interface ScenarioNode {
  name: string;
  variant: VariantName;
  logicalCpus: number;
}

export type ScenarioEvent =
  | { kind: "tenant-arrive"; timeSec: number; tenantId: string; node: string; workloadClass: string; cores: number }
  | { kind: "tenant-leave"; timeSec: number; tenantId: string; node: string }
  | { kind: "pod-arrive"; timeSec: number; pod: CnfPod }
  | { kind: "pod-leave"; timeSec: number; podName: string };

export interface CnfPod {
  name: string;
  workloadClass: string;
  cores: number;
  /** Largest acceptable slowdown factor. */
  maxSlowdown: number;
}

export interface Scenario {
  options: Required<Omit<ScenarioOptions, "tenantClassWeights" | "podClassWeights" | "variantWeights">> & {
    variantWeights: Record<string, number>;
    tenantClassWeights: Record<string, number>;
    podClassWeights: Record<string, number>;
  };
  nodes: ScenarioNode[];
  /** Sorted by time; at equal times leaves come before arrivals. */
  events: ScenarioEvent[];
  pods: CnfPod[];
  synthetic: true;
}

export class ScenarioError extends Error {}

const DEFAULTS = {
  podIntervalSec: 10,
  meanTenantsPerNode: 2.5,
  meanTenantLifetimeIntervals: 200,
  meanPodLifetimeIntervals: 0,
  tenantCoreBudget: 128,
  sloChoices: [1.15, 1.25, 1.4] as readonly number[],
};
const DEFAULT_VARIANT_WEIGHTS: Record<VariantName, number> = { "spr-full": 0.55, "spr-vm": 0.15, "spr-old-kernel": 0.15, "spr-mixed": 0.15 };
const LOGICAL_CPUS = 224;
/** Logical CPUs kept for the OS and kubelet. */
export const SYSTEM_RESERVED_CPUS = 2;

function pickWeighted<T extends string>(rng: Rng, weights: Record<T, number>): T {
  const entries = Object.entries(weights) as [T, number][];
  const total = entries.reduce((s, [, w]) => s + w, 0);
  let x = rng.next() * total;
  for (const [k, w] of entries) {
    x -= w;
    if (x < 0) return k;
  }
  return entries[entries.length - 1]![0];
}

function exponential(rng: Rng, mean: number): number {
  return -Math.log(1 - rng.next()) * mean;
}

function checkWeights(name: string, w: Record<string, number>, known: (k: string) => boolean): void {
  const keys = Object.keys(w);
  if (keys.length === 0) throw new ScenarioError(`${name} must not be empty`);
  let total = 0;
  for (const k of keys) {
    if (!known(k)) throw new ScenarioError(`${name}: unknown class "${k}"`);
    const v = w[k]!;
    if (!Number.isFinite(v) || v < 0) throw new ScenarioError(`${name}.${k} must be a finite number >= 0, got ${v}`);
    total += v;
  }
  if (total <= 0) throw new ScenarioError(`${name}: weights sum to 0`);
}

function positiveInt(name: string, v: number, max: number): void {
  if (!Number.isInteger(v) || v < 1 || v > max) throw new ScenarioError(`${name} must be an integer in [1, ${max}], got ${v}`);
}

export function createScenario(opts: ScenarioOptions, catalog: WorkloadCatalog): Scenario {
  if (!Number.isInteger(opts.seed) || opts.seed < 0) throw new ScenarioError(`seed must be a non-negative integer, got ${opts.seed}`);
  positiveInt("nodeCount", opts.nodeCount, 10_000);
  positiveInt("podCount", opts.podCount, 1_000_000);
  const o = { ...DEFAULTS, ...Object.fromEntries(Object.entries(opts).filter(([, v]) => v !== undefined)) } as ScenarioOptions & typeof DEFAULTS;
  for (const k of ["podIntervalSec", "meanTenantLifetimeIntervals"] as const) {
    if (!(Number.isFinite(o[k]) && o[k] > 0)) throw new ScenarioError(`${k} must be a positive number, got ${o[k]}`);
  }
  if (!(Number.isFinite(o.meanTenantsPerNode) && o.meanTenantsPerNode >= 0)) throw new ScenarioError(`meanTenantsPerNode must be >= 0, got ${o.meanTenantsPerNode}`);
  if (!(Number.isFinite(o.meanPodLifetimeIntervals) && o.meanPodLifetimeIntervals >= 0)) throw new ScenarioError(`meanPodLifetimeIntervals must be >= 0, got ${o.meanPodLifetimeIntervals}`);
  if (!Number.isInteger(o.tenantCoreBudget) || o.tenantCoreBudget < 0 || o.tenantCoreBudget > LOGICAL_CPUS - SYSTEM_RESERVED_CPUS) {
    throw new ScenarioError(`tenantCoreBudget must be an integer in [0, ${LOGICAL_CPUS - SYSTEM_RESERVED_CPUS}], got ${o.tenantCoreBudget}`);
  }
  if (o.sloChoices.length === 0 || o.sloChoices.some((s) => !(Number.isFinite(s) && s >= 1))) throw new ScenarioError(`sloChoices must be slowdown factors >= 1`);
  const variantWeights: Record<string, number> = { ...(opts.variantWeights ?? DEFAULT_VARIANT_WEIGHTS) };
  checkWeights("variantWeights", variantWeights, (k) => (VARIANT_NAMES as readonly string[]).includes(k));
  const tenantClassWeights = opts.tenantClassWeights ?? Object.fromEntries(catalog.neighbours.map((w) => [w.class, 1]));
  checkWeights("tenantClassWeights", tenantClassWeights, (k) => catalog.byClass.get(k)?.kind === "neighbour");
  const podClassWeights = opts.podClassWeights ?? Object.fromEntries(catalog.cnfs.map((w) => [w.class, 1]));
  checkWeights("podClassWeights", podClassWeights, (k) => catalog.byClass.get(k)?.kind === "cnf");

  const nodeRng = createRng(seedFrom(o.seed, "nodes"));
  const nodes: ScenarioNode[] = [];
  const width = Math.max(3, String(opts.nodeCount - 1).length);
  for (let i = 0; i < opts.nodeCount; i++) {
    nodes.push({ name: `node-${String(i).padStart(width, "0")}`, variant: pickWeighted(nodeRng, variantWeights) as VariantName, logicalCpus: LOGICAL_CPUS });
  }

  const interval = o.podIntervalSec;
  const horizon = opts.podCount * interval;
  const events: ScenarioEvent[] = [];

  // Noisy tenants: an initial population plus Poisson arrivals that keep it steady.
  const tenantRng = createRng(seedFrom(o.seed, "tenants"));
  const lifetimeSec = o.meanTenantLifetimeIntervals * interval;
  // Per node: end times and cores of its tenants, to keep under the tenant core budget.
  const resident: { end: number; cores: number }[][] = nodes.map(() => []);
  let tenantSeq = 0;
  const tryAddTenant = (t: number) => {
    const cls = pickWeighted(tenantRng, tenantClassWeights);
    const w = catalog.byClass.get(cls)!;
    const cores = tenantRng.int(w.coresMin, w.coresMax);
    const life = Math.max(interval, exponential(tenantRng, lifetimeSec));
    for (let attempt = 0; attempt < 4; attempt++) {
      const ni = tenantRng.int(0, nodes.length - 1);
      const list = resident[ni]!.filter((r) => r.end > t);
      resident[ni] = list;
      const used = list.reduce((s, r) => s + r.cores, 0);
      if (used + cores > o.tenantCoreBudget) continue;
      const id = `tenant-${tenantSeq++}`;
      list.push({ end: t + life, cores });
      events.push({ kind: "tenant-arrive", timeSec: t, tenantId: id, node: nodes[ni]!.name, workloadClass: cls, cores });
      if (t + life < horizon) events.push({ kind: "tenant-leave", timeSec: t + life, tenantId: id, node: nodes[ni]!.name });
      return;
    }
  };
  const initialTenants = Math.round(o.meanTenantsPerNode * nodes.length);
  for (let i = 0; i < initialTenants; i++) tryAddTenant(0);
  const arrivalRate = (o.meanTenantsPerNode * nodes.length) / lifetimeSec;
  if (arrivalRate > 0) {
    for (let t = exponential(tenantRng, 1 / arrivalRate); t < horizon; t += exponential(tenantRng, 1 / arrivalRate)) tryAddTenant(t);
  }

  // CNF pods: one per interval, starting half an interval in.
  const podRng = createRng(seedFrom(o.seed, "pods"));
  const pods: CnfPod[] = [];
  const podWidth = Math.max(4, String(opts.podCount - 1).length);
  for (let i = 0; i < opts.podCount; i++) {
    const cls = pickWeighted(podRng, podClassWeights);
    const w = catalog.byClass.get(cls)!;
    const pod: CnfPod = { name: `cnf-${String(i).padStart(podWidth, "0")}`, workloadClass: cls, cores: w.cores, maxSlowdown: o.sloChoices[podRng.int(0, o.sloChoices.length - 1)]! };
    pods.push(pod);
    const t = (i + 0.5) * interval;
    events.push({ kind: "pod-arrive", timeSec: t, pod });
    if (o.meanPodLifetimeIntervals > 0) {
      const end = t + Math.max(interval, exponential(podRng, o.meanPodLifetimeIntervals * interval));
      if (end < horizon) events.push({ kind: "pod-leave", timeSec: end, podName: pod.name });
    }
  }

  const order = (e: ScenarioEvent) => (e.kind === "tenant-leave" || e.kind === "pod-leave" ? 0 : 1);
  events.sort((a, b) => a.timeSec - b.timeSec || order(a) - order(b));
  const { variantWeights: _v, tenantClassWeights: _t, podClassWeights: _p, ...rest } = o;
  return {
    options: { ...(rest as Required<ScenarioOptions>), variantWeights, tenantClassWeights, podClassWeights },
    nodes,
    events,
    pods,
    synthetic: true,
  };
}
