// Renders an evaluation report as one self-contained HTML page with inline SVG plots.
import type { AccuracyGroup, AccuracyResult } from "../accuracy/metrics.js";
import type { PlacementComparison } from "../placement/run.js";
import { barChartSvg, color, escapeXml, scatterSvg } from "./svg.js";
import type { EvalReport, RetrainingRecord } from "./types.js";

const n = (v: number | null | undefined, digits = 3) => (v === null || v === undefined || !Number.isFinite(v) ? "n/a" : v.toFixed(digits));
const pct = (v: number | null | undefined) => (v === null || v === undefined || !Number.isFinite(v) ? "n/a" : `${(v * 100).toFixed(1)} %`);

function table(head: readonly string[], rows: readonly (readonly string[])[]): string {
  return `<table><thead><tr>${head.map((h) => `<th>${escapeXml(h)}</th>`).join("")}</tr></thead><tbody>${rows
    .map((r) => `<tr>${r.map((c) => `<td>${escapeXml(c)}</td>`).join("")}</tr>`)
    .join("")}</tbody></table>`;
}

const groupRow = (label: string, g: AccuracyGroup) => [label, String(g.n), n(g.slowdownMae), pct(g.slowdownMape), pct(g.upperBoundCoverage), pct(g.regimeAccuracy)];

function accuracySection(a: AccuracyResult, heading: string): string {
  const parts = [`<h2>${escapeXml(heading)}</h2>`];
  parts.push(`<p>Model <code>${escapeXml(a.modelVersion)}</code> on corpus <code>${escapeXml(a.corpus.dir)}</code> (seed ${a.corpus.seed ?? "n/a"}, ${a.corpus.probes} probes, ${a.corpus.nodeStates} node states${a.corpus.synthetic ? ", <b>synthetic</b>" : ""}). Node-state regime accuracy: ${pct(a.nodeRegimeAccuracy)}.</p>`);
  parts.push(table(["group", "probes", "slowdown MAE", "MAPE", "bound coverage", "regime acc."], [groupRow("all", a.overall), groupRow("trained-on workloads", a.trained), groupRow("held-out workloads", a.heldOut)]));
  parts.push(`<h3>Per workload</h3>`);
  parts.push(table(["workload", "trained on", "probes", "slowdown MAE", "MAPE", "bound coverage", "regime acc."], a.perWorkload.map((w) => [w.workloadClass, w.trainedOn ? "yes" : "held out", ...groupRow("", w).slice(1)])));
  parts.push(`<p>Prediction basis: ${escapeXml(Object.entries(a.basisCounts).map(([k, v]) => `${k} ${v}`).join(", ") || "none")}</p>`);
  parts.push(`<h3>Predicted vs actual slowdown</h3><div class="grid">`);
  a.perWorkload.forEach((w, i) => {
    const pts = (a.samples[w.workloadClass] ?? []).map((s) => ({ x: s.actual, y: s.predicted, yUpper: s.upper }));
    parts.push(scatterSvg(`${w.workloadClass}${w.trainedOn ? "" : " (held out)"}`, pts, { xLabel: "actual", yLabel: "predicted (bar: upper bound)", color: color(i) }));
  });
  parts.push(`</div>`);
  parts.push(
    barChartSvg("Upper-bound coverage per workload", ["coverage"], a.perWorkload.map((w) => ({ label: `${w.workloadClass}${w.trainedOn ? "" : " *"}`, values: [w.upperBoundCoverage] })), { min: 0, max: 1 }),
  );
  return parts.join("\n");
}

function placementSection(p: PlacementComparison): string {
  const parts = [`<h2>Placement benchmark</h2>`];
  const s = p.scenario;
  parts.push(`<p><b>Synthetic</b> cluster: ${s.nodeCount} nodes (${escapeXml(Object.entries(s.variants).map(([k, v]) => `${k} ${v}`).join(", "))}), ${s.podCount} CNF pods, ${s.tenantEvents} noisy-tenant arrivals/departures, seed ${s.seed}. Slowdown = solo / actual throughput at placement (true, from the simulator).</p>`);
  parts.push(
    table(
      ["policy", "placed", "unschedulable", "mean slowdown", "p95 slowdown", "max", "SLO violations", "gap closed", "time"],
      p.policies.map((x) => [x.policy, String(x.placed), String(x.unschedulable), n(x.meanSlowdown), n(x.p95Slowdown), n(x.maxSlowdown), `${x.sloViolations} (${pct(x.sloViolationFraction)})`, pct(p.gapClosed[x.policy]), `${(x.elapsedMs / 1000).toFixed(1)} s`]),
    ),
  );
  parts.push(`<div class="grid">`);
  parts.push(barChartSvg("Slowdown per policy", ["mean", "p95"], p.policies.map((x) => ({ label: x.policy, values: [x.meanSlowdown, x.p95Slowdown] })), { min: 1, reference: 1 }));
  parts.push(barChartSvg("SLO violations per policy", ["violations"], p.policies.map((x) => ({ label: x.policy, values: [x.sloViolations] }))));
  const classes = [...new Set(Object.values(p.perClassMeanSlowdown).flatMap((m) => Object.keys(m)))].sort();
  const policies = p.policies.map((x) => x.policy);
  parts.push(barChartSvg("Mean slowdown per workload and policy", policies, classes.map((c) => ({ label: c, values: policies.map((pol) => p.perClassMeanSlowdown[pol]?.[c] ?? null) })), { min: 1, width: 720 }));
  parts.push(`</div>`);
  return parts.join("\n");
}

function retrainingSection(r: RetrainingRecord): string {
  const keys = [...new Set([...Object.keys(r.championMetrics), ...Object.keys(r.challengerMetrics)])].sort();
  return [
    `<h2>Retraining</h2>`,
    `<p>Reason: ${escapeXml(r.reason)}. Decision: <b>${r.promoted ? "challenger promoted" : "champion kept"}</b> — ${escapeXml(r.decision)}.</p>`,
    `<p>Champion <code>${escapeXml(r.championVersion)}</code>, challenger <code>${escapeXml(r.challengerVersion ?? "none")}</code>; served bundle <code>${escapeXml(r.servedBundleDir)}</code>. Trained on <code>${escapeXml(r.trainingCorpusDir)}</code>, compared on <code>${escapeXml(r.heldOutCorpusDir)}</code>${r.trainingSeconds !== null ? `, training took ${r.trainingSeconds.toFixed(1)} s` : ""}.</p>`,
    table(["metric", "champion", "challenger"], keys.map((k) => [k, n(r.championMetrics[k] ?? null, 4), n(r.challengerMetrics[k] ?? null, 4)])),
  ].join("\n");
}

const STYLE = `body{font-family:system-ui,sans-serif;margin:24px;max-width:1200px;color:#222}table{border-collapse:collapse;margin:8px 0 16px}th,td{border:1px solid #ccc;padding:3px 8px;font-size:13px;text-align:right}th:first-child,td:first-child{text-align:left}.grid{display:flex;flex-wrap:wrap;gap:12px}code{background:#f3f3f3;padding:0 3px}`;

export function renderReportHtml(r: EvalReport): string {
  const body: string[] = [];
  body.push(`<h1>OverSeer evaluation: ${escapeXml(r.kind)}</h1>`);
  body.push(`<p>Report <code>${escapeXml(r.reportId)}</code>, ${escapeXml(r.createdAt)}, model <code>${escapeXml(r.modelVersion)}</code>${r.synthetic ? " — <b>synthetic data (simulator)</b>" : ""}.</p>`);
  body.push(table(["headline metric", "value"], Object.entries(r.metrics).map(([k, v]) => [k, n(v, 4)])));
  if (r.retraining) body.push(retrainingSection(r.retraining));
  if (r.accuracy) body.push(accuracySection(r.accuracy, "Held-out accuracy of the served models"));
  if (r.championAccuracy) body.push(accuracySection(r.championAccuracy, "Champion on the held-out data"));
  if (r.challengerAccuracy) body.push(accuracySection(r.challengerAccuracy, "Challenger on the same held-out data"));
  if (r.placement) body.push(placementSection(r.placement));
  return `<!doctype html>\n<html lang="en"><head><meta charset="utf-8"><title>OverSeer ${escapeXml(r.kind)} ${escapeXml(r.reportId)}</title><style>${STYLE}</style></head><body>\n${body.join("\n")}\n</body></html>\n`;
}
