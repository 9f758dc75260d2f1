// AgentService: the agent's current NodeState and capabilities over gRPC.
import { FeatureState } from "../../gen/overseer/v1/features.js";
import type { AgentServiceServer, GetCapabilitiesResponse, GetCurrentStateResponse } from "../../gen/overseer/v1/agent_service.js";
import type { CounterSource, NodeState, PmuFacts } from "../../gen/overseer/v1/node_state.js";
import { FEATURE_NAMES } from "../features/catalog.js";
import { FailedPreconditionError, unary } from "../grpc/errors.js";

export interface AgentView {
  current(): NodeState | undefined;
  source: CounterSource;
  pmu(): PmuFacts;
  intervalMs: number;
}

export function getCurrentState(view: AgentView): GetCurrentStateResponse {
  const state = view.current();
  if (!state) throw new FailedPreconditionError("no NodeState yet: the first measurement window has not ended");
  return { state };
}

export function getCapabilities(view: AgentView): GetCapabilitiesResponse {
  const state = view.current();
  const derivable: string[] = [];
  const underivable: string[] = [];
  const fv = state?.features;
  FEATURE_NAMES.forEach((name, i) => {
    if (!fv) underivable.push(`${name}: no window measured yet`);
    else if (fv.states[i] === FeatureState.FEATURE_STATE_PRESENT) derivable.push(name);
    else underivable.push(`${name}: ${fv.absenceDetails[i] ?? FeatureState[fv.states[i]!]}`);
  });
  return { source: view.source, pmu: view.pmu(), derivableFeatures: derivable, underivableFeatures: underivable, intervalMs: view.intervalMs };
}

export function createAgentServiceImpl(view: AgentView): AgentServiceServer {
  return {
    getCurrentState: unary(() => getCurrentState(view)),
    getCapabilities: unary(() => getCapabilities(view)),
  };
}
