// Placement-quality figures: pure functions of the per-pod outcomes.

export interface PodOutcome {
  pod: string;
  workloadClass: string;
  node: string;
  /** True slowdown factor at placement (solo / actual throughput, >= 1). */
  slowdown: number;
  maxSlowdown: number;
}

export interface PolicySummary {
  policy: string;
  pods: number;
  placed: number;
  unschedulable: number;
  meanSlowdown: number;
  p50Slowdown: number;
  p95Slowdown: number;
  maxSlowdown: number;
  /** Placed pods whose slowdown exceeds their limit. */
  sloViolations: number;
  sloViolationFraction: number;
  elapsedMs: number;
}

/** Nearest-rank percentile (q in [0, 1]) of an unsorted array; NaN when empty. */
export function percentile(values: readonly number[], q: number): number {
  if (values.length === 0) return NaN;
  const sorted = [...values].sort((a, b) => a - b);
  const rank = Math.min(sorted.length, Math.max(1, Math.ceil(q * sorted.length)));
  return sorted[rank - 1]!;
}

export function mean(values: readonly number[]): number {
  if (values.length === 0) return NaN;
  let s = 0;
  for (const v of values) s += v;
  return s / values.length;
}

/** A pod violates its SLO when its slowdown is above its limit (a limit of 0 means none). */
export function violatesSlo(o: Pick<PodOutcome, "slowdown" | "maxSlowdown">): boolean {
  return o.maxSlowdown > 0 && o.slowdown > o.maxSlowdown;
}

export function summarisePolicy(policy: string, outcomes: readonly PodOutcome[], unschedulable: number, elapsedMs: number): PolicySummary {
  const s = outcomes.map((o) => o.slowdown);
  const violations = outcomes.filter(violatesSlo).length;
  return {
    policy,
    pods: outcomes.length + unschedulable,
    placed: outcomes.length,
    unschedulable,
    meanSlowdown: mean(s),
    p50Slowdown: percentile(s, 0.5),
    p95Slowdown: percentile(s, 0.95),
    maxSlowdown: s.length ? Math.max(...s) : NaN,
    sloViolations: violations,
    sloViolationFraction: outcomes.length ? violations / outcomes.length : 0,
    elapsedMs,
  };
}

/**
 * Share of the default-to-oracle gap in mean slowdown that `policy` closes:
 * (default - policy) / (default - oracle). 1 = as good as the oracle, 0 = no better than
 * default, negative = worse. Undefined when there is no gap to close (< 1e-9).
 */
export function gapClosedFraction(defaultMean: number, policyMean: number, oracleMean: number): number | undefined {
  const gap = defaultMean - oracleMean;
  if (!(gap > 1e-9)) return undefined;
  return (defaultMean - policyMean) / gap;
}
