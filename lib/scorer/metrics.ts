// scorer-svc metrics (prom-client), beside the shared model/latency metrics.
import { Counter, Gauge, Histogram, type Registry } from "prom-client";
import { Regime, regimeToJSON } from "../../gen/overseer/v1/regime.js";
import { ScoreBasis, scoreBasisToJSON } from "../../gen/overseer/v1/scorer_service.js";
import { BATCH_BUCKETS, createServiceMetrics, type ServiceMetrics } from "../bundle/service-metrics.js";
import type { InlineOutcome } from "./decision-classify.js";
import type { NodeStateStore } from "./node-state-store.js";
import type { PredictionCache } from "./prediction-cache.js";
import type { RecentPlacements } from "./recent-placements.js";

export interface ScorerMetrics {
  service: ServiceMetrics;
  candidates: Histogram;
  modelRows: Histogram;
  worstCase: Counter<"basis">;
  unknownWorkloads: Counter;
  filtered: Counter;
  ingested: Counter<"source" | "outcome">;
  regimeBatchSize: Histogram;
  regimeFailures: Counter;
  regimeServiceUp: Gauge;
  countWorstCase(basis: ScoreBasis): void;
  /** One Score/Filter/Explain call's decision-time classification (decision-classify.ts). */
  countDecisionClassify(outcome: InlineOutcome, classified: number): void;
  /** One scoring call's prediction cache hits and misses (prediction-cache.ts). */
  countPredictionCache(hits: number, misses: number): void;
}

/** "REGIME_MEMORY_BANDWIDTH_SATURATED" -> "memory_bandwidth_saturated"; never classified -> "unclassified". */
export function regimeLabel(r: Regime | undefined): string {
  if (r === undefined || r === Regime.REGIME_UNSPECIFIED) return "unclassified";
  return regimeToJSON(r).replace(/^REGIME_/, "").toLowerCase();
}

export function createScorerMetrics(registry: Registry, store: NodeStateStore, recent: RecentPlacements, freshnessMs: () => number, cache?: PredictionCache): ScorerMetrics {
  const reg = [registry];
  const cacheHits = new Counter({ name: "overseer_scorer_prediction_cache_hits_total", help: "Candidate nodes whose interference model output was served from the prediction cache (same row, regime probabilities, profile and bundle as a previous call)", registers: reg });
  const cacheMisses = new Counter({ name: "overseer_scorer_prediction_cache_misses_total", help: "Cacheable candidate nodes (one measured row, known regime probabilities) that went to the interference model", registers: reg });
  new Gauge({ name: "overseer_scorer_prediction_cache_profiles", help: "Workload profiles with a prediction cache table (at most --prediction-cache-profiles)", registers: reg, collect() { this.set(cache?.profiles ?? 0); } });
  new Gauge({ name: "overseer_scorer_prediction_cache_bytes", help: "Bytes held by the prediction cache tables", registers: reg, collect() { this.set(cache?.bytes ?? 0); } });
  const worstCase = new Counter({ name: "overseer_scorer_worst_case_scores_total", help: "Node scores set to the worst case, by basis (stale, unknown node, absent features, model error)", labelNames: ["basis"] as const, registers: reg });
  new Gauge({
    name: "overseer_scorer_stale_nodes",
    help: "Nodes whose newest NodeState is older than the freshness bound",
    registers: reg,
    collect() {
      const now = store.now();
      let n = 0;
      for (const r of store.values()) if (now - r.observedAtMs > freshnessMs()) n++;
      this.set(n);
    },
  });
  new Gauge({ name: "overseer_scorer_nodes", help: "Nodes with a NodeState in the store", registers: reg, collect() { this.set(store.size); } });
  new Gauge({
    name: "overseer_scorer_regime_stale_nodes",
    help: "Nodes whose cached regime was classified for an older state (or never)",
    registers: reg,
    collect() {
      let n = 0;
      for (const r of store.values()) if (r.regimeStale || !r.regime) n++;
      this.set(n);
    },
  });
  new Gauge({ name: "overseer_scorer_regime_pending_nodes", help: "Nodes waiting for regime classification", registers: reg, collect() { this.set(store.pendingCount); } });
  // One series per node: its current regime = 1. Rebuilt at each scrape, so a node that changes regime
  // or leaves the store loses its old series (no stale 1s left behind).
  new Gauge({
    name: "overseer_scorer_node_regime",
    help: "Current regime of each node's cached classification (1; the node's other regimes are absent; unclassified = never classified)",
    labelNames: ["node", "regime"] as const,
    registers: reg,
    collect() {
      this.reset();
      for (const r of store.values()) this.labels(r.name, regimeLabel(r.regime?.regime)).set(1);
    },
  });
  const decisionCalls = new Counter({ name: "overseer_scorer_decision_classify_calls_total", help: "Score/Filter/Explain calls by their decision-time classification outcome (ok, timeout, error, cooldown, none = no candidate waited, disabled, throttled = inside --decision-classify-interval: pending candidates, if any, scored with their cached regime)", labelNames: ["outcome"] as const, registers: reg });
  const decisionNodes = new Counter({ name: "overseer_scorer_decision_classified_nodes_total", help: "Nodes classified by regime-svc inside a Score/Filter/Explain call", registers: reg });
  new Gauge({ name: "overseer_scorer_recent_placements", help: "Placements charged conservatively because the counters do not show them yet", registers: reg, collect() { this.set(recent.count()); } });
  return {
    service: createServiceMetrics(registry, "scorer"),
    candidates: new Histogram({ name: "overseer_scorer_candidate_nodes", help: "Candidate nodes per Score/Filter/Explain request", buckets: BATCH_BUCKETS, registers: reg }),
    modelRows: new Histogram({ name: "overseer_scorer_model_batch_rows", help: "Rows per interference model run", buckets: BATCH_BUCKETS, registers: reg }),
    worstCase,
    unknownWorkloads: new Counter({ name: "overseer_scorer_unknown_workloads_total", help: "Requests scored with the default profile (unknown workload class)", registers: reg }),
    filtered: new Counter({ name: "overseer_scorer_filtered_nodes_total", help: "Nodes removed by FilterNodes (bound above the workload's limit)", registers: reg }),
    ingested: new Counter({ name: "overseer_scorer_ingested_states_total", help: "NodeStates received, by source (grpc, kubernetes) and outcome (accepted, ignored, rejected)", labelNames: ["source", "outcome"] as const, registers: reg }),
    regimeBatchSize: new Histogram({ name: "overseer_scorer_regime_batch_size", help: "Vectors per Classify call to regime-svc", buckets: BATCH_BUCKETS, registers: reg }),
    regimeFailures: new Counter({ name: "overseer_scorer_regime_classify_failures_total", help: "Classify calls to regime-svc that failed (cached regimes kept, marked stale)", registers: reg }),
    regimeServiceUp: new Gauge({ name: "overseer_scorer_regime_service_up", help: "1 when the last Classify call to regime-svc succeeded", registers: reg }),
    countWorstCase(basis) {
      if (basis !== ScoreBasis.SCORE_BASIS_MODEL) worstCase.labels(scoreBasisToJSON(basis)).inc();
    },
    countDecisionClassify(outcome, classified) {
      decisionCalls.labels(outcome).inc();
      if (classified > 0) decisionNodes.inc(classified);
    },
    countPredictionCache(hits, misses) {
      if (hits > 0) cacheHits.inc(hits);
      if (misses > 0) cacheMisses.inc(misses);
    },
  };
}
