import { describe, expect, it } from "vitest";
import { ScoreNodesResponse, type NodeScore } from "../../gen/overseer/v1/scorer_service.js";
import { encodeScoreNodesResponse } from "./wire.js";

const score = (p: Partial<NodeScore>): NodeScore => ({ nodeName: "", score: 0, predictedSlowdown: 0, slowdownUpperBound: 0, regime: 0, basis: 0, ...p });
const generated = (m: ScoreNodesResponse) => Buffer.from(ScoreNodesResponse.encode(m).finish());

describe("encodeScoreNodesResponse", () => {
  it.each([
    ["empty response", { scores: [], modelVersion: "" }],
    ["all defaults in a score (zeros omitted)", { scores: [score({})], modelVersion: "v" }],
    ["typical scores", { scores: [score({ nodeName: "node-a", score: 7, predictedSlowdown: 1.13, slowdownUpperBound: 1.27, regime: 1, basis: 1 }), score({ nodeName: "node-b", basis: 3 })], modelVersion: "v1-abc-1" }],
    ["non-ASCII node name and long version", { scores: [score({ nodeName: "nœud-ü-東京", score: 10 })], modelVersion: "x".repeat(300) }],
    ["NaN and negative values", { scores: [score({ nodeName: "n", score: -3, predictedSlowdown: NaN, slowdownUpperBound: -1.5, regime: -1 })], modelVersion: "v" }],
    ["a name longer than 127 bytes (2-byte lengths)", { scores: [score({ nodeName: "n".repeat(200), score: 1 })], modelVersion: "v" }],
    ["packed scores only", { scores: [], modelVersion: "v", packedScores: Buffer.from([3, 10, 0]) }],
    ["packed scores, 200 of them (2-byte length)", { scores: [], modelVersion: "", packedScores: Buffer.alloc(200, 9) }],
  ].map(([n, m]) => [n, { packedScores: Buffer.alloc(0), ...(m as object) }] as [string, ScoreNodesResponse]))("%s: byte-identical to the generated encoder", (_n, msg) => {
    const fast = encodeScoreNodesResponse(msg as ScoreNodesResponse);
    expect(fast.equals(generated(msg as ScoreNodesResponse))).toBe(true);
  });

  it("5000 scores round-trip", () => {
    const msg = { packedScores: Buffer.alloc(0), scores: Array.from({ length: 5000 }, (_, i) => score({ nodeName: `node-${i}`, score: i % 11, predictedSlowdown: 1 + i / 1e4, slowdownUpperBound: 1.1 + i / 1e4, regime: (i % 5) + 1, basis: (i % 5) + 1 })), modelVersion: "v" };
    const fast = encodeScoreNodesResponse(msg);
    expect(fast.equals(generated(msg))).toBe(true);
    expect(ScoreNodesResponse.decode(fast)).toEqual(msg);
  });
});
