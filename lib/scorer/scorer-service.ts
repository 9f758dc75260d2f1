// ScorerService: decode and check requests, decide with the scoring engine, encode answers.
import type {
  ExplainScoresRequest,
  FilterNodesRequest,
  ReportPlacementRequest,
  ScoreNodesRequest,
  ScorerServiceServer,
  WorkloadSpec,
} from "../../gen/overseer/v1/scorer_service.js";
import type { BundleHolder, LogFn } from "../bundle/bundle-holder.js";
import { InvalidArgumentError, NotFoundError, UnavailableError, unary } from "../grpc/errors.js";
import type { DecisionClassifier } from "./decision-classify.js";
import { toExplanation, toNodeScore, toNodeStateEntry, toScoreNodesResponse } from "./explain.js";
import { createIngestHandler } from "./ingest-stream.js";
import type { ScorerMetrics } from "./metrics.js";
import { residentKey, type NodeStateStore } from "./node-state-store.js";
import type { InputScratch } from "./input-scratch.js";
import type { PlanScratch } from "./plan-scratch.js";
import type { PredictionCache } from "./prediction-cache.js";
import { resolveProfile } from "./profiles.js";
import type { RecentPlacements } from "./recent-placements.js";
import { exceedsLimit } from "./score-math.js";
import { annotateScoringSpan } from "./span-attributes.js";
import { scoreCandidates, type ScoreRun, type ScoringParams } from "./scoring-engine.js";

export interface ScorerDeps {
  holder: BundleHolder;
  store: NodeStateStore;
  recent: RecentPlacements;
  params: ScoringParams;
  metrics: ScorerMetrics;
  /** Told about every accepted state (the regime batcher). */
  onAccepted: () => void;
  /** Classifies pending candidates inside the call, under its trace (decision-classify.ts). */
  decisionClassifier?: DecisionClassifier;
  maxCandidates: number;
  now: () => number;
  /** Model outputs per (profile, node slot); absent = every node goes to the model. */
  predictionCache?: PredictionCache;
  /** Reused model input buffers (input-scratch.ts). */
  inputScratch?: InputScratch;
  planScratch?: PlanScratch;
  log?: LogFn;
}

function checkWorkload(w: WorkloadSpec | undefined): WorkloadSpec {
  if (!w) throw new InvalidArgumentError("workload is required", "workload");
  if (!Number.isFinite(w.maxSlowdown) || w.maxSlowdown < 0) throw new InvalidArgumentError(`workload.max_slowdown is ${w.maxSlowdown}, must be 0 (no limit) or a factor >= 1`, "workload.max_slowdown");
  if (w.maxSlowdown > 0 && w.maxSlowdown < 1) throw new InvalidArgumentError(`workload.max_slowdown is ${w.maxSlowdown}, a slowdown factor is >= 1 (0 means no limit)`, "workload.max_slowdown");
  return w;
}

export function createScorerServiceImpl(deps: ScorerDeps): ScorerServiceServer {
  const { store, metrics } = deps;

  function checkNodes(names: string[]): void {
    if (names.length > deps.maxCandidates) throw new InvalidArgumentError(`node_names has ${names.length} entries, the limit is ${deps.maxCandidates}`, "node_names");
    const empty = names.indexOf("");
    if (empty >= 0) throw new InvalidArgumentError(`node_names[${empty}] is empty`, `node_names[${empty}]`);
  }

  async function run(req: { workload?: WorkloadSpec; nodeNames: string[] }): Promise<ScoreRun> {
    const workload = checkWorkload(req.workload);
    checkNodes(req.nodeNames);
    if (!deps.holder.current()) throw new UnavailableError("no model bundle is loaded");
    metrics.candidates.observe(req.nodeNames.length);
    await deps.decisionClassifier?.classifyCandidates(req.nodeNames);
    const result = await deps.holder.use((b) => scoreCandidates(deps, b, workload, req.nodeNames, deps.now()));
    if (result.modelRows > 0) metrics.modelRows.observe(result.modelRows);
    metrics.countPredictionCache(result.cacheHits, result.cacheMisses);
    if (result.profile.source === "default") metrics.unknownWorkloads.inc();
    for (let i = 0; i < result.basis.length; i++) metrics.countWorstCase(result.basis[i]!);
    annotateScoringSpan(result, workload);
    return result;
  }

  const timed = metrics.service.timed;
  const ingestNodeStates = createIngestHandler({ store, metrics, onAccepted: deps.onAccepted, now: deps.now, log: deps.log });

  return {
    ingestNodeStates,
    scoreNodes: unary((req: ScoreNodesRequest) =>
      timed("ScoreNodes", async () => {
        const r = await run(req);
        try {
          return toScoreNodesResponse(r, req.scoresOnly);
        } finally {
          r.release();
        }
      }),
    ),
    filterNodes: unary((req: FilterNodesRequest) =>
      timed("FilterNodes", async () => {
        const w = checkWorkload(req.workload);
        checkNodes(req.nodeNames);
        if (w.maxSlowdown === 0) return { feasibleNodeNames: req.nodeNames, filtered: [] };
        const r = await run(req);
        const out = { feasibleNodeNames: [] as string[], filtered: [] as { nodeName: string; reason: string }[] };
        const results = r.results;
        r.release();
        for (const n of results) {
          if (exceedsLimit(n.decision, w.maxSlowdown)) {
            out.filtered.push({ nodeName: n.nodeName, reason: `conservative slowdown bound ${n.decision.upper.toFixed(3)}x exceeds the workload's limit ${w.maxSlowdown}x` });
          } else out.feasibleNodeNames.push(n.nodeName);
        }
        metrics.filtered.inc(out.filtered.length);
        return out;
      }),
    ),
    explainScores: unary((req: ExplainScoresRequest) =>
      timed("ExplainScores", async () => {
        const r = await run(req);
        const results = r.results;
        r.release();
        return { explanations: results.map((n) => toExplanation(n, r, deps.params)), modelVersion: r.modelVersion };
      }),
    ),
    reportPlacement: unary((req: ReportPlacementRequest) =>
      timed("ReportPlacement", async () => {
        const w = checkWorkload(req.workload);
        if (!req.nodeName) throw new InvalidArgumentError("node_name is required", "node_name");
        if (!w.podName && !w.podUid) throw new InvalidArgumentError("workload.pod_name or workload.pod_uid is required", "workload.pod_name");
        const b = deps.holder.current();
        if (!b) throw new UnavailableError("no model bundle is loaded (needed to resolve the workload's profile)");
        const now = deps.now();
        const placedAtMs = Math.min(req.placedAt ? req.placedAt.getTime() : now, now);
        deps.recent.add(req.nodeName, { key: residentKey(w.podNamespace, w.podName), uid: w.podUid, profile: resolveProfile(w, b.manifest).profile, placedAtMs });
        return {};
      }),
    ),
    listNodeStates: unary((req: { freshOnly: boolean }) =>
      timed("ListNodeStates", async () => {
        const now = deps.now();
        const nodes = [...store.values()]
          .sort((a, b) => (a.name < b.name ? -1 : 1))
          .map((r) => toNodeStateEntry(r, now, deps.params.freshnessMs))
          .filter((e) => !req.freshOnly || !e.stale);
        return { nodes };
      }),
    ),
    getNodeState: unary((req: { nodeName: string }) =>
      timed("GetNodeState", async () => {
        if (!req.nodeName) throw new InvalidArgumentError("node_name is required", "node_name");
        const rec = store.get(req.nodeName);
        if (!rec) throw new NotFoundError(`no NodeState for node "${req.nodeName}"`);
        return { node: toNodeStateEntry(rec, deps.now(), deps.params.freshnessMs) };
      }),
    ),
  };
}
