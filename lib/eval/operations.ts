// The evaluation operations shared by the CLI subcommands and EvalService: each runs, writes its
// report (JSON + HTML, atomically) and returns it. Progress goes to `progress` as text lines.
import { stat } from "node:fs/promises";
import path from "node:path";
import { loadWorkloadCatalog } from "../sim/catalog.js";
import { parseCorpusArgs, type CorpusConfig } from "../sim/corpus-config.js";
import { writeCorpus } from "../sim/corpus-writer.js";
import { evaluateHeldOut } from "./accuracy/held-out.js";
import { accuracyHeadline } from "./accuracy/metrics.js";
import { createOverseerPolicyFactory, type OverseerPolicyStats } from "./placement/overseer-policy.js";
import { createLeastAllocatedPolicy, createOraclePolicy, createRandomPolicy, createThresholdPolicy, type PolicyFactory } from "./placement/policies.js";
import { comparePolicies, type PlacementComparison } from "./placement/run.js";
import { createScenario } from "./placement/scenario.js";
import type { ReportStore } from "./report/store.js";
import type { EvalReport } from "./report/types.js";
import { readManifestVersion, type BundleRegistry } from "./retrain/bundle-registry.js";
import { createStackEvaluator, newestCorpus, retrain, type RetrainOutcome } from "./retrain/retrain.js";
import type { PromotionRule } from "./retrain/decide.js";
import type { Trainer } from "./retrain/trainer.js";
import { startStack } from "./services/stack.js";

export interface EvalContext {
  reports: ReportStore;
  progress: (line: string) => void;
}

/** Progress lines at most every `everyPct` percent (and at the end). */
export function progressReporter(ctx: EvalContext, label: string, everyPct = 10): (done: number, total: number) => void {
  let last = -1;
  const started = performance.now();
  return (done, total) => {
    const pct = total > 0 ? Math.floor((done / total) * 100) : 100;
    if (done === total || pct >= last + everyPct) {
      last = pct;
      ctx.progress(`[${label}] ${done}/${total} (${pct} %, ${((performance.now() - started) / 1000).toFixed(1)} s)`);
    }
  };
}

export interface HeldOutCorpusSpec {
  seed: number;
  nodes: number;
  intervals: number;
  mix: string;
}

/** A fresh labelled corpus from the simulator (cached by its parameters: same seed, same bytes). */
export async function generateHeldOutCorpus(root: string, s: HeldOutCorpusSpec): Promise<string> {
  const name = `heldout-seed${s.seed}-${s.nodes}x${s.intervals}${s.mix ? `-mix${Buffer.from(s.mix).toString("hex").slice(0, 24)}` : ""}`;
  const dir = path.join(root, name);
  if (await stat(path.join(dir, "manifest.json")).then(() => true, () => false)) return dir;
  const cfg = parseCorpusArgs(["--out", dir, "--seed", String(s.seed), "--nodes", String(s.nodes), "--intervals", String(s.intervals), ...(s.mix ? ["--mix", s.mix] : [])]) as CorpusConfig;
  writeCorpus(cfg, loadWorkloadCatalog());
  return dir;
}

export interface AccuracyRequest {
  corpusDir: string;
  scorerAddress: string;
  regimeAddress: string;
  maxSequences?: number;
}

export async function accuracyReport(ctx: EvalContext, r: AccuracyRequest): Promise<EvalReport> {
  ctx.progress(`[accuracy] replaying ${r.corpusDir} into scorer-svc ${r.scorerAddress}`);
  const accuracy = await evaluateHeldOut({ ...r, onProgress: progressReporter(ctx, "accuracy") });
  const { report, htmlPath } = await ctx.reports.write({ kind: "held-out-accuracy", modelVersion: accuracy.modelVersion, synthetic: accuracy.corpus.synthetic, metrics: accuracyHeadline(accuracy), accuracy });
  ctx.progress(`[accuracy] report ${report.reportId}: ${htmlPath}`);
  return report;
}

export interface PlacementRequest {
  seed: number;
  nodes: number;
  pods: number;
  policies: readonly string[];
  bundleDir: string;
  stack: "in-process" | "processes";
  threshold: number;
  extenderWeight: number;
}

export function placementHeadline(c: PlacementComparison, elapsedSec: number): Record<string, number> {
  const m: Record<string, number> = { elapsed_seconds: elapsedSec, nodes: c.scenario.nodeCount, pods: c.scenario.podCount };
  const gap = c.gapClosed.overseer;
  if (gap !== null && gap !== undefined) m.gap_closed_fraction = gap;
  for (const p of c.policies) {
    m[`${p.policy}_mean_slowdown`] = p.meanSlowdown;
    m[`${p.policy}_p95_slowdown`] = p.p95Slowdown;
    m[`${p.policy}_slo_violations`] = p.sloViolations;
  }
  return m;
}

export async function placementReport(ctx: EvalContext, r: PlacementRequest): Promise<{ report: EvalReport; comparison: PlacementComparison; overseerStats?: OverseerPolicyStats }> {
  const started = performance.now();
  const catalog = loadWorkloadCatalog();
  const scenario = createScenario({ seed: r.seed, nodeCount: r.nodes, podCount: r.pods }, catalog);
  const withOverseer = r.policies.includes("overseer");
  const stack = withOverseer ? await startStack({ bundleDir: r.bundleDir, mode: r.stack, freshnessMs: 3_600_000, regimeFlushMs: 1, pollIntervalMs: 0 }) : undefined;
  let overseerStats: OverseerPolicyStats | undefined;
  try {
    const factories: Record<string, PolicyFactory> = {
      default: createLeastAllocatedPolicy,
      random: createRandomPolicy,
      threshold: (seed) => createThresholdPolicy(seed, r.threshold),
      oracle: createOraclePolicy,
    };
    if (stack) factories.overseer = createOverseerPolicyFactory({ scorerAddress: stack.scorerAddress, extenderUrl: stack.extenderUrl, extenderWeight: r.extenderWeight }, (s) => (overseerStats = s));
    let current = "";
    const tick = new Map<string, (d: number, t: number) => void>();
    const { comparison } = await comparePolicies(scenario, catalog, r.policies.map((p) => factories[p]!), {
      onPolicyStart: (name) => {
        current = name;
        tick.set(name, progressReporter(ctx, `placement ${name}`, 25));
      },
      onProgress: (d, t) => tick.get(current)?.(d, t),
      onPolicyDone: (s) => ctx.progress(`[placement] ${s.policy}: mean ${s.meanSlowdown.toFixed(4)}, p95 ${s.p95Slowdown.toFixed(4)}, SLO violations ${s.sloViolations}/${s.placed}, ${(s.elapsedMs / 1000).toFixed(1)} s`),
    });
    const modelVersion = withOverseer ? await readManifestVersion(r.bundleDir).catch(() => "unknown") : "none";
    const { report, htmlPath } = await ctx.reports.write({ kind: "placement-benchmark", modelVersion, synthetic: true, metrics: placementHeadline(comparison, (performance.now() - started) / 1000), placement: comparison });
    ctx.progress(`[placement] report ${report.reportId}: ${htmlPath}`);
    return { report, comparison, overseerStats };
  } finally {
    await stack?.stop();
  }
}

export interface RetrainRequest {
  registry: BundleRegistry;
  trainer: Trainer;
  corpusRoot: string;
  heldOutCorpusDir: string;
  seed: number;
  reason: string;
  rule?: PromotionRule;
}

export async function retrainingReport(ctx: EvalContext, r: RetrainRequest): Promise<{ report: EvalReport; outcome: RetrainOutcome }> {
  const trainingCorpusDir = await newestCorpus(r.corpusRoot);
  const outcome = await retrain({
    registry: r.registry,
    trainer: r.trainer,
    trainingCorpusDir,
    heldOutCorpusDir: r.heldOutCorpusDir,
    seed: r.seed,
    reason: r.reason,
    rule: r.rule,
    evaluate: createStackEvaluator(r.heldOutCorpusDir),
    log: (l) => ctx.progress(`[retrain] ${l}`),
  });
  const rec = outcome.record;
  const metrics: Record<string, number> = { promoted: rec.promoted ? 1 : 0 };
  for (const [k, v] of Object.entries(rec.championMetrics)) metrics[`champion_${k}`] = v;
  for (const [k, v] of Object.entries(rec.challengerMetrics)) metrics[`challenger_${k}`] = v;
  const { report, htmlPath } = await ctx.reports.write({
    kind: "retraining",
    modelVersion: rec.promoted ? rec.challengerVersion! : rec.championVersion,
    synthetic: outcome.championAccuracy?.corpus.synthetic ?? true,
    metrics,
    retraining: rec,
    championAccuracy: outcome.championAccuracy,
    challengerAccuracy: outcome.challengerAccuracy,
  });
  ctx.progress(`[retrain] report ${report.reportId}: ${htmlPath}`);
  return { report, outcome };
}
