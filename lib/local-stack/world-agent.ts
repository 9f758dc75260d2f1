// One node agent inside the runner: lib/agent's parts (state builder, gRPC publisher to scorer-svc,
// AgentService, metrics) fed by the world source instead of perf. Each has its own gRPC port
// (reflection + health, so grpcurl works) and /metrics port, like the real agent process.
import { AgentServiceService } from "../../gen/overseer/v1/agent_service.js";
import type { NodeState } from "../../gen/overseer/v1/node_state.js";
import { createAgentServiceImpl } from "../agent/agent-service.js";
import { createAgentMetrics } from "../agent/metrics.js";
import { createGrpcPublisher } from "../agent/publishers/grpc-publisher.js";
import { createStateBuilder } from "../agent/state-builder.js";
import { startGrpcServer } from "../grpc/server.js";
import { startMetricsServer } from "../metrics/http-server.js";
import { FeatureState } from "../../gen/overseer/v1/features.js";
import { createWorldSource } from "./world-source.js";
import type { SimWorld } from "./world.js";

export interface WorldAgentOptions {
  world: SimWorld;
  nodeName: string;
  intervalMs: number;
  scorerAddress: string;
  /** Wall-clock start of the scenario (ms since epoch). */
  startMs: number;
  onLog?: (level: "info" | "warn" | "error", msg: string, fields?: Record<string, unknown>) => void;
}

export interface RunningWorldAgent {
  nodeName: string;
  grpcPort: number;
  metricsPort: number;
  statesPublished(): number;
  close(): Promise<void>;
}

export async function startWorldAgent(o: WorldAgentOptions): Promise<RunningWorldAgent> {
  const source = createWorldSource({ world: o.world, nodeName: o.nodeName, intervalMs: o.intervalMs, scenarioSec: () => (Date.now() - o.startMs) / 1000 });
  const caps = await source.init();
  const facts = caps.nodeFacts!;
  const metrics = createAgentMetrics();
  metrics.missingEvents.set(caps.missingEvents.length);
  for (const m of caps.missingEvents) metrics.eventMissing.set({ event: m.event, reason: FeatureState[m.reason] ?? String(m.reason) }, 1);
  const builder = createStateBuilder({
    nodeName: o.nodeName,
    agentId: `overseer-local/${o.nodeName}`,
    source: caps.kind,
    agentStartedAt: new Date(),
    pmu: facts.pmu,
    capacity: facts.capacity,
  });
  const publisher = createGrpcPublisher({
    address: o.scorerAddress,
    hooks: {
      log: o.onLog,
      onPublished: (p, latency) => metrics.publishLatency.observe({ publisher: p }, latency),
      onFailure: (p, reason) => metrics.publishFailures.inc({ publisher: p, reason }),
      onSuperseded: (p) => metrics.superseded.inc({ publisher: p }),
    },
  });
  let current: NodeState | undefined;
  let published = 0;
  const grpcServer = await startGrpcServer({
    address: "127.0.0.1:0",
    services: [
      {
        name: "overseer.v1.AgentService",
        definition: AgentServiceService,
        implementation: createAgentServiceImpl({ current: () => current, source: caps.kind, pmu: () => facts.pmu, intervalMs: o.intervalMs }),
      },
    ],
  });
  grpcServer.setServing("overseer.v1.AgentService", true);
  const metricsServer = await startMetricsServer({ host: "127.0.0.1", port: 0, registry: metrics.registry });
  source.start((sample) => {
    builder.context.residents = o.world.residentWorkloads(o.nodeName, Date.now(), o.startMs);
    const { state, derived } = builder.build(sample);
    current = state;
    metrics.intervals.inc({ source: "simulator" });
    metrics.lastSequence.set(state.sequence);
    metrics.featuresAbsent.set(derived.states.filter((s) => s !== FeatureState.FEATURE_STATE_PRESENT).length);
    publisher.publish(state);
    published++;
  });
  return {
    nodeName: o.nodeName,
    grpcPort: grpcServer.port,
    metricsPort: metricsServer.port,
    statesPublished: () => published,
    close: async () => {
      await source.stop();
      await publisher.close(1000);
      await grpcServer.shutdown(1000);
      await metricsServer.close();
    },
  };
}
