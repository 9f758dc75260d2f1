import { describe, expect, it } from "vitest";
import { FeatureState } from "../../gen/overseer/v1/features.js";
import { ScoreBasis } from "../../gen/overseer/v1/scorer_service.js";
import { FEATURE_NAMES } from "../features/catalog.js";
import { decideNodeScore, exceedsLimit, missingCriticalGroups, modelDecision, scoreFromUpperBound, worstCaseDecision, type NodeScoreInput } from "./score-math.js";

const fresh: NodeScoreInput = { known: true, ageMs: 1000, freshnessMs: 10_000, missingGroups: [], predicted: 1.1, upper: 1.2, worstSlowdown: 2 };

describe("decideNodeScore", () => {
  const cases: { name: string; input: Partial<NodeScoreInput>; score: number; basis: ScoreBasis; upper?: number }[] = [
    { name: "no slowdown scores 10", input: { predicted: 1, upper: 1 }, score: 10, basis: ScoreBasis.SCORE_BASIS_MODEL },
    { name: "bound halfway to the worst scores 5", input: { predicted: 1.3, upper: 1.5 }, score: 5, basis: ScoreBasis.SCORE_BASIS_MODEL },
    { name: "bound just under a step rounds down", input: { predicted: 1.1, upper: 1.21 }, score: 7, basis: ScoreBasis.SCORE_BASIS_MODEL },
    { name: "bound at the worst slowdown scores 0", input: { predicted: 1.8, upper: 2 }, score: 0, basis: ScoreBasis.SCORE_BASIS_MODEL },
    { name: "bound beyond the worst slowdown clamps to 0", input: { predicted: 3, upper: 5 }, score: 0, basis: ScoreBasis.SCORE_BASIS_MODEL },
    { name: "prediction below 1 clamps to 1", input: { predicted: 0.7, upper: 0.9 }, score: 10, basis: ScoreBasis.SCORE_BASIS_MODEL, upper: 1 },
    { name: "bound below the prediction is raised to it", input: { predicted: 1.5, upper: 1.2 }, score: 5, basis: ScoreBasis.SCORE_BASIS_MODEL, upper: 1.5 },
    { name: "stale state", input: { ageMs: 10_001 }, score: 0, basis: ScoreBasis.SCORE_BASIS_STALE_WORST_CASE, upper: 0 },
    { name: "state exactly at the freshness bound is fresh", input: { ageMs: 10_000 }, score: 8, basis: ScoreBasis.SCORE_BASIS_MODEL },
    { name: "unknown node", input: { known: false }, score: 0, basis: ScoreBasis.SCORE_BASIS_UNKNOWN_NODE_WORST_CASE },
    { name: "unknown node wins over stale", input: { known: false, ageMs: 1e9 }, score: 0, basis: ScoreBasis.SCORE_BASIS_UNKNOWN_NODE_WORST_CASE },
    { name: "stale wins over absent features", input: { ageMs: 1e9, missingGroups: ["LLC pressure"] }, score: 0, basis: ScoreBasis.SCORE_BASIS_STALE_WORST_CASE },
    { name: "absent critical features", input: { missingGroups: ["memory bandwidth pressure"] }, score: 0, basis: ScoreBasis.SCORE_BASIS_ABSENT_FEATURES_WORST_CASE },
    { name: "NaN prediction", input: { predicted: NaN }, score: 0, basis: ScoreBasis.SCORE_BASIS_MODEL_ERROR_WORST_CASE },
    { name: "NaN upper bound", input: { upper: NaN }, score: 0, basis: ScoreBasis.SCORE_BASIS_MODEL_ERROR_WORST_CASE },
    { name: "infinite upper bound", input: { upper: Infinity }, score: 0, basis: ScoreBasis.SCORE_BASIS_MODEL_ERROR_WORST_CASE },
  ];
  it.each(cases)("$name", ({ input, score, basis, upper }) => {
    const d = decideNodeScore({ ...fresh, ...input });
    expect(d.score).toBe(score);
    expect(d.basis).toBe(basis);
    if (upper !== undefined) expect(d.upper).toBe(upper);
  });

  it("all nodes equal get equal scores", () => {
    const scores = Array.from({ length: 50 }, () => decideNodeScore({ ...fresh, predicted: 1.25, upper: 1.4 }).score);
    expect(new Set(scores)).toEqual(new Set([6]));
  });

  it("a larger bound never scores higher (monotone)", () => {
    let prev = 11;
    for (let u = 1; u <= 2.5; u += 0.01) {
      const s = decideNodeScore({ ...fresh, predicted: 1, upper: u }).score;
      expect(s).toBeLessThanOrEqual(prev);
      prev = s;
    }
  });
});

describe("scoreFromUpperBound", () => {
  it.each([
    ["worst slowdown of 1 or less is meaningless -> 0", 1.0, 1, 0],
    ["NaN bound -> 0", NaN, 2, 0],
    ["custom worst slowdown 3, bound 2 -> 5", 2, 3, 5],
  ])("%s", (_n, upper, worstS, expected) => expect(scoreFromUpperBound(upper, worstS)).toBe(expected));
});

describe("missingCriticalGroups", () => {
  const P = FeatureState.FEATURE_STATE_PRESENT;
  const A = FeatureState.FEATURE_STATE_ABSENT_EVENT_NOT_SUPPORTED;
  const states = (absent: string[]) => FEATURE_NAMES.map((n) => (absent.includes(n) ? A : P));
  it.each([
    ["all present", [], []],
    ["one of two memory features absent is usable", ["dram_bound_stall_fraction"], []],
    ["both memory features absent", ["mem_bandwidth_fraction_of_peak", "dram_bound_stall_fraction"], ["memory bandwidth pressure"]],
    ["both LLC features absent", ["llc_misses_per_kilo_instr", "l3_bound_stall_fraction"], ["LLC pressure"]],
    ["all features absent (a node without a hardware PMU)", [...FEATURE_NAMES], ["memory bandwidth pressure", "LLC pressure"]],
  ])("%s", (_n, absent, expected) => expect(missingCriticalGroups(states(absent as string[]))).toEqual(expected));
  it("unspecified state counts as absent", () => {
    const s = FEATURE_NAMES.map(() => P);
    s[FEATURE_NAMES.indexOf("mem_bandwidth_fraction_of_peak")] = FeatureState.FEATURE_STATE_UNSPECIFIED;
    s[FEATURE_NAMES.indexOf("dram_bound_stall_fraction")] = FeatureState.FEATURE_STATE_UNSPECIFIED;
    expect(missingCriticalGroups(s)).toEqual(["memory bandwidth pressure"]);
  });
});

describe("exceedsLimit", () => {
  const model = decideNodeScore({ ...fresh, predicted: 1.3, upper: 1.5 });
  it.each([
    ["no limit (0) never filters", model, 0, false],
    ["bound above the limit filters", model, 1.4, true],
    ["bound equal to the limit stays", model, 1.5, false],
    ["stale node is not filtered", decideNodeScore({ ...fresh, ageMs: 1e9 }), 1.01, false],
    ["unknown node is not filtered", decideNodeScore({ ...fresh, known: false }), 1.01, false],
    ["model error is not filtered", decideNodeScore({ ...fresh, upper: NaN }), 1.01, false],
  ])("%s", (_n, d, limit, expected) => expect(exceedsLimit(d, limit as number)).toBe(expected));
});

describe("modelDecision and worstCaseDecision (the engine's split of decideNodeScore)", () => {
  it.each([
    ["model bound", 1.3, 1.5],
    ["prediction below 1 clamps", 0.5, 0.8],
    ["NaN prediction", NaN, 1.5],
    ["infinite bound", 1.2, Infinity],
  ])("%s: equals decideNodeScore on fresh state", (_n, predicted, upper) => {
    expect(modelDecision(predicted, upper, fresh.worstSlowdown)).toEqual(decideNodeScore({ ...fresh, predicted, upper }));
  });
  it("worst case for a basis", () => {
    expect(worstCaseDecision(ScoreBasis.SCORE_BASIS_STALE_WORST_CASE)).toEqual(decideNodeScore({ ...fresh, ageMs: 1e9 }));
  });
});
