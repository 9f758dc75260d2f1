import { describe, expect, it } from "vitest";
import { Regime } from "../../gen/overseer/v1/regime.js";
import { ScoreBasis, type NodeScore } from "../../gen/overseer/v1/scorer_service.js";
import { decideFilter, decideScores, neutralScores, topScores } from "./decide.js";
import { decodeExtenderArgs } from "./wire.js";

const req = decodeExtenderArgs({ Pod: { metadata: { name: "p" } }, NodeNames: ["a", "b", "c"] });
const score = (nodeName: string, s: number): NodeScore => ({
  nodeName,
  score: s,
  predictedSlowdown: 1,
  slowdownUpperBound: 1,
  regime: Regime.REGIME_QUIET,
  basis: ScoreBasis.SCORE_BASIS_MODEL,
});

describe("decideScores", () => {
  it("packed scores (scores_only answer) are taken in request order, clamped", () => {
    const d = decideScores(req, { scores: [], modelVersion: "m", packedScores: Buffer.from([9, 2, 42]) });
    expect(d).toEqual({ scores: [9, 2, 10], missing: [], unexpected: [] });
  });
  it("packed scores of the wrong length cannot be attributed: every node is missing (worst case)", () => {
    const d = decideScores(req, { scores: [], modelVersion: "m", packedScores: Buffer.from([9, 2]) });
    expect(d.scores).toEqual([0, 0, 0]);
    expect(d.missing).toEqual(["a", "b", "c"]);
  });
  it("a scorer that ignores scores_only answers NodeScores: those are used", () => {
    const d = decideScores(req, { scores: [score("a", 9), score("b", 2), score("c", 5)], modelVersion: "m", packedScores: Buffer.alloc(0) });
    expect(d.scores).toEqual([9, 2, 5]);
  });
  it("takes scorer scores for requested nodes", () => {
    const d = decideScores(req, { scores: [score("a", 9), score("b", 2), score("c", 5)], modelVersion: "m" });
    expect(d.scores).toEqual([9, 2, 5]);
    expect(d.missing).toEqual([]);
  });
  it("a node the scorer left out is worst case (0) and reported", () => {
    const d = decideScores(req, { scores: [score("a", 9)], modelVersion: "m" });
    expect(d.scores).toEqual([9, 0, 0]);
    expect(d.missing).toEqual(["b", "c"]);
  });
  it("names the scorer invented are dropped and reported", () => {
    const d = decideScores(req, { scores: [score("a", 9), score("zz", 10)], modelVersion: "m" });
    expect(d.scores).toEqual([9, 0, 0]);
    expect(d.unexpected).toEqual(["zz"]);
  });
  it("answers out of order or duplicated are matched by name, first wins", () => {
    const d = decideScores(req, { scores: [score("c", 1), score("a", 7), score("c", 9), score("b", 4)], modelVersion: "m" });
    expect(d.scores).toEqual([7, 4, 1]);
    expect(d.missing).toEqual([]);
  });
  it("out-of-range scores are clamped", () => {
    const d = decideScores(req, { scores: [score("a", 42), score("b", -1), score("c", 3)], modelVersion: "m" });
    expect(d.scores).toEqual([10, 0, 3]);
  });
  it("neutral scores are equal for every candidate", () => {
    expect(neutralScores(req)).toEqual([0, 0, 0]);
  });
});

describe("decideFilter", () => {
  it("removes only the nodes the scorer filtered, with its reason", () => {
    const d = decideFilter(req, { feasibleNodeNames: ["a"], filtered: [{ nodeName: "b", reason: "bound 1.6 > 1.25" }] });
    expect(d.feasible).toEqual(["a", "c"]);
    expect([...d.failed]).toEqual([["b", "bound 1.6 > 1.25"]]);
  });
  it("filtered names outside the request are ignored", () => {
    const d = decideFilter(req, { feasibleNodeNames: ["x"], filtered: [{ nodeName: "y", reason: "r" }] });
    expect(d.feasible).toEqual(["a", "b", "c"]);
    expect(d.unexpected).toEqual(["y", "x"]);
  });
  it("empty reason gets a default", () => {
    expect(decideFilter(req, { feasibleNodeNames: [], filtered: [{ nodeName: "a", reason: "" }] }).failed.get("a")).toMatch(/slowdown/);
  });
});

it("topScores sorts highest first, ties by name, limited", () => {
  expect(topScores(["b", "a", "c"], [5, 5, 9], 2)).toEqual(["c=9", "a=5"]);
});
