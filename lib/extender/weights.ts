// The weight arithmetic of docs/extender.md in code, so the documentation, deploy/ and a test agree.
// kube-scheduler adds an extender's score as  score * weight * (MaxNodeScore / MaxExtenderPriority)
// = score * weight * 10, next to each score plugin's normalised 0..100 score times its weight.
import { MAX_EXTENDER_PRIORITY } from "./wire.js";

export const MAX_NODE_SCORE = 100;

/** Default score plugins and weights of kube-scheduler v1.34 (pkg/scheduler/apis/config/v1/default_plugins.go). */
export const DEFAULT_SCORE_PLUGIN_WEIGHTS = {
  TaintToleration: 3,
  NodeAffinity: 2,
  PodTopologySpread: 2,
  InterPodAffinity: 2,
  NodeResourcesFit: 1,
  NodeResourcesBalancedAllocation: 1,
  ImageLocality: 1,
} as const;

export type ScorePlugin = keyof typeof DEFAULT_SCORE_PLUGIN_WEIGHTS;

/** Plugins that score what a user or operator asked for (preferred affinity, PreferNoSchedule taints). */
export const PREFERENCE_PLUGINS: readonly ScorePlugin[] = ["TaintToleration", "NodeAffinity", "InterPodAffinity"];
/** Plugins that score heuristics (free resources, balance, cached images, default spreading). */
export const HEURISTIC_PLUGINS: readonly ScorePlugin[] = ["NodeResourcesFit", "NodeResourcesBalancedAllocation", "ImageLocality", "PodTopologySpread"];

/** What an extender score adds to a node's total. */
export function extenderContribution(score: number, weight: number): number {
  return score * weight * (MAX_NODE_SCORE / MAX_EXTENDER_PRIORITY);
}

/** Largest difference the plugins can make between two nodes (one at 100, the other at 0 on each). */
export function maxPluginSpread(plugins: readonly ScorePlugin[]): number {
  return plugins.reduce((sum, p) => sum + DEFAULT_SCORE_PLUGIN_WEIGHTS[p] * MAX_NODE_SCORE, 0);
}

/** Smallest OverSeer score gap that outweighs `spread` points of plugin difference. */
export function scoreGapToOutweigh(spread: number, weight: number): number {
  return Math.floor(spread / extenderContribution(1, weight)) + 1;
}
