// One CounterSample -> one NodeState. Pure: no I/O, no clock.
import type { CounterSource as CounterSourceKind, NodeState, PmuFacts, ResidentWorkload } from "../../gen/overseer/v1/node_state.js";
import type { NodeCapacity } from "../features/counters.js";
import { deriveFeatures, type DerivedFeatures } from "../features/derive.js";
import { toFeatureVector } from "../features/feature-vector.js";
import type { CounterSample } from "./counter-source.js";

export interface StateContext {
  nodeName: string;
  agentId: string;
  source: CounterSourceKind;
  agentStartedAt: Date;
  pmu: PmuFacts;
  capacity: NodeCapacity;
  residents?: ResidentWorkload[];
  minPercentCounted?: number;
}

export interface BuiltState {
  state: NodeState;
  derived: DerivedFeatures;
}

export function buildNodeState(ctx: StateContext, sample: CounterSample, sequence: number): BuiltState {
  const derived = deriveFeatures(sample.counters, sample.windowSec, ctx.capacity, ctx.minPercentCounted === undefined ? {} : { minPercentCounted: ctx.minPercentCounted });
  const state: NodeState = {
    nodeName: ctx.nodeName,
    agentId: ctx.agentId,
    sequence,
    observedAt: sample.observedAt,
    features: toFeatureVector(derived, sample.windowSec),
    pmu: ctx.pmu,
    regime: undefined,
    residents: ctx.residents ?? [],
    source: ctx.source,
    agentStartedAt: ctx.agentStartedAt,
  };
  return { state, derived };
}

/** A builder that numbers states 1, 2, 3, ... */
export function createStateBuilder(ctx: StateContext) {
  let sequence = 0;
  return {
    build(sample: CounterSample): BuiltState {
      sequence++;
      return buildNodeState(ctx, sample, sequence);
    },
    get sequence() {
      return sequence;
    },
    context: ctx,
  };
}
