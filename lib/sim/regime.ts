// Ground-truth contention regime of a solved node state, from physical thresholds.
// Physical meaning of each regime and of each threshold: docs/simulator.md ("Regimes").
import { Regime } from "../../gen/overseer/v1/regime.js";
import type { ContentionSolution } from "./contention.js";

export const REGIME_THRESHOLDS = Object.freeze({
  /** DRAM bandwidth utilisation at which loaded latency is ~1.6x idle and climbing steeply. */
  memBandwidthSaturated: 0.7,
  /** Reusable LLC demand (sum of reuse x working set) over LLC capacity: above 1 the LLC is oversubscribed. */
  llcOversubscribed: 1.0,
  /** Busy logical CPUs over all logical CPUs. */
  coreBusy: 0.35,
});

export interface RegimeInputs {
  memBandwidthUtilization: number;
  llcDemandRatio: number;
  busyCpuFraction: number;
}

export function classifyRegime(x: RegimeInputs): Regime {
  const mem = x.memBandwidthUtilization >= REGIME_THRESHOLDS.memBandwidthSaturated;
  const llc = x.llcDemandRatio >= REGIME_THRESHOLDS.llcOversubscribed;
  if (mem && llc) return Regime.REGIME_MIXED;
  if (mem) return Regime.REGIME_MEMORY_BANDWIDTH_SATURATED;
  if (llc) return Regime.REGIME_LLC_CONTENDED;
  if (x.busyCpuFraction >= REGIME_THRESHOLDS.coreBusy) return Regime.REGIME_CORE_BOUND;
  return Regime.REGIME_QUIET;
}

export function regimeOf(s: ContentionSolution, logicalCpus: number): Regime {
  return classifyRegime({
    memBandwidthUtilization: s.memBandwidthUtilization,
    llcDemandRatio: s.llcDemandRatio,
    busyCpuFraction: s.busyLogicalCpus / logicalCpus,
  });
}

/** The regimes the simulator labels, in enum order (corpus manifest "regimes"). */
export const SIM_REGIMES: readonly Regime[] = [
  Regime.REGIME_QUIET,
  Regime.REGIME_CORE_BOUND,
  Regime.REGIME_LLC_CONTENDED,
  Regime.REGIME_MEMORY_BANDWIDTH_SATURATED,
  Regime.REGIME_MIXED,
];
