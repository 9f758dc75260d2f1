// Builds the agent's parts from its validated config: source, publishers, servers.
import { hostname } from "node:os";
import { AgentServiceService } from "../../gen/overseer/v1/agent_service.js";
import { startGrpcServer, type RunningGrpcServer } from "../grpc/server.js";
import { startMetricsServer, type RunningMetricsServer } from "../metrics/http-server.js";
import { startAgent, type LogFn, type RunningAgent } from "./agent.js";
import { createAgentServiceImpl } from "./agent-service.js";
import { checkAgentConfig, type AgentConfig } from "./config.js";
import type { CounterSource, SourceHooks } from "./counter-source.js";
import { createAgentMetrics, type AgentMetrics } from "./metrics.js";
import { readLocalNodeFacts } from "./node-facts.js";
import { createGrpcPublisher } from "./publishers/grpc-publisher.js";
import { createJsonlRecorder } from "./publishers/jsonl-recorder.js";
import { createKubePublisher } from "./publishers/kube-publisher.js";
import type { Publisher, PublisherHooks } from "./publishers/publisher.js";

export interface AssembledAgent {
  agent: RunningAgent;
  metrics: AgentMetrics;
  grpc?: RunningGrpcServer;
  metricsServer?: RunningMetricsServer;
  stop(): Promise<void>;
}

function splitHostPort(addr: string): { host: string; port: number } {
  const i = addr.lastIndexOf(":");
  return { host: addr.slice(0, i).replace(/^\[|\]$/g, ""), port: Number(addr.slice(i + 1)) };
}

/** Only the chosen source's code is loaded (the simulator's catalog and model cost memory). */
export async function createSource(cfg: AgentConfig, hooks: SourceHooks): Promise<CounterSource> {
  switch (cfg.source) {
    case "perf": {
      const { createPerfSource } = await import("./sources/perf-source.js");
      return createPerfSource({ perfPath: cfg.perfPath, intervalMs: cfg.interval, resctrlRoot: cfg.resctrlRoot, maxBackoffMs: cfg.perfMaxBackoff, hooks });
    }
    case "replay": {
      const { createReplaySource } = await import("./sources/replay-source.js");
      return createReplaySource({ path: cfg.replayFile, paceMs: cfg.replayPace ?? cfg.interval, loop: cfg.replayLoop, hooks });
    }
    case "sim": {
      const { createSimSource } = await import("./sources/sim-source.js");
      return createSimSource({ variant: cfg.simVariant, seed: cfg.simSeed, nodeName: cfg.nodeName, mix: cfg.simMix, windowSec: cfg.interval / 1000, paceMs: cfg.simPace ?? cfg.interval });
    }
    default:
      throw new Error(`unknown source ${cfg.source}`);
  }
}

async function createPublishers(cfg: AgentConfig, hooks: PublisherHooks): Promise<Publisher[]> {
  const pubs: Publisher[] = [];
  if (cfg.scorer !== "") pubs.push(createGrpcPublisher({ address: cfg.scorer, hooks }));
  if (cfg.kubeconfig !== "" || cfg.inCluster) {
    // Loaded only when asked for: @kubernetes/client-node is large.
    const { KubeConfig } = await import("@kubernetes/client-node");
    const { createNodeStateClient } = await import("../kube/nodestate-client.js");
    const kc = new KubeConfig();
    if (cfg.inCluster) kc.loadFromCluster();
    else kc.loadFromFile(cfg.kubeconfig);
    const client = createNodeStateClient({
      kubeConfig: kc,
      maxAttempts: cfg.kubeAttempts,
      onRetry: (attempt, err) => hooks.log?.("warn", "NodeState write retried", { attempt, error: err.message }),
    });
    pubs.push(createKubePublisher(client, hooks));
  }
  if (cfg.record !== "") pubs.push(createJsonlRecorder(cfg.record, hooks));
  return pubs;
}

export async function assembleAgent(cfgIn: AgentConfig, log: LogFn): Promise<AssembledAgent> {
  const cfg = checkAgentConfig(cfgIn);
  const metrics = createAgentMetrics();
  const sourceHooks: SourceHooks = {
    log,
    onParseErrors: (n, last) => {
      metrics.parseErrors.inc(n);
      log("warn", "unparsable perf output skipped", { lines: n, lastError: last });
    },
    onRestart: () => metrics.perfRestarts.inc(),
  };
  const pubHooks: PublisherHooks = {
    log,
    onPublished: (p, sec) => metrics.publishLatency.observe({ publisher: p }, sec),
    onFailure: (p, reason) => metrics.publishFailures.inc({ publisher: p, reason }),
    onSuperseded: (p) => metrics.superseded.inc({ publisher: p }),
  };
  const source = await createSource(cfg, sourceHooks);
  const publishers = await createPublishers(cfg, pubHooks);
  let metricsServer: RunningMetricsServer | undefined;
  if (cfg.metricsListen !== "") {
    const { host, port } = splitHostPort(cfg.metricsListen);
    metricsServer = await startMetricsServer({ host, port, registry: metrics.registry });
  }
  let agent: RunningAgent;
  try {
    agent = await startAgent({
      source,
      localFacts: () =>
        readLocalNodeFacts({
          memoryChannels: cfg.memoryChannels,
          channelBytesPerSec: cfg.channelBandwidth,
          peakMemoryBandwidthBytesPerSec: cfg.peakMemoryBandwidth,
          tscHz: cfg.tscHz,
          llcBytes: cfg.llcBytes,
          logicalCpus: cfg.logicalCpus,
        }),
      nodeName: cfg.nodeName,
      agentId: cfg.agentId || `${hostname()}:${process.pid}`,
      intervalMs: cfg.interval,
      publishers,
      metrics,
      log,
      minPercentCounted: cfg.minPercentCounted,
      maxIntervals: cfg.maxIntervals,
    });
  } catch (e) {
    await Promise.all(publishers.map((p) => p.close(0)));
    await metricsServer?.close();
    throw e;
  }
  let grpc: RunningGrpcServer | undefined;
  if (cfg.listen !== "") {
    const name = "overseer.v1.AgentService";
    grpc = await startGrpcServer({
      address: cfg.listen,
      services: [{ name, definition: AgentServiceService, implementation: createAgentServiceImpl({ current: agent.current, pmu: agent.pmu, source: agent.sourceKind, intervalMs: cfg.interval }) }],
    });
    grpc.setServing(name, true);
  }
  let stopping: Promise<void> | undefined;
  return {
    agent,
    metrics,
    grpc,
    metricsServer,
    stop() {
      stopping ??= (async () => {
        await agent.stop(cfg.shutdownGrace);
        await grpc?.shutdown(1000);
        await metricsServer?.close();
      })();
      return stopping;
    },
  };
}
