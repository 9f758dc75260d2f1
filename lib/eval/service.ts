// EvalService: runs evaluations of the served models, lists and returns reports, and retrains on
// demand. One job runs at a time (a second one gets RESOURCE_EXHAUSTED). Errors are typed here and
// mapped to gRPC statuses in lib/grpc/errors.ts.
import { EvaluationKind, type EvalServiceServer, type ReportSummary } from "../../gen/overseer/v1/eval_service.js";
import { FailedPreconditionError, InvalidArgumentError, NotFoundError, ResourceExhaustedError, unary } from "../grpc/errors.js";
import { accuracyReport, generateHeldOutCorpus, placementReport, retrainingReport, type EvalContext } from "./operations.js";
import { InvalidReportIdError, ReportNotFoundError } from "./report/store.js";
import type { EvalReport } from "./report/types.js";
import type { BundleRegistry } from "./retrain/bundle-registry.js";
import { detectDrift, type DriftBounds } from "./retrain/decide.js";
import type { Trainer } from "./retrain/trainer.js";

export interface EvalServiceDeps {
  ctx: EvalContext;
  scorerAddress: string;
  regimeAddress: string;
  /** A fixed held-out corpus; when empty, one is generated from the request's (or the default) seed. */
  heldOutCorpus: string;
  heldOutDefaults: { seed: number; nodes: number; intervals: number; mix: string };
  corporaCacheDir: string;
  placement: { bundleDir: () => Promise<string>; stack: "in-process" | "processes"; maxNodes: number; maxPods: number; defaultNodes: number; defaultPods: number; defaultSeed: number };
  retraining?: { registry: BundleRegistry; trainer: Trainer; corpusRoot: string; seed: number; bounds: DriftBounds };
}

export function toSummary(r: EvalReport): ReportSummary {
  const kind = r.kind === "held-out-accuracy" ? EvaluationKind.EVALUATION_KIND_HELD_OUT_ACCURACY : r.kind === "placement-benchmark" ? EvaluationKind.EVALUATION_KIND_PLACEMENT_BENCHMARK : EvaluationKind.EVALUATION_KIND_UNSPECIFIED;
  return { reportId: r.reportId, kind, createdAt: new Date(r.createdAt), modelVersion: r.modelVersion, metrics: r.metrics, synthetic: r.synthetic };
}

export interface EvalJobs {
  impl: EvalServiceServer;
  /** Evaluates the served models on the held-out corpus and retrains when they drifted. */
  checkDrift(): Promise<{ drifted: boolean; reasons: string[]; reportId: string; promoted?: boolean }>;
}

export function createEvalService(d: EvalServiceDeps): EvalJobs {
  let busy: string | undefined;
  const exclusive = async <T>(what: string, fn: () => Promise<T>): Promise<T> => {
    if (busy) throw new ResourceExhaustedError(`another job is running (${busy}); try again when it is done`);
    busy = what;
    try {
      return await fn();
    } finally {
      busy = undefined;
    }
  };

  const heldOutCorpus = async (seed: number, nodes: number): Promise<string> => {
    if (d.heldOutCorpus && seed === 0 && nodes === 0) return d.heldOutCorpus;
    return generateHeldOutCorpus(d.corporaCacheDir, { ...d.heldOutDefaults, seed: seed || d.heldOutDefaults.seed, nodes: nodes || d.heldOutDefaults.nodes });
  };

  const evaluateServed = async (seed: number, nodes: number) =>
    accuracyReport(d.ctx, { corpusDir: await heldOutCorpus(seed, nodes), scorerAddress: d.scorerAddress, regimeAddress: d.regimeAddress });

  const retrainNow = async (reason: string) => {
    const r = d.retraining;
    if (!r) throw new FailedPreconditionError("retraining is not configured (start cmd/eval serve with --registry-dir)");
    return retrainingReport(d.ctx, { registry: r.registry, trainer: r.trainer, corpusRoot: r.corpusRoot, heldOutCorpusDir: await heldOutCorpus(0, 0), seed: r.seed, reason });
  };

  const impl: EvalServiceServer = {
    runEvaluation: unary(async (req) => {
      const p = d.placement;
      switch (req.kind) {
        case EvaluationKind.EVALUATION_KIND_HELD_OUT_ACCURACY: {
          if (req.nodeCount > p.maxNodes) throw new InvalidArgumentError(`node_count ${req.nodeCount} is above the limit ${p.maxNodes}`, "node_count");
          const report = await exclusive("held-out accuracy", () => evaluateServed(req.seed, req.nodeCount));
          return { summary: toSummary(report) };
        }
        case EvaluationKind.EVALUATION_KIND_PLACEMENT_BENCHMARK: {
          const nodes = req.nodeCount || p.defaultNodes;
          const pods = req.podCount || p.defaultPods;
          if (nodes > p.maxNodes) throw new InvalidArgumentError(`node_count ${nodes} is above the limit ${p.maxNodes}`, "node_count");
          if (pods > p.maxPods) throw new InvalidArgumentError(`pod_count ${pods} is above the limit ${p.maxPods}`, "pod_count");
          const { report } = await exclusive("placement benchmark", async () =>
            placementReport(d.ctx, {
              seed: req.seed || p.defaultSeed,
              nodes,
              pods,
              policies: ["default", "random", "threshold", "overseer", "oracle"],
              bundleDir: await p.bundleDir(),
              stack: p.stack,
              threshold: 0.5,
              extenderWeight: 6,
            }),
          );
          return { summary: toSummary(report) };
        }
        default:
          throw new InvalidArgumentError(`kind must be EVALUATION_KIND_HELD_OUT_ACCURACY or EVALUATION_KIND_PLACEMENT_BENCHMARK, got ${req.kind}`, "kind");
      }
    }),
    listReports: unary(async () => ({ reports: (await d.ctx.reports.list()).map(toSummary) })),
    getReport: unary(async (req) => {
      if (!req.reportId) throw new InvalidArgumentError("report_id is required", "report_id");
      try {
        const { report, json } = await d.ctx.reports.get(req.reportId);
        return { summary: toSummary(report), reportJson: json };
      } catch (e) {
        if (e instanceof InvalidReportIdError) throw new InvalidArgumentError(e.message, "report_id");
        if (e instanceof ReportNotFoundError) throw new NotFoundError(e.message);
        throw e;
      }
    }),
    triggerRetraining: unary(async (req) => {
      const { outcome } = await exclusive("retraining", () => retrainNow(req.reason || "on demand (TriggerRetraining)"));
      const r = outcome.record;
      return { promoted: r.promoted, championVersion: r.championVersion, challengerVersion: r.challengerVersion ?? "", reason: r.decision, championMetrics: r.championMetrics, challengerMetrics: r.challengerMetrics };
    }),
  };

  const checkDrift: EvalJobs["checkDrift"] = () =>
    exclusive("drift check", async () => {
      const report = await evaluateServed(0, 0);
      const overall = report.accuracy!.overall;
      const bounds = d.retraining?.bounds ?? { maxSlowdownMape: Infinity, minUpperBoundCoverage: 0 };
      const v = detectDrift(overall, bounds);
      if (!v.drifted || !d.retraining) return { ...v, reportId: report.reportId };
      d.ctx.progress(`[drift] ${v.reasons.join("; ")}: retraining`);
      const { outcome } = await retrainNow(`drift: ${v.reasons.join("; ")}`);
      return { ...v, reportId: report.reportId, promoted: outcome.record.promoted };
    });

  return { impl, checkDrift };
}
