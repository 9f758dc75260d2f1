import { describe, expect, it } from "vitest";
import type { Decision } from "./driver.js";
import { computeSummary, formatSummary, type RunFacts } from "./summary.js";

const facts = (decisions: Decision[], over: Partial<RunFacts> = {}): RunFacts => ({
  seed: 1,
  nodes: [
    { name: "n1", variant: "spr-full" },
    { name: "n2", variant: "spr-vm" },
  ],
  plannedDurationMs: 10_000,
  elapsedSec: 10,
  maxSlowdown: 1.5,
  extenderWeight: 5,
  churn: { arrived: 3, left: 2 },
  decisions,
  endSlowdown: { overseer: {}, default: {} },
  staleNodes: { total: 2, stale: 0 },
  endpoints: [{ name: "scorer-svc", grpc: "127.0.0.1:1", metrics: "http://127.0.0.1:2/metrics" }],
  tracing: false,
  runDir: "/tmp/x",
  ...over,
});

const placed = (seq: number, predicted: number, bound: number, truth: number, dflt: number, extenderMs: number, traceId?: string): Decision => ({
  seq,
  pod: `cnf/p${seq}`,
  workloadClass: "upf-64b",
  atSec: seq,
  candidates: 2,
  outcome: "placed",
  node: "n1",
  extenderScore: 8,
  prediction: { predictedSlowdown: predicted, slowdownUpperBound: bound, score: 8, basis: "model", regime: "quiet", stale: false, modelVersion: "v1" },
  trueSlowdown: truth,
  extenderMs,
  traceId,
  defaultNode: "n2",
  defaultTrueSlowdown: dflt,
});

describe("computeSummary", () => {
  it("no decisions: counts are 0 and every average is absent, not 0", () => {
    const s = computeSummary(facts([]));
    expect(s.pods).toEqual({ sent: 0, placed: 0, unschedulable: 0, errors: 0 });
    expect(s.prediction.meanPredicted).toBeUndefined();
    expect(s.comparison.overseer.meanAtPlacement).toBeUndefined();
    expect(s.extenderLatencyMs.p50).toBeUndefined();
    const text = formatSummary(s, facts([]));
    expect(text).toContain("n/a: no pod was placed with a prediction");
    expect(text).toContain("n/a: no pod was placed by both");
    expect(text).toContain("p50 n/a");
  });

  it("numbers from the decisions: means, bound coverage, over-limit counts, slowest trace", () => {
    const ds = [placed(1, 1.1, 1.3, 1.2, 1.6, 10, "a".repeat(32)), placed(2, 1.0, 1.1, 1.2, 1.0, 30, "b".repeat(32)), { seq: 3, pod: "cnf/p3", workloadClass: "nat-64b", atSec: 3, candidates: 0, outcome: "unschedulable", error: "no room" } as Decision];
    const f = facts(ds, { endSlowdown: { overseer: { "cnf/p1": 1.25, "cnf/p2": 1.3 }, default: { "cnf/p1": 1.7, "cnf/p2": 1.1 } }, tracing: true });
    const s = computeSummary(f);
    expect(s.pods).toEqual({ sent: 3, placed: 2, unschedulable: 1, errors: 0 });
    expect(s.prediction.meanPredicted).toBeCloseTo(1.05);
    expect(s.prediction.meanTrue).toBeCloseTo(1.2);
    expect(s.prediction.meanAbsError).toBeCloseTo(0.15);
    expect(s.prediction.withinBound).toBe(1);
    expect(s.comparison.pods).toBe(2);
    expect(s.comparison.overseer).toMatchObject({ overLimitAtPlacement: 0, overLimitAtEnd: 0, worstAtPlacement: 1.2 });
    expect(s.comparison.default).toMatchObject({ overLimitAtPlacement: 1, overLimitAtEnd: 1, worstAtPlacement: 1.6 });
    expect(s.comparison.default.meanAtEnd).toBeCloseTo(1.4);
    expect(s.traces).toEqual({ first: "a".repeat(32), slowest: "b".repeat(32) });
    const text = formatSummary(s, f);
    expect(text).toContain("SYNTHETIC");
    expect(text).toContain("placements   2 of 3 CNF pods");
    expect(text).toContain("within the conservative bound: 1/2");
    expect(text).toMatch(/pods over the 1\.5x limit at placement\s+0\/2\s+1\/2/);
    expect(text).toMatch(/trace \(slowest\)\s+b{32}/);
  });

  it("with the run's Jaeger: names the trace that reaches regime-svc first, or says why there is none", () => {
    const ds = [placed(1, 1.1, 1.3, 1.2, 1.6, 10, "a".repeat(32)), placed(2, 1.0, 1.1, 1.2, 1.0, 30, "b".repeat(32))];
    const f = facts(ds, { tracing: true, jaegerUrl: "http://127.0.0.1:16686", regimeTrace: { checked: true, traceId: "b".repeat(32) } });
    const s = computeSummary(f);
    expect(s.traces.withRegime).toBe("b".repeat(32));
    const text = formatSummary(s, f);
    expect(text).toMatch(/trace \(full\)\s+http:\/\/127\.0\.0\.1:16686\/trace\/b{32} {2}\(extender -> scorer-svc -> regime-svc\)/);
    expect(text.indexOf("trace (full)")).toBeLessThan(text.indexOf("trace (first)"));
    const none = facts(ds, { tracing: true, jaegerUrl: "http://127.0.0.1:16686", regimeTrace: { checked: true } });
    expect(formatSummary(computeSummary(none), none)).toMatch(/trace \(full\)\s+n\/a: no decision trace holds regime-svc spans/);
  });

  it("with another collector (not checked): first and slowest, and how to tell which traces reach regime-svc", () => {
    const f = facts([placed(1, 1, 1, 1, 1, 1, "a".repeat(32))], { tracing: true });
    const text = formatSummary(computeSummary(f), f);
    expect(text).not.toContain("trace (full)");
    expect(text).toMatch(/trace \(first\)\s+a{32}/);
    expect(text).toContain("overseer.regime.classified_inline > 0");
  });

  it("tracing off says so instead of printing trace ids", () => {
    const text = formatSummary(computeSummary(facts([placed(1, 1, 1, 1, 1, 1)])), facts([]));
    expect(text).toContain("traces           off");
    expect(text).not.toContain("trace (first)");
  });

  it("a failed stale-node query is shown as n/a with the reason", () => {
    const f = facts([], { staleNodes: { error: "scorer-svc down" } });
    expect(formatSummary(computeSummary(f), f)).toContain("stale nodes  n/a (scorer-svc down)");
  });
});
