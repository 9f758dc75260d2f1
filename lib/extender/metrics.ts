// Prometheus metrics of the extender (prom-client), registered on the registry passed in.
import { Counter, Gauge, Histogram, type Registry } from "prom-client";
import { CIRCUIT_STATE_VALUE, type CircuitState } from "./circuit-breaker.js";

export type Verb = "filter" | "prioritize";
/** How an answer was reached. */
export type DecisionOutcome = "scored" | "passthrough" | "no_limit" | "degraded" | "error";
export type DegradedReason = "backend_error" | "deadline" | "circuit_open" | "backend_rejected";

/** Seconds; kube-scheduler's default httpTimeout is 5 s, so the top buckets show near-timeouts. */
export const LATENCY_BUCKETS_SECONDS = [0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2, 5];

export interface ExtenderMetrics {
  requestDuration: Histogram<"verb" | "code">;
  backendDuration: Histogram<"method">;
  decisions: Counter<"verb" | "outcome">;
  degraded: Counter<"verb" | "reason">;
  badRequests: Counter<"verb" | "code">;
  annotationProblems: Counter<"annotation">;
  circuitState: Gauge;
  candidates: Histogram<"verb">;
  setCircuitState(state: CircuitState): void;
}

export function createExtenderMetrics(registry: Registry): ExtenderMetrics {
  const registers = [registry];
  const circuitState = new Gauge({
    name: "overseer_extender_circuit_state",
    help: "Circuit breaker state towards scorer-svc: 0 closed, 1 half-open, 2 open",
    registers,
  });
  circuitState.set(0);
  return {
    requestDuration: new Histogram({
      name: "overseer_extender_request_duration_seconds",
      help: "Time to answer an extender call, by verb and HTTP status code",
      labelNames: ["verb", "code"],
      buckets: LATENCY_BUCKETS_SECONDS,
      registers,
    }),
    backendDuration: new Histogram({
      name: "overseer_extender_backend_call_duration_seconds",
      help: "Time of calls to scorer-svc (failed ones included)",
      labelNames: ["method"],
      buckets: LATENCY_BUCKETS_SECONDS,
      registers,
    }),
    decisions: new Counter({
      name: "overseer_extender_decisions_total",
      help: "Answered extender calls by outcome: scored (scorer-svc answered), passthrough (not a CNF), no_limit (filter of a CNF without overseer.io/max-slowdown: no call), degraded (scorer-svc unusable, neutral answer), error (non-200 because --on-backend-error=error)",
      labelNames: ["verb", "outcome"],
      registers,
    }),
    degraded: new Counter({
      name: "overseer_extender_degraded_total",
      help: "Calls where scorer-svc could not be used, by reason (the answer was neutral or an error)",
      labelNames: ["verb", "reason"],
      registers,
    }),
    badRequests: new Counter({
      name: "overseer_extender_bad_requests_total",
      help: "Requests refused before a decision (400, 404, 405, 413, 415)",
      labelNames: ["verb", "code"],
      registers,
    }),
    annotationProblems: new Counter({
      name: "overseer_extender_annotation_problems_total",
      help: "Pod annotations/labels with invalid values that were ignored",
      labelNames: ["annotation"],
      registers,
    }),
    candidates: new Histogram({
      name: "overseer_extender_candidate_nodes",
      help: "Candidate nodes per extender call",
      labelNames: ["verb"],
      buckets: [1, 10, 50, 100, 500, 1000, 2500, 5000, 10000],
      registers,
    }),
    circuitState,
    setCircuitState: (state) => circuitState.set(CIRCUIT_STATE_VALUE[state]),
  };
}
