import { describe, expect, it } from "vitest";
import { FilterNodesRequest, ScoreNodesRequest, SoloProfile, ScoreNodesResponse, type NodeScore } from "../../gen/overseer/v1/scorer_service.js";
import { decodeNamesRequest, decodeScoreNodesRequest, decodeScoreNodesResponse, encodeNamesRequest, utf8Length } from "./score-nodes-codec.js";
import { encodeScoreNodesResponse } from "./wire.js";

const workload = { podNamespace: "ran", podName: "upf-0", podUid: "u-1", workloadClass: "upf", soloProfile: undefined, maxSlowdown: 1.25 };
const requests: [string, ScoreNodesRequest][] = [
  ["empty request", { workload: undefined, nodeNames: [] }],
  ["workload only", { workload, nodeNames: [] }],
  ["names only", { workload: undefined, nodeNames: ["a", "b"] }],
  ["typical", { workload, nodeNames: ["node-1", "node-2", "node-3"] }],
  ["non-ASCII and long names, an empty name", { workload, nodeNames: ["nœud-ü-東京", "n".repeat(300), "", "😀"] }],
  ["pod profile", { workload: { ...workload, soloProfile: SoloProfile.fromPartial({ cores: 4, instructionsPerSec: 1e10, llcWorkingSetBytes: 3e6, memReadBytesPerSec: 1e9, memWriteBytesPerSec: 2e9, llcMissesPerKiloInstr: 1 }) }, nodeNames: ["x"] }],
  ["5000 names", { workload, nodeNames: Array.from({ length: 5000 }, (_, i) => `node-${i}`) }],
  ["scores_only", { workload, nodeNames: ["node-1", "node-2"], scoresOnly: true }],
].map(([n, m]) => [n, { scoresOnly: false, ...(m as object) }] as [string, ScoreNodesRequest]);
const gen = (m: ScoreNodesRequest) => Buffer.from(ScoreNodesRequest.encode(m).finish());

describe("ScoreNodesRequest codec", () => {
  it.each(requests)("%s: encode is byte-identical to the generated encoder, decode equal to the generated decoder", (_n, msg) => {
    const bytes = encodeNamesRequest(msg);
    expect(bytes.equals(gen(msg))).toBe(true);
    expect(decodeScoreNodesRequest(bytes)).toEqual(ScoreNodesRequest.decode(bytes));
    expect(decodeScoreNodesRequest(new Uint8Array(bytes))).toEqual(ScoreNodesRequest.decode(bytes));
  });

  it.each(requests)("%s: the gRPC-framed encoding is the 5-byte prefix and the same message", (_n, msg) => {
    const plain = encodeNamesRequest(msg);
    const framed = encodeNamesRequest(msg, true);
    expect(framed.subarray(0, 5)).toEqual(Buffer.from([0, ...[24, 16, 8, 0].map((s) => (plain.length >>> s) & 0xff)]));
    expect(framed.subarray(5).equals(plain)).toBe(true);
  });

  it("FilterNodesRequest has the same fields and decodes the same", () => {
    const bytes = Buffer.from(FilterNodesRequest.encode({ workload, nodeNames: ["a", "b"] }).finish());
    expect(decodeNamesRequest(bytes, (b) => FilterNodesRequest.decode(b))).toEqual(FilterNodesRequest.decode(bytes));
    // field 3 is not a FilterNodesRequest field: the generated decoder decides (it skips it)
    const extra = Buffer.concat([bytes, Buffer.from([0x18, 0x01])]);
    expect(decodeNamesRequest(extra, (b) => FilterNodesRequest.decode(b))).toEqual(FilterNodesRequest.decode(extra));
  });

  it.each([
    ["an unknown field (a newer client)", Buffer.concat([gen(requests[3]![1]), Buffer.from([0x20, 0x05])])],
    ["scores_only as a multi-byte varint", Buffer.concat([gen(requests[3]![1]), Buffer.from([0x18, 0x81, 0x00])])],
    ["the workload twice (last wins)", Buffer.concat([gen(requests[3]![1]), gen({ workload: { ...workload, podName: "other" }, nodeNames: [] })])],
    ["a names field with another wire type", Buffer.from([0x10, 0x01])],
  ])("%s: handed to the generated decoder (same result)", (_n, bytes) => {
    let used = false;
    const out = decodeNamesRequest(bytes, (b) => ((used = true), ScoreNodesRequest.decode(b)));
    expect(used).toBe(true);
    expect(out).toEqual(ScoreNodesRequest.decode(bytes));
  });

  it("a truncated message is refused as by the generated decoder", () => {
    const bytes = gen(requests[3]![1]).subarray(0, 20);
    expect(() => ScoreNodesRequest.decode(bytes)).toThrow();
    expect(() => decodeScoreNodesRequest(bytes)).toThrow();
  });

  describe("a repeated candidate list (remembered between requests)", () => {
    const names = Array.from({ length: 200 }, (_, i) => `node-${i}`);
    const same = (m: ScoreNodesRequest) => {
      const bytes = encodeNamesRequest(m);
      expect(decodeScoreNodesRequest(bytes)).toEqual(ScoreNodesRequest.decode(bytes));
    };
    const req = (nodeNames: string[], extra: Partial<ScoreNodesRequest> = {}): ScoreNodesRequest => ({ workload, nodeNames, scoresOnly: false, ...extra });

    it("decodes equal to the generated decoder when the list repeats, grows, shrinks or changes after it", () => {
      same(req(names));
      same(req(names, { scoresOnly: true }));
      same(req(names, { workload: { ...workload, podName: "other" } }));
      same(req([...names, "node-extra"]));
      same(req(names.slice(0, 150)));
      same(req([...names.slice(0, 199), "node-changed"]));
      same(req(["first", ...names]));
      same(req(names));
    });

    it("the remembered list is the names' bytes: a list arriving without the workload, or names split by another field, still decodes right", () => {
      same(req(names));
      const namesOnly = Buffer.from(ScoreNodesRequest.encode({ workload: undefined, nodeNames: names, scoresOnly: false }).finish());
      expect(decodeScoreNodesRequest(namesOnly)).toEqual(ScoreNodesRequest.decode(namesOnly));
      const a = Buffer.from(ScoreNodesRequest.encode({ workload: undefined, nodeNames: names.slice(0, 100), scoresOnly: false }).finish());
      const b = Buffer.from(ScoreNodesRequest.encode({ workload, nodeNames: names.slice(100), scoresOnly: false }).finish());
      const split = Buffer.concat([a, b]);
      expect(decodeScoreNodesRequest(split)).toEqual(ScoreNodesRequest.decode(split));
    });

    it("a repeated list comes back as one frozen array; a caller changing the first (fresh) array does not change the next decode", () => {
      const other = names.map((n) => `other-${n}`);
      const bytes = encodeNamesRequest(req(other));
      const first = decodeScoreNodesRequest(bytes).nodeNames;
      expect(first).toEqual(other);
      first[0] = "mutated";
      first.length = 3;
      const second = decodeScoreNodesRequest(bytes).nodeNames;
      expect(second).toEqual(other);
      expect(Object.isFrozen(second)).toBe(true);
      expect(decodeScoreNodesRequest(bytes).nodeNames).toBe(second);
      expect(() => {
        second[0] = "mutated";
      }).toThrow(TypeError);
      // The list plus one more name: a new array with all of them (the remembered one unchanged).
      const longer = decodeScoreNodesRequest(encodeNamesRequest(req([...other, "one-more"]))).nodeNames;
      expect(longer).toEqual([...other, "one-more"]);
      expect(second).toEqual(other);
    });

    it("a list that extends the remembered one (nodes added at the end) is remembered in its place", () => {
      const base = names.map((n) => `grow-${n}`);
      const grown = [...base, ...Array.from({ length: 300 }, (_, i) => `added-${i}`)];
      decodeScoreNodesRequest(encodeNamesRequest(req(base)));
      expect(Object.isFrozen(decodeScoreNodesRequest(encodeNamesRequest(req(base))).nodeNames)).toBe(true);
      const first = decodeScoreNodesRequest(encodeNamesRequest(req(grown))).nodeNames;
      expect(first).toEqual(grown);
      const again = decodeScoreNodesRequest(encodeNamesRequest(req(grown))).nodeNames;
      expect(again).toEqual(grown);
      expect(Object.isFrozen(again)).toBe(true);
      expect(decodeScoreNodesRequest(encodeNamesRequest(req(grown, { scoresOnly: true }))).nodeNames).toBe(again);
    });
  });

  it("utf8Length agrees with Buffer.byteLength", () => {
    for (const s of ["", "node-1", "ü", "東京", "😀", "a\u0000b"]) expect(utf8Length(s)).toBe(Buffer.byteLength(s));
  });
});

const score = (p: Partial<NodeScore>): NodeScore => ({ nodeName: "", score: 0, predictedSlowdown: 0, slowdownUpperBound: 0, regime: 0, basis: 0, ...p });

describe("encodeNamesRequest of a repeated list", () => {
  const names = Array.from({ length: 100 }, (_, i) => `node-${i}`);
  const workload = { podNamespace: "cnf", podName: "p", podUid: "u", workloadClass: "upf", maxSlowdown: 0 };
  const generated = (nodeNames: string[], scoresOnly: boolean) => Buffer.from(ScoreNodesRequest.encode({ workload, nodeNames, scoresOnly }).finish());

  it("a frozen list encodes byte-identically again and again, with other workloads around it", () => {
    const frozen = Object.freeze([...names]) as string[];
    expect(encodeNamesRequest({ workload, nodeNames: frozen, scoresOnly: true })).toEqual(generated(names, true));
    expect(encodeNamesRequest({ workload: { ...workload, podName: "longer-pod-name" }, nodeNames: frozen })).toEqual(
      Buffer.from(ScoreNodesRequest.encode({ workload: { ...workload, podName: "longer-pod-name" }, nodeNames: names, scoresOnly: false }).finish()),
    );
    expect(encodeNamesRequest({ workload, nodeNames: frozen, scoresOnly: true })).toEqual(generated(names, true));
  });

  it("an array that is not frozen is encoded every time (a change in place shows)", () => {
    const list = [...names];
    expect(encodeNamesRequest({ workload, nodeNames: list, scoresOnly: true })).toEqual(generated(list, true));
    list[5] = "changed-in-place";
    expect(encodeNamesRequest({ workload, nodeNames: list, scoresOnly: true })).toEqual(generated(list, true));
  });
});

describe("decodeScoreNodesResponse", () => {
  it.each([
    ["empty", { scores: [], modelVersion: "" }],
    ["defaults in a score", { scores: [score({})], modelVersion: "v" }],
    ["typical", { scores: [score({ nodeName: "node-a", score: 7, predictedSlowdown: 1.13, slowdownUpperBound: 1.27, regime: 1, basis: 1 }), score({ nodeName: "node-b", basis: 3 })], modelVersion: "v1-abc-1" }],
    ["non-ASCII name, long version", { scores: [score({ nodeName: "nœud-東京", score: 10 })], modelVersion: "x".repeat(300) }],
    ["negative int32 values and NaN (generated decoder path)", { scores: [score({ nodeName: "n", score: -3, predictedSlowdown: NaN, regime: -1 })], modelVersion: "v" }],
    ["5000 scores", { scores: Array.from({ length: 5000 }, (_, i) => score({ nodeName: `node-${i}`, score: i % 11, predictedSlowdown: 1 + i / 1e4, slowdownUpperBound: 1.1 + i / 1e4, regime: (i % 5) + 1, basis: (i % 5) + 1 })), modelVersion: "v" }],
    ["packed scores (scores_only answer)", { scores: [], modelVersion: "v", packedScores: Buffer.from([0, 5, 10, 7]) }],
  ])("%s: equal to the generated decoder", (_n, msg) => {
    const bytes = encodeScoreNodesResponse({ packedScores: Buffer.alloc(0), ...msg } as ScoreNodesResponse);
    expect(decodeScoreNodesResponse(bytes)).toEqual(ScoreNodesResponse.decode(bytes));
  });

  it("an unknown field inside a NodeScore is decoded by the generated decoder (nothing dropped silently)", () => {
    const inner = Buffer.concat([Buffer.from([0x0a, 0x01, 0x61, 0x10, 0x05]), Buffer.from([0x38, 0x01])]);
    const bytes = Buffer.concat([Buffer.from([0x0a, inner.length]), inner]);
    expect(decodeScoreNodesResponse(bytes)).toEqual(ScoreNodesResponse.decode(bytes));
    expect(decodeScoreNodesResponse(bytes).scores[0]).toMatchObject({ nodeName: "a", score: 5 });
  });

  it("a truncated answer is refused", () => {
    const bytes = encodeScoreNodesResponse({ scores: [score({ nodeName: "node-a", score: 7, predictedSlowdown: 1.5 })], modelVersion: "v", packedScores: Buffer.alloc(0) }).subarray(0, 12);
    expect(() => ScoreNodesResponse.decode(bytes)).toThrow();
    expect(() => decodeScoreNodesResponse(bytes)).toThrow();
  });
});
