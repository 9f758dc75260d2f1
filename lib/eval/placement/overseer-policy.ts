// OverSeer as a placement policy, through the real path: simulated agents publish NodeStates to
// scorer-svc (which classifies them through regime-svc), kube-scheduler's extender calls go over
// HTTP to the extender (filter, then prioritize), and the scheduler's choice is emulated as
// kube-scheduler makes it: LeastAllocated + extender score x 10 x weight, ties at random.
import { cnfPodObject, decodeFilterResult, decodePrioritizeResult, extenderArgs } from "../../local-stack/kube-objects.js";
import { chooseNode, type NodeLoad } from "../../local-stack/scheduler-emulation.js";
import { createRng, seedFrom } from "../../sim/rng.js";
import { ScorerFeed } from "../services/scorer-feed.js";
import type { SimCluster, SimNode } from "./cluster.js";
import { CNF_NAMESPACE, newAgentClock, nodeStateOf } from "./node-states.js";
import type { PlacementPolicy, PolicyFactory } from "./policies.js";

export interface OverseerPolicyOptions {
  scorerAddress: string;
  /** Base URL of the extender verbs (…/overseer). */
  extenderUrl: string;
  /** Extender weight in the scheduler profile (deploy/scheduler-config.yaml uses 6). */
  extenderWeight?: number;
  /** Agent window (simulated seconds). */
  windowSec?: number;
  classifyTimeoutMs?: number;
  httpTimeoutMs?: number;
}

export class ExtenderCallError extends Error {}

const MEMORY_BYTES_PER_CPU = 4 * 1024 ** 3;

async function post(url: string, body: unknown, timeoutMs: number): Promise<unknown> {
  const res = await fetch(url, { method: "POST", headers: { "content-type": "application/json" }, body: JSON.stringify(body), signal: AbortSignal.timeout(timeoutMs) });
  const text = await res.text();
  if (res.status !== 200) throw new ExtenderCallError(`POST ${url}: HTTP ${res.status}: ${text.slice(0, 300)}`);
  return JSON.parse(text);
}

function load(cluster: SimCluster, n: SimNode): NodeLoad {
  return { name: n.name, allocatableCpus: n.logicalCpus, requestedCpus: n.allocatedCores, allocatableMemoryBytes: n.logicalCpus * MEMORY_BYTES_PER_CPU, requestedMemoryBytes: n.allocatedCores * MEMORY_BYTES_PER_CPU };
}

export interface OverseerPolicyStats {
  decisions: number;
  /** The extender's filter removed every candidate; the pod was placed by priority among all of them. */
  filterRejectedAll: number;
  statesPublished: number;
  /** Wall time spent per stage, summed over decisions (ms). */
  publishMs: number;
  classifyWaitMs: number;
  filterMs: number;
  prioritizeMs: number;
}

export function createOverseerPolicyFactory(o: OverseerPolicyOptions, onStats?: (s: OverseerPolicyStats) => void): PolicyFactory {
  return (seed: number): PlacementPolicy => {
    const feed = new ScorerFeed(o.scorerAddress);
    const clock = newAgentClock(new Date());
    const rng = createRng(seedFrom(seed, "policy", "overseer"));
    const weight = o.extenderWeight ?? 6;
    const windowSec = o.windowSec ?? 10;
    const timeout = o.httpTimeoutMs ?? 10_000;
    const stats: OverseerPolicyStats = { decisions: 0, filterRejectedAll: 0, statesPublished: 0, publishMs: 0, classifyWaitMs: 0, filterMs: 0, prioritizeMs: 0 };
    let published = false;
    return {
      name: "overseer",
      async choose(pod, candidates, ctx) {
        const cluster = ctx.cluster;
        const changed = published ? [...ctx.changedNodes] : cluster.nodes;
        published = true;
        if (changed.length > 0) {
          const at = new Date();
          let t = performance.now();
          const res = await feed.ingest(changed.map((n) => nodeStateOf(n, clock, at, windowSec)));
          stats.statesPublished += changed.length;
          if (res.rejected > 0) throw new ExtenderCallError(`scorer-svc rejected ${res.rejected} simulated NodeState(s)`);
          stats.publishMs += performance.now() - t;
          t = performance.now();
          await feed.waitClassified(changed.map((n) => n.name), at, o.classifyTimeoutMs ?? 10_000);
          stats.classifyWaitMs += performance.now() - t;
        }
        const podObject = cnfPodObject(
          { name: pod.name, namespace: CNF_NAMESPACE, uid: `uid-${pod.name}`, workload: cluster.workload(pod.workloadClass), cores: pod.cores, maxSlowdown: pod.maxSlowdown },
          MEMORY_BYTES_PER_CPU,
          new Date(),
        );
        const names = candidates.map((n) => n.name);
        let t = performance.now();
        const filtered = decodeFilterResult(await post(`${o.extenderUrl}/filter`, extenderArgs(podObject, names), timeout));
        stats.filterMs += performance.now() - t;
        if (filtered.error) throw new ExtenderCallError(`extender filter error: ${filtered.error}`);
        let feasible = candidates.filter((n) => filtered.feasible.includes(n.name));
        if (feasible.length === 0) {
          stats.filterRejectedAll++;
          feasible = [...candidates];
        }
        t = performance.now();
        const scores = decodePrioritizeResult(await post(`${o.extenderUrl}/prioritize`, extenderArgs(podObject, feasible.map((n) => n.name)), timeout));
        stats.prioritizeMs += performance.now() - t;
        const choice = chooseNode(feasible.map((n) => load(cluster, n)), pod.cores, pod.cores * MEMORY_BYTES_PER_CPU, scores, weight, () => rng.next());
        stats.decisions++;
        return choice!.node;
      },
      close() {
        onStats?.({ ...stats });
        feed.close();
      },
    };
  };
}
