// What each simulated node's agent would publish: one measurement window of the simulator's
// counters through the real feature derivation, as an overseer.v1.NodeState.
import { CounterSource, type NodeState } from "../../../gen/overseer/v1/node_state.js";
import { deriveFeatures } from "../../features/derive.js";
import { toFeatureVector } from "../../features/feature-vector.js";
import { simulateInterval } from "../../sim/node.js";
import type { SimNode } from "./cluster.js";

export const CNF_NAMESPACE = "cnf";
export const TENANT_NAMESPACE = "tenants";

export interface AgentClock {
  /** Start of this agent incarnation (sequences restart when it changes). */
  startedAt: Date;
  /** Next sequence number per node. */
  sequences: Map<string, number>;
}

export function newAgentClock(startedAt = new Date()): AgentClock {
  return { startedAt, sequences: new Map() };
}

export function nodeStateOf(n: SimNode, clock: AgentClock, observedAt: Date, windowSec: number, nodeName = n.name): NodeState {
  const r = simulateInterval(n.sim, n.residents, { windowSec });
  const seq = (clock.sequences.get(nodeName) ?? 0) + 1;
  clock.sequences.set(nodeName, seq);
  return {
    nodeName,
    agentId: `overseer-eval/${nodeName}`,
    sequence: seq,
    observedAt,
    features: toFeatureVector(deriveFeatures(r.counters, windowSec, n.sim.capacity), windowSec),
    pmu: n.sim.pmu,
    regime: undefined,
    residents: n.residents.map((x) => ({
      podNamespace: x.isCnf ? CNF_NAMESPACE : TENANT_NAMESPACE,
      podName: x.id,
      podUid: `uid-${x.id}`,
      workloadClass: x.workload.class,
      isCnf: x.isCnf,
      placedAt: undefined,
    })),
    source: CounterSource.COUNTER_SOURCE_SIMULATOR,
    agentStartedAt: clock.startedAt,
  };
}
