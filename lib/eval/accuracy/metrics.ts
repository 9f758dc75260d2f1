// Accuracy figures of served predictions against the simulator's truth. Pure.

export interface Prediction {
  workloadClass: string;
  nodeName: string;
  sequence: number;
  /** True slowdown factor from the corpus. */
  actual: number;
  predicted: number;
  upper: number;
  /** Regime the service assigned to the node state, and the true one (undefined when unknown). */
  predictedRegime?: string;
  trueRegime?: string;
  /** ScoreBasis name: only MODEL-based predictions are real predictions. */
  basis: string;
}

export interface AccuracyGroup {
  n: number;
  slowdownMae: number | null;
  slowdownMape: number | null;
  upperBoundCoverage: number | null;
  regimeAccuracy: number | null;
}

export function accuracyOf(ps: readonly Prediction[]): AccuracyGroup {
  if (ps.length === 0) return { n: 0, slowdownMae: null, slowdownMape: null, upperBoundCoverage: null, regimeAccuracy: null };
  let ae = 0;
  let ape = 0;
  let covered = 0;
  let regimeKnown = 0;
  let regimeRight = 0;
  for (const p of ps) {
    const err = Math.abs(p.predicted - p.actual);
    ae += err;
    ape += err / p.actual;
    if (p.actual <= p.upper + 1e-9) covered++;
    if (p.trueRegime !== undefined && p.predictedRegime !== undefined) {
      regimeKnown++;
      if (p.trueRegime === p.predictedRegime) regimeRight++;
    }
  }
  return {
    n: ps.length,
    slowdownMae: ae / ps.length,
    slowdownMape: ape / ps.length,
    upperBoundCoverage: covered / ps.length,
    regimeAccuracy: regimeKnown ? regimeRight / regimeKnown : null,
  };
}

export interface WorkloadAccuracy extends AccuracyGroup {
  workloadClass: string;
  /** The bundle was trained on this workload (it has a profile for it in its manifest). */
  trainedOn: boolean;
}

export interface AccuracyResult {
  modelVersion: string;
  corpus: { dir: string; seed: number | null; synthetic: boolean; probes: number; nodeStates: number };
  overall: AccuracyGroup;
  /** Workloads the bundle was trained on vs workloads it never saw. */
  trained: AccuracyGroup;
  heldOut: AccuracyGroup;
  perWorkload: WorkloadAccuracy[];
  /** Regime accuracy over every node state of the corpus (not per probe). */
  nodeRegimeAccuracy: number | null;
  /** How many predictions rested on each ScoreBasis (stale/absent features are worst case, not model). */
  basisCounts: Record<string, number>;
  /** A bounded sample of (actual, predicted, upper) per workload for the plots. */
  samples: Record<string, { actual: number; predicted: number; upper: number }[]>;
}

export const MAX_SAMPLES_PER_WORKLOAD = 150;

export function summariseAccuracy(
  predictions: readonly Prediction[],
  trainedClasses: ReadonlySet<string>,
  base: Pick<AccuracyResult, "modelVersion" | "corpus" | "nodeRegimeAccuracy">,
): AccuracyResult {
  const byClass = new Map<string, Prediction[]>();
  const basisCounts: Record<string, number> = {};
  for (const p of predictions) {
    const list = byClass.get(p.workloadClass) ?? [];
    list.push(p);
    byClass.set(p.workloadClass, list);
    basisCounts[p.basis] = (basisCounts[p.basis] ?? 0) + 1;
  }
  const perWorkload: WorkloadAccuracy[] = [];
  const samples: AccuracyResult["samples"] = {};
  for (const cls of [...byClass.keys()].sort()) {
    const list = byClass.get(cls)!;
    perWorkload.push({ workloadClass: cls, trainedOn: trainedClasses.has(cls), ...accuracyOf(list) });
    const step = Math.max(1, Math.ceil(list.length / MAX_SAMPLES_PER_WORKLOAD));
    samples[cls] = list.filter((_, i) => i % step === 0).map((p) => ({ actual: p.actual, predicted: p.predicted, upper: p.upper }));
  }
  return {
    ...base,
    overall: accuracyOf(predictions),
    trained: accuracyOf(predictions.filter((p) => trainedClasses.has(p.workloadClass))),
    heldOut: accuracyOf(predictions.filter((p) => !trainedClasses.has(p.workloadClass))),
    perWorkload,
    basisCounts,
    samples,
  };
}

/** Headline numbers for ReportSummary.metrics (nulls left out). */
export function accuracyHeadline(r: AccuracyResult): Record<string, number> {
  const out: Record<string, number> = {};
  const put = (k: string, v: number | null) => {
    if (v !== null && Number.isFinite(v)) out[k] = v;
  };
  put("slowdown_mae", r.overall.slowdownMae);
  put("slowdown_mape", r.overall.slowdownMape);
  put("upper_bound_coverage", r.overall.upperBoundCoverage);
  put("regime_accuracy", r.nodeRegimeAccuracy);
  put("held_out_slowdown_mape", r.heldOut.slowdownMape);
  put("trained_slowdown_mape", r.trained.slowdownMape);
  put("held_out_upper_bound_coverage", r.heldOut.upperBoundCoverage);
  out.probes = r.overall.n;
  return out;
}
