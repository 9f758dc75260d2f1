// The agent's Prometheus metrics, on its own registry.
import { Counter, Gauge, Histogram, Registry } from "prom-client";

export function createAgentMetrics() {
  const registry = new Registry();
  const m = {
    registry,
    intervals: new Counter({ name: "overseer_agent_intervals_total", help: "Measurement windows collected and turned into NodeStates", labelNames: ["source"], registers: [registry] }),
    parseErrors: new Counter({ name: "overseer_agent_parse_errors_total", help: "perf output lines that could not be parsed (skipped)", registers: [registry] }),
    missingEvents: new Gauge({ name: "overseer_agent_missing_events", help: "Catalog events this node cannot count", registers: [registry] }),
    eventMissing: new Gauge({ name: "overseer_agent_event_missing", help: "1 for every catalog event this node cannot count, with the reason", labelNames: ["event", "reason"], registers: [registry] }),
    featuresAbsent: new Gauge({ name: "overseer_agent_features_absent", help: "Features absent in the newest NodeState", registers: [registry] }),
    publishFailures: new Counter({ name: "overseer_agent_publish_failures_total", help: "Failed publish attempts (connect, stream, api, write)", labelNames: ["publisher", "reason"], registers: [registry] }),
    publishLatency: new Histogram({
      name: "overseer_agent_publish_latency_seconds",
      help: "Time from a NodeState being built to its delivery by a publisher",
      labelNames: ["publisher"],
      buckets: [0.001, 0.005, 0.01, 0.05, 0.1, 0.5, 1, 5, 10, 30],
      registers: [registry],
    }),
    superseded: new Counter({ name: "overseer_agent_states_superseded_total", help: "NodeStates replaced by a newer one before a publisher could send them", labelNames: ["publisher"], registers: [registry] }),
    perfRestarts: new Counter({ name: "overseer_agent_perf_restarts_total", help: "Restarts of the perf child after it exited unexpectedly", registers: [registry] }),
    lastSequence: new Gauge({ name: "overseer_agent_last_sequence", help: "Sequence number of the newest NodeState", registers: [registry] }),
  };
  return m;
}

export type AgentMetrics = ReturnType<typeof createAgentMetrics>;
