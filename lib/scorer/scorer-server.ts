// Assembles scorer-svc: bundle holder, NodeState store, regime batcher, metrics, gRPC server
// (reflection + health), /metrics, and (cluster mode) the NodeState custom resource watch.
import { Registry, collectDefaultMetrics } from "prom-client";
import { BundleHolder, type LogFn } from "../bundle/bundle-holder.js";
import { startGrpcServer } from "../grpc/server.js";
import { startMetricsServer } from "../metrics/http-server.js";
import { startBufferGc } from "../runtime/buffer-gc.js";
import { SCORER_FLAGS, type ScorerConfig } from "./config.js";
import { createDecisionClassifier } from "./decision-classify.js";
import { createScorerMetrics } from "./metrics.js";
import { NodeStateStore } from "./node-state-store.js";
import { InputScratch } from "./input-scratch.js";
import { PlanScratch } from "./plan-scratch.js";
import { PredictionCache } from "./prediction-cache.js";
import { RecentPlacements } from "./recent-placements.js";
import { RegimeBatcher, type ClassifyFn } from "./regime-batcher.js";
import { createRegimeClassifier } from "./regime-client.js";
import { createScorerServiceImpl } from "./scorer-service.js";
import { FAST_SCORER_SERVICE_DEFINITION } from "./wire.js";

export const SCORER_SERVICE_NAME = "overseer.v1.ScorerService";

export interface RunningScorerService {
  grpcPort: number;
  metricsPort: number;
  holder: BundleHolder;
  store: NodeStateStore;
  batcher: RegimeBatcher;
  /** Model outputs per (profile, node); benches clear it to measure the cold path. */
  predictionCache: PredictionCache;
  registry: Registry;
  stop(): Promise<void>;
}

type DecisionClassifyFlags = "decisionClassifyTimeout" | "decisionClassifyMax" | "decisionClassifyInterval" | "predictionCacheProfiles";

/** Decision-time classification, prediction cache and inline-inference flags are optional here (flag defaults apply). */
export type ScorerServerOptions = Omit<ScorerConfig, "help" | "kubeconfig" | "inCluster" | "patchRegime" | DecisionClassifyFlags | "inlineInferenceMs" | "bufferGcMb"> & Partial<Pick<ScorerConfig, DecisionClassifyFlags>> & {
  /** --inline-inference-ms (default 2). */
  inlineInferenceMs?: number;
  /** --buffer-gc-mb (default 4; 0 = off). */
  bufferGcMb?: number;
  log?: LogFn;
  defaultMetrics?: boolean;
  now?: () => number;
  /** Replaces the regime-svc client (tests). */
  classify?: ClassifyFn;
  /** Cluster mode: started after the store exists; returns a stop function. */
  startWatch?: (
    store: NodeStateStore,
    onAccepted: () => void,
    metrics: ReturnType<typeof createScorerMetrics>,
    onClassified: (fn: (names: string[]) => void) => void,
  ) => Promise<() => Promise<void>>;
};

export async function startScorerService(cfg: ScorerServerOptions): Promise<RunningScorerService> {
  const now = cfg.now ?? Date.now;
  const registry = new Registry();
  if (cfg.defaultMetrics) {
    collectDefaultMetrics({ register: registry, prefix: "overseer_scorer_" });
    // prom-client names these gauges *_total, which `promtool check metrics` rejects (a _total suffix means a counter).
    for (const g of ["handles", "requests", "resources"]) registry.removeSingleMetric(`overseer_scorer_nodejs_active_${g}_total`);
  }
  const store = new NodeStateStore({ maxNodes: cfg.maxNodes, now });
  const recent = new RecentPlacements({ settleMs: cfg.placementSettle, maxPerNode: 16, now });
  store.onAccepted((rec) => recent.settleFrom(rec));
  const params = { freshnessMs: cfg.freshness, worstSlowdown: cfg.worstSlowdown };
  const predictionCache = new PredictionCache(cfg.predictionCacheProfiles ?? SCORER_FLAGS.predictionCacheProfiles.default!);
  const metrics = createScorerMetrics(registry, store, recent, () => params.freshnessMs, predictionCache);

  const classifiedListeners: ((names: string[]) => void)[] = [];
  const regimeClient = !cfg.classify && cfg.regimeAddress ? createRegimeClassifier(cfg.regimeAddress, cfg.regimeTimeout) : undefined;
  const classify: ClassifyFn | undefined = cfg.classify ?? regimeClient?.classify;
  const notifyClassified = (names: string[]) => {
    for (const l of classifiedListeners) l(names);
  };
  const onRegimeResult = (ok: boolean) => {
    metrics.regimeServiceUp.set(ok ? 1 : 0);
    if (!ok) metrics.regimeFailures.inc();
  };
  const batcher = new RegimeBatcher({
    store,
    classify: classify ?? (() => Promise.reject(new Error("no regime-svc configured"))),
    flushIntervalMs: cfg.regimeFlush,
    maxBatch: cfg.regimeBatch,
    onBatch: (n) => metrics.regimeBatchSize.observe(n),
    onResult: onRegimeResult,
    log: cfg.log,
    onClassified: notifyClassified,
  });
  const onAccepted = classify ? () => batcher.notify() : () => undefined;
  const decisionClassifier = classify
    ? createDecisionClassifier({
        store,
        classify,
        timeoutMs: cfg.decisionClassifyTimeout ?? SCORER_FLAGS.decisionClassifyTimeout.default!,
        maxNodes: cfg.decisionClassifyMax ?? SCORER_FLAGS.decisionClassifyMax.default!,
        minIntervalMs: cfg.decisionClassifyInterval ?? SCORER_FLAGS.decisionClassifyInterval.default!,
        requestFlush: () => batcher.flushNow(),
        freshnessMs: () => params.freshnessMs,
        now,
        onCall: (n) => metrics.regimeBatchSize.observe(n),
        onResult: onRegimeResult,
        onOutcome: (outcome, classified) => metrics.countDecisionClassify(outcome, classified),
        onClassified: notifyClassified,
        onRequeued: () => batcher.notify(),
        log: cfg.log,
      })
    : undefined;

  let setServing: (on: boolean) => void = () => undefined;
  const holder = new BundleHolder({
    dir: cfg.bundleDir,
    pollIntervalMs: cfg.pollInterval,
    loadOptions: { intraOpThreads: cfg.onnxThreads, runner: "worker", inlineMaxMs: cfg.inlineInferenceMs ?? SCORER_FLAGS.inlineInferenceMs.default },
    log: cfg.log,
    onLoaded: (b, prev) => {
      predictionCache.clear(); // outputs of the old model (the engine also drops them on the first call with another bundle)
      metrics.service.onLoaded(b, prev);
      setServing(true);
    },
    onRefused: (reason) => metrics.service.onRefused(reason),
  });
  const impl = createScorerServiceImpl({ holder, store, recent, params, metrics, onAccepted, decisionClassifier, maxCandidates: cfg.maxCandidates, now, log: cfg.log, predictionCache, inputScratch: new InputScratch(), planScratch: new PlanScratch() });
  const grpcServer = await startGrpcServer({
    address: cfg.listen,
    services: [{ name: SCORER_SERVICE_NAME, definition: FAST_SCORER_SERVICE_DEFINITION, implementation: impl }],
    maxReceiveMessageBytes: cfg.maxMessageBytes,
  });
  setServing = (on) => grpcServer.setServing(SCORER_SERVICE_NAME, on);
  if (!grpcServer.receiveWindowsWidened) cfg.log?.("warn", "HTTP/2 receive windows left at 64 KiB (grpc-js keeps its servers elsewhere in this version): large requests wait for window updates", {});
  await holder.start();
  if (holder.current()) setServing(true);
  const stopWatch = cfg.startWatch ? await cfg.startWatch(store, onAccepted, metrics, (fn) => classifiedListeners.push(fn)) : undefined;
  const metricsServer = await startMetricsServer({ host: cfg.metricsHost, port: cfg.metricsPort, registry, ready: () => holder.current() !== undefined });
  // Last: nothing after it can fail and leave the collector running for a service that never started.
  const bufferGc = startBufferGc(cfg.bufferGcMb ?? SCORER_FLAGS.bufferGcMb.default!, registry, "overseer_scorer");
  return {
    grpcPort: grpcServer.port,
    metricsPort: metricsServer.port,
    holder,
    store,
    batcher,
    predictionCache,
    registry,
    async stop() {
      bufferGc?.stop();
      await grpcServer.shutdown(cfg.shutdownGrace);
      await stopWatch?.();
      await batcher.stop();
      regimeClient?.close();
      await metricsServer.close();
      await holder.stop();
    },
  };
}
