// The end-of-run summary: numbers computed from the decisions (nothing invented: a number that
// could not be computed is shown as "n/a" with the reason), then formatted for people.
import type { Decision } from "./driver.js";
import { correlation, max, mean, percentile } from "./stats.js";

export interface Endpoint {
  name: string;
  grpc?: string;
  http?: string;
  metrics?: string;
}

export interface RunFacts {
  seed: number;
  nodes: { name: string; variant: string }[];
  plannedDurationMs: number;
  elapsedSec: number;
  maxSlowdown: number;
  extenderWeight: number;
  churn: { arrived: number; left: number };
  decisions: Decision[];
  /** Slowdown of every placed pod at the end of the run (pod -> factor), per world. */
  endSlowdown: { overseer: Record<string, number>; default: Record<string, number> };
  staleNodes: { total: number; stale: number } | { error: string };
  endpoints: Endpoint[];
  prometheusUrl?: string;
  jaegerUrl?: string;
  tracing: boolean;
  /** Looked up in the run's Jaeger: the first decision trace holding regime-svc spans (checked = Jaeger was asked). */
  regimeTrace?: { checked: boolean; traceId?: string };
  runDir: string;
}

export interface Side {
  placed: number;
  meanAtPlacement?: number;
  p95AtPlacement?: number;
  worstAtPlacement?: number;
  overLimitAtPlacement: number;
  meanAtEnd?: number;
  worstAtEnd?: number;
  overLimitAtEnd: number;
}

export interface SummaryNumbers {
  synthetic: true;
  seed: number;
  nodes: number;
  variants: Record<string, number>;
  elapsedSec: number;
  neighbours: { arrived: number; left: number };
  pods: { sent: number; placed: number; unschedulable: number; errors: number };
  prediction: { pairs: number; meanPredicted?: number; meanTrue?: number; meanAbsError?: number; correlation?: number; withinBound: number };
  comparison: { pods: number; overseer: Side; default: Side };
  extenderLatencyMs: { p50?: number; p95?: number; max?: number };
  degradedOrWorstCase: number;
  staleNodes: { total: number; stale: number } | { error: string };
  traces: { first?: string; slowest?: string; withRegime?: string };
  firstErrors: string[];
}

function side(pods: Decision[], atPlacement: (d: Decision) => number | undefined, atEnd: Record<string, number>, limit: number): Side {
  const placed = pods.map(atPlacement).filter((x): x is number => x !== undefined);
  const end = pods.map((d) => atEnd[d.pod]).filter((x): x is number => x !== undefined);
  return {
    placed: placed.length,
    meanAtPlacement: mean(placed),
    p95AtPlacement: percentile(placed, 95),
    worstAtPlacement: max(placed),
    overLimitAtPlacement: placed.filter((x) => x > limit).length,
    meanAtEnd: mean(end),
    worstAtEnd: max(end),
    overLimitAtEnd: end.filter((x) => x > limit).length,
  };
}

export function computeSummary(f: RunFacts): SummaryNumbers {
  const ds = f.decisions;
  const placed = ds.filter((d) => d.outcome === "placed");
  const pairs = placed.filter((d) => d.prediction && d.trueSlowdown !== undefined);
  const pred = pairs.map((d) => d.prediction!.predictedSlowdown);
  const truth = pairs.map((d) => d.trueSlowdown!);
  // The comparison uses pods both schedulers placed, so the averages are over the same pods.
  const both = ds.filter((d) => d.outcome === "placed" && d.trueSlowdown !== undefined && d.defaultTrueSlowdown !== undefined);
  const latencies = ds.map((d) => d.extenderMs).filter((x): x is number => x !== undefined);
  const traced = ds.filter((d) => d.traceId);
  const slowest = traced.filter((d) => d.extenderMs !== undefined).sort((a, b) => b.extenderMs! - a.extenderMs!)[0];
  const variants: Record<string, number> = {};
  for (const n of f.nodes) variants[n.variant] = (variants[n.variant] ?? 0) + 1;
  return {
    synthetic: true,
    seed: f.seed,
    nodes: f.nodes.length,
    variants,
    elapsedSec: f.elapsedSec,
    neighbours: f.churn,
    pods: {
      sent: ds.length,
      placed: placed.length,
      unschedulable: ds.filter((d) => d.outcome === "unschedulable").length,
      errors: ds.filter((d) => d.outcome === "error").length,
    },
    prediction: {
      pairs: pairs.length,
      meanPredicted: mean(pred),
      meanTrue: mean(truth),
      meanAbsError: mean(pairs.map((d) => Math.abs(d.prediction!.predictedSlowdown - d.trueSlowdown!))),
      correlation: correlation(pred, truth),
      withinBound: pairs.filter((d) => d.trueSlowdown! <= d.prediction!.slowdownUpperBound).length,
    },
    comparison: {
      pods: both.length,
      overseer: side(both, (d) => d.trueSlowdown, f.endSlowdown.overseer, f.maxSlowdown),
      default: side(both, (d) => d.defaultTrueSlowdown, f.endSlowdown.default, f.maxSlowdown),
    },
    extenderLatencyMs: { p50: percentile(latencies, 50), p95: percentile(latencies, 95), max: max(latencies) },
    degradedOrWorstCase: placed.filter((d) => d.prediction && d.prediction.basis !== "model").length,
    staleNodes: f.staleNodes,
    traces: { first: traced[0]?.traceId, slowest: slowest?.traceId, ...(f.regimeTrace?.traceId ? { withRegime: f.regimeTrace.traceId } : {}) },
    firstErrors: [...new Set(ds.filter((d) => d.outcome === "error" && d.error).map((d) => d.error!))].slice(0, 3),
  };
}

const x = (v: number | undefined, digits = 2) => (v === undefined ? "n/a" : `${v.toFixed(digits)}x`);
const num = (v: number | undefined, digits = 2) => (v === undefined ? "n/a" : v.toFixed(digits));
const ms = (v: number | undefined) => (v === undefined ? "n/a" : `${v.toFixed(1)} ms`);
const pad = (s: string, n: number) => s.padEnd(n);
const KEY = 17;

export function formatSummary(s: SummaryNumbers, f: RunFacts): string {
  const L: string[] = [];
  const variants = Object.entries(s.variants).map(([v, n]) => `${v} x${n}`).join(", ");
  L.push("", "=== OverSeer local run: summary (SYNTHETIC: simulated Sapphire Rapids nodes) ===");
  L.push(`scenario     ${s.nodes} nodes (${variants}), seed ${s.seed}, ${s.elapsedSec.toFixed(1)} s; noisy neighbours arrived ${s.neighbours.arrived}, left ${s.neighbours.left}`);
  L.push(`placements   ${s.pods.placed} of ${s.pods.sent} CNF pods placed through the extender (unschedulable ${s.pods.unschedulable}, errors ${s.pods.errors})`);
  for (const e of s.firstErrors) L.push(`             error: ${e}`);
  L.push("");
  L.push(`predicted vs true slowdown (scorer-svc's prediction for the chosen node vs the simulator's truth, ${s.prediction.pairs} pods)`);
  if (s.prediction.pairs === 0) L.push("  n/a: no pod was placed with a prediction");
  else {
    L.push(`  mean predicted ${x(s.prediction.meanPredicted, 3)}   mean true ${x(s.prediction.meanTrue, 3)}   mean |error| ${num(s.prediction.meanAbsError, 3)}   correlation ${num(s.prediction.correlation)}`);
    L.push(`  true slowdown within the conservative bound: ${s.prediction.withinBound}/${s.prediction.pairs}; scored on worst case (stale/unknown/absent/model error): ${s.degradedOrWorstCase}`);
  }
  L.push("");
  L.push(`OverSeer vs default kube-scheduler (least-allocated), same pods, same neighbours (${s.comparison.pods} pods placed by both)`);
  if (s.comparison.pods === 0) L.push("  n/a: no pod was placed by both");
  else {
    const o = s.comparison.overseer;
    const d = s.comparison.default;
    const row = (label: string, a: string, b: string) => L.push(`  ${pad(label, 42)}${pad(a, 12)}${b}`);
    row("", "OverSeer", "default");
    row("mean slowdown at placement", x(o.meanAtPlacement), x(d.meanAtPlacement));
    row("p95 slowdown at placement", x(o.p95AtPlacement), x(d.p95AtPlacement));
    row("worst slowdown at placement", x(o.worstAtPlacement), x(d.worstAtPlacement));
    row(`pods over the ${f.maxSlowdown}x limit at placement`, `${o.overLimitAtPlacement}/${o.placed}`, `${d.overLimitAtPlacement}/${d.placed}`);
    row("mean slowdown at the end", x(o.meanAtEnd), x(d.meanAtEnd));
    row("worst slowdown at the end", x(o.worstAtEnd), x(d.worstAtEnd));
    row(`pods over the limit at the end`, `${o.overLimitAtEnd}/${o.placed}`, `${d.overLimitAtEnd}/${d.placed}`);
  }
  L.push("");
  L.push(`extender latency (filter + prioritize, as the scheduler waits for it): p50 ${ms(s.extenderLatencyMs.p50)}, p95 ${ms(s.extenderLatencyMs.p95)}, max ${ms(s.extenderLatencyMs.max)}`);
  L.push("stale nodes  " + ("error" in s.staleNodes ? `n/a (${s.staleNodes.error})` : `${s.staleNodes.stale} of ${s.staleNodes.total} at the end (scorer-svc ListNodeStates)`));
  L.push("");
  L.push("where to look");
  for (const e of f.endpoints) {
    const parts = [e.grpc ? `grpc ${e.grpc}` : "", e.http ? `http ${e.http}` : "", e.metrics ? `metrics ${e.metrics}` : ""].filter(Boolean);
    L.push(`  ${pad(e.name, KEY)}${parts.join("   ")}`);
  }
  if (f.prometheusUrl) L.push(`  ${pad("prometheus", KEY)}${f.prometheusUrl}/graph`);
  if (!f.tracing) L.push("  traces           off (no collector: --with-observability starts Jaeger when installed, or set OTEL_EXPORTER_OTLP_ENDPOINT)");
  else {
    const link = (id: string | undefined) => (id === undefined ? "n/a" : f.jaegerUrl ? `${f.jaegerUrl}/trace/${id}` : id);
    if (f.regimeTrace?.checked) {
      L.push(`  ${pad("trace (full)", KEY)}${s.traces.withRegime ? `${link(s.traces.withRegime)}  (extender -> scorer-svc -> regime-svc)` : "n/a: no decision trace holds regime-svc spans (each decision found its candidates' regimes cached)"}`);
    }
    L.push(`  ${pad("trace (first)", KEY)}${link(s.traces.first)}`);
    L.push(`  ${pad("trace (slowest)", KEY)}${link(s.traces.slowest)}`);
    if (!f.regimeTrace?.checked) L.push("                   (a decision's trace reaches regime-svc when it classified a fresh NodeState itself: overseer.regime.classified_inline > 0 on scorer-svc's span)");
    if (f.jaegerUrl) L.push(`  ${pad("jaeger", KEY)}${f.jaegerUrl}/search?service=extender`);
  }
  L.push(`  ${pad("logs", KEY)}${f.runDir} (one log per process, summary.json)`);
  L.push("  (the addresses above live until the stack stops: --keep-running keeps them up)");
  return L.join("\n") + "\n";
}
