// The evaluation report document (JSON), shared by the writers, the store and EvalService.
import type { AccuracyResult } from "../accuracy/metrics.js";
import type { PlacementComparison } from "../placement/run.js";

export const REPORT_FORMAT = "overseer-eval-report";
export const REPORT_FORMAT_VERSION = 1;

export type ReportKind = "held-out-accuracy" | "placement-benchmark" | "retraining";

export interface RetrainingRecord {
  reason: string;
  promoted: boolean;
  /** Why promoted or not (e.g. "challenger MAPE 0.04 < champion 0.09", "training failed: ..."). */
  decision: string;
  championVersion: string;
  challengerVersion: string | null;
  championMetrics: Record<string, number>;
  challengerMetrics: Record<string, number>;
  /** Served bundle directory after the decision. */
  servedBundleDir: string;
  trainingCorpusDir: string;
  heldOutCorpusDir: string;
  trainingSeconds: number | null;
}

export interface EvalReport {
  format: typeof REPORT_FORMAT;
  formatVersion: typeof REPORT_FORMAT_VERSION;
  reportId: string;
  kind: ReportKind;
  /** RFC 3339. */
  createdAt: string;
  modelVersion: string;
  synthetic: boolean;
  /** Headline numbers (ReportSummary.metrics). */
  metrics: Record<string, number>;
  accuracy?: AccuracyResult;
  placement?: PlacementComparison;
  retraining?: RetrainingRecord;
  /** Retraining reports embed the challenger's and champion's accuracy on the same held-out data. */
  championAccuracy?: AccuracyResult;
  challengerAccuracy?: AccuracyResult;
}

const ID_RE = /^[A-Za-z0-9][A-Za-z0-9-]{0,127}$/;

export function isValidReportId(id: string): boolean {
  return ID_RE.test(id);
}

export function newReportId(kind: ReportKind, at: Date, suffix: string): string {
  const stamp = at.toISOString().replace(/[-:]/g, "").replace(/\.\d+Z$/, "Z");
  return `${stamp}-${kind}-${suffix}`;
}
