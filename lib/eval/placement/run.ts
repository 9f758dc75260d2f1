// Plays a scenario's events against one policy, and several policies side by side on the same
// scenario. Every run starts from a fresh cluster, so policies never see each other's placements.
import type { WorkloadCatalog } from "../../sim/catalog.js";
import { SPR_8480_2S, type NodeSpec } from "../../sim/node-spec.js";
import { SimCluster, type SimNode } from "./cluster.js";
import { gapClosedFraction, summarisePolicy, type PodOutcome, type PolicySummary } from "./metrics.js";
import type { PlacementPolicy, PolicyFactory } from "./policies.js";
import type { Scenario } from "./scenario.js";

export interface PolicyRun {
  summary: PolicySummary;
  outcomes: PodOutcome[];
}

export interface RunOptions {
  spec?: NodeSpec;
  /** Called after each pod decision: (pods decided so far, total pods). */
  onProgress?: (done: number, total: number) => void;
}

export class PolicyError extends Error {}

export async function runPolicy(scenario: Scenario, catalog: WorkloadCatalog, policy: PlacementPolicy, opts: RunOptions = {}): Promise<PolicyRun> {
  const started = performance.now();
  const cluster = new SimCluster(opts.spec ?? SPR_8480_2S, catalog, scenario.nodes, scenario.options.seed);
  const changed = new Set<SimNode>();
  const outcomes: PodOutcome[] = [];
  let unschedulable = 0;
  let decided = 0;
  for (const e of scenario.events) {
    switch (e.kind) {
      case "tenant-arrive":
        cluster.add(e.node, { id: e.tenantId, workload: cluster.workload(e.workloadClass), cores: e.cores, isCnf: false });
        changed.add(cluster.node(e.node));
        break;
      case "tenant-leave": {
        const n = cluster.remove(e.tenantId, e.node);
        if (n) changed.add(n);
        break;
      }
      case "pod-leave": {
        const n = cluster.remove(e.podName);
        if (n) changed.add(n);
        break;
      }
      case "pod-arrive": {
        const pod = e.pod;
        const w = cluster.workload(pod.workloadClass);
        const candidates = cluster.nodes.filter((n) => cluster.freeCores(n) >= pod.cores);
        decided++;
        if (candidates.length === 0) {
          unschedulable++;
        } else {
          const ctx = { cluster, timeSec: e.timeSec, changedNodes: changed };
          const chosen = await policy.choose(pod, candidates, ctx);
          const node = cluster.byName.get(chosen);
          if (!node || !candidates.includes(node)) throw new PolicyError(`policy "${policy.name}" chose "${chosen}", which is not a candidate for ${pod.name}`);
          const slowdown = cluster.probeSlowdown(node, w);
          outcomes.push({ pod: pod.name, workloadClass: pod.workloadClass, node: node.name, slowdown, maxSlowdown: pod.maxSlowdown });
          cluster.add(node.name, { id: pod.name, workload: w, cores: pod.cores, isCnf: true });
          changed.clear();
          changed.add(node);
          await policy.placed?.(pod, node, ctx);
        }
        opts.onProgress?.(decided, scenario.pods.length);
        break;
      }
    }
  }
  return { summary: summarisePolicy(policy.name, outcomes, unschedulable, performance.now() - started), outcomes };
}

export interface PlacementComparison {
  scenario: { seed: number; nodeCount: number; podCount: number; variants: Record<string, number>; tenantEvents: number };
  policies: PolicySummary[];
  /** Per policy: share of the default-to-oracle gap in mean slowdown it closes. */
  gapClosed: Record<string, number | null>;
  /** Per policy and workload class: mean slowdown. */
  perClassMeanSlowdown: Record<string, Record<string, number>>;
  synthetic: true;
}

export interface ComparisonOptions extends RunOptions {
  onPolicyStart?: (name: string) => void;
  onPolicyDone?: (summary: PolicySummary) => void;
}

/** Runs each policy on the same scenario, one after the other (fresh cluster each). */
export async function comparePolicies(
  scenario: Scenario,
  catalog: WorkloadCatalog,
  factories: readonly PolicyFactory[],
  opts: ComparisonOptions = {},
): Promise<{ comparison: PlacementComparison; runs: PolicyRun[] }> {
  const runs: PolicyRun[] = [];
  for (const make of factories) {
    const policy = await make(scenario.options.seed);
    opts.onPolicyStart?.(policy.name);
    try {
      const run = await runPolicy(scenario, catalog, policy, opts);
      runs.push(run);
      opts.onPolicyDone?.(run.summary);
    } finally {
      await policy.close?.();
    }
  }
  return { comparison: buildComparison(scenario, runs), runs };
}

export function buildComparison(scenario: Scenario, runs: readonly PolicyRun[]): PlacementComparison {
  const byName = new Map(runs.map((r) => [r.summary.policy, r.summary]));
  const def = byName.get("default");
  const oracle = byName.get("oracle");
  const gapClosed: Record<string, number | null> = {};
  for (const r of runs) {
    gapClosed[r.summary.policy] = def && oracle ? (gapClosedFraction(def.meanSlowdown, r.summary.meanSlowdown, oracle.meanSlowdown) ?? null) : null;
  }
  const perClassMeanSlowdown: Record<string, Record<string, number>> = {};
  for (const r of runs) {
    const acc = new Map<string, { s: number; n: number }>();
    for (const o of r.outcomes) {
      const a = acc.get(o.workloadClass) ?? { s: 0, n: 0 };
      a.s += o.slowdown;
      a.n++;
      acc.set(o.workloadClass, a);
    }
    perClassMeanSlowdown[r.summary.policy] = Object.fromEntries([...acc].sort().map(([k, a]) => [k, a.s / a.n]));
  }
  const variants: Record<string, number> = {};
  for (const n of scenario.nodes) variants[n.variant] = (variants[n.variant] ?? 0) + 1;
  return {
    scenario: {
      seed: scenario.options.seed,
      nodeCount: scenario.nodes.length,
      podCount: scenario.pods.length,
      variants,
      tenantEvents: scenario.events.filter((e) => e.kind === "tenant-arrive" || e.kind === "tenant-leave").length,
    },
    policies: runs.map((r) => r.summary),
    gapClosed,
    perClassMeanSlowdown,
    synthetic: true,
  };
}
