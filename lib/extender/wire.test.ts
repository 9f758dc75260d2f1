import { describe, expect, it } from "vitest";
import { BadRequestError } from "./errors.js";
import { clampScore, decodeExtenderArgs, encodeFilterResult, encodePrioritizeResult, parseJsonBody, stringifyHostPriorities } from "./wire.js";

const pod = { metadata: { name: "upf-0", namespace: "ran", uid: "u1", annotations: { a: "b" }, labels: { l: "v" } }, spec: {} };
const node = (name: string) => ({ metadata: { name, labels: { "kubernetes.io/hostname": name } }, status: { allocatable: { cpu: "64" } } });

function badRequest(body: unknown): string {
  try {
    decodeExtenderArgs(body);
  } catch (e) {
    expect(e).toBeInstanceOf(BadRequestError);
    return (e as Error).message;
  }
  throw new Error("expected BadRequestError");
}

describe("decodeExtenderArgs", () => {
  it("names mode (nodeCacheCapable: true): Nodes null, NodeNames list", () => {
    const r = decodeExtenderArgs({ Pod: pod, Nodes: null, NodeNames: ["a", "b"] });
    expect(r.mode).toBe("names");
    expect(r.nodeNames).toEqual(["a", "b"]);
    expect(r.pod).toEqual({ name: "upf-0", namespace: "ran", uid: "u1", annotations: { a: "b" }, labels: { l: "v" } });
    expect(r.nodes).toBeUndefined();
    expect([...r.indexByName]).toEqual([["a", 0], ["b", 1]]);
  });

  it("nodes mode (nodeCacheCapable: false): Nodes.items full objects, NodeNames null", () => {
    const r = decodeExtenderArgs({ Pod: pod, Nodes: { metadata: {}, items: [node("a"), node("b")] }, NodeNames: null });
    expect(r.mode).toBe("nodes");
    expect(r.nodeNames).toEqual(["a", "b"]);
    expect(r.nodes![1]).toEqual(node("b"));
  });

  it("duplicate candidate names are answered once", () => {
    expect(decodeExtenderArgs({ Pod: pod, NodeNames: ["a", "b", "a"] }).nodeNames).toEqual(["a", "b"]);
  });

  it("pod without annotations, labels, namespace or uid", () => {
    const r = decodeExtenderArgs({ Pod: { metadata: { name: "p" } }, NodeNames: ["a"] });
    expect(r.pod).toEqual({ name: "p", namespace: "", uid: "", annotations: {}, labels: {} });
  });

  it.each([
    ["body is an array", [], /ExtenderArgs object, got an array/],
    ["body is null", null, /got null/],
    ["missing Pod", { NodeNames: ["a"] }, /Pod must be a Pod object, got nothing/],
    ["Pod is a string", { Pod: "p", NodeNames: ["a"] }, /Pod must be a Pod object, got a string/],
    ["Pod without metadata", { Pod: {}, NodeNames: ["a"] }, /Pod.metadata must be an object/],
    ["Pod without name", { Pod: { metadata: {} }, NodeNames: ["a"] }, /Pod.metadata.name is missing/],
    ["Pod name is a number", { Pod: { metadata: { name: 3 } }, NodeNames: ["a"] }, /Pod.metadata.name must be a string/],
    ["annotations not an object", { Pod: { metadata: { name: "p", annotations: ["x"] } }, NodeNames: ["a"] }, /annotations must be an object of strings/],
    ["annotation value not a string", { Pod: { metadata: { name: "p", annotations: { k: 1 } } }, NodeNames: ["a"] }, /annotations\["k"\] must be a string/],
    ["labels value not a string", { Pod: { metadata: { name: "p", labels: { k: true } } }, NodeNames: ["a"] }, /labels\["k"\] must be a string/],
    ["no candidates at all", { Pod: pod }, /no candidates/],
    ["both Nodes and NodeNames", { Pod: pod, NodeNames: ["a"], Nodes: { items: [node("a")] } }, /either NodeNames .* or Nodes/],
    ["NodeNames is a string", { Pod: pod, NodeNames: "a" }, /NodeNames must be an array/],
    ["NodeNames empty", { Pod: pod, NodeNames: [] }, /NodeNames is empty/],
    ["NodeNames with a number", { Pod: pod, NodeNames: ["a", 7] }, /NodeNames\[1\] must be a node name string, got a number/],
    ["NodeNames with an empty name", { Pod: pod, NodeNames: [""] }, /NodeNames\[0\] is an empty node name/],
    ["NodeNames with a 254-char name", { Pod: pod, NodeNames: ["x".repeat(254)] }, /longer than 253/],
    ["Nodes is an array", { Pod: pod, Nodes: [node("a")] }, /Nodes must be a NodeList object/],
    ["Nodes without items", { Pod: pod, Nodes: { metadata: {} } }, /Nodes.items must be an array/],
    ["Nodes.items empty", { Pod: pod, Nodes: { items: [] } }, /Nodes.items is empty/],
    ["Node without metadata", { Pod: pod, Nodes: { items: [{ spec: {} }] } }, /Nodes.items\[0\] must be a Node object/],
    ["Node name missing", { Pod: pod, Nodes: { items: [{ metadata: {} }] } }, /Nodes.items\[0\].metadata.name must be a node name string/],
  ])("rejects: %s", (_name, body, pattern) => {
    expect(badRequest(body)).toMatch(pattern);
  });
});

describe("parseJsonBody", () => {
  it("truncated JSON is a 400 with the parser's message", () => {
    expect(() => parseJsonBody('{"Pod": {"metadata": ')).toThrow(/malformed JSON/);
  });
  it("empty body is a 400", () => {
    expect(() => parseJsonBody("  ")).toThrow(/empty request body/);
  });
});

describe("encodeFilterResult", () => {
  it("names mode answers NodeNames and leaves Nodes null", () => {
    const req = decodeExtenderArgs({ Pod: pod, NodeNames: ["a", "b", "c"] });
    const r = encodeFilterResult(req, ["a", "c"], new Map([["b", "too slow"]]));
    expect(r).toEqual({ Nodes: null, NodeNames: ["a", "c"], FailedNodes: { b: "too slow" }, FailedAndUnresolvableNodes: {}, Error: "" });
  });

  it("nodes mode echoes the Node objects unchanged", () => {
    const req = decodeExtenderArgs({ Pod: pod, Nodes: { items: [node("a"), node("b")] } });
    const r = encodeFilterResult(req, ["b"], new Map([["a", "x"]]));
    expect(r.NodeNames).toBeNull();
    expect(r.Nodes).toEqual({ metadata: {}, items: [node("b")] });
  });

  it("drops names that were not in the request, in both lists", () => {
    const req = decodeExtenderArgs({ Pod: pod, NodeNames: ["a"] });
    const r = encodeFilterResult(req, ["a", "ghost"], new Map([["ghost2", "x"]]));
    expect(r.NodeNames).toEqual(["a"]);
    expect(r.FailedNodes).toEqual({});
  });

  it("a node both feasible and failed is failed", () => {
    const req = decodeExtenderArgs({ Pod: pod, NodeNames: ["a"] });
    expect(encodeFilterResult(req, ["a"], new Map([["a", "x"]])).NodeNames).toEqual([]);
  });
});

describe("stringifyHostPriorities", () => {
  it.each([
    ["empty list", []],
    ["typical", [{ Host: "node-a", Score: 9 }, { Host: "node-b", Score: 0 }]],
    ["names JSON must escape", [{ Host: 'a"b', Score: 1 }, { Host: "c\\d", Score: 2 }, { Host: "tab\there", Score: 3 }, { Host: "\u0001", Score: 4 }]],
    ["non-ASCII, emoji and a lone surrogate", [{ Host: "nœud-東京", Score: 5 }, { Host: "😀", Score: 6 }, { Host: "x\ud800y", Score: 7 }]],
    ["non-integer and non-finite scores", [{ Host: "a", Score: 1.5 }, { Host: "b", Score: NaN }, { Host: "c", Score: -0 }, { Host: "d", Score: Infinity }]],
  ])("%s: the same text as JSON.stringify", (_n, list) => {
    expect(stringifyHostPriorities(list)).toBe(JSON.stringify(list));
  });

  it("random names of every character class give the same text as JSON.stringify", () => {
    let seed = 7;
    const rnd = () => ((seed = (Math.imul(seed, 1664525) + 1013904223) >>> 0) / 2 ** 32);
    const list = Array.from({ length: 500 }, (_, i) => ({
      Host: String.fromCharCode(...Array.from({ length: 1 + Math.floor(rnd() * 12) }, () => Math.floor(rnd() * (rnd() < 0.8 ? 0x80 : 0x10000)))),
      Score: i % 11,
    }));
    expect(stringifyHostPriorities(list)).toBe(JSON.stringify(list));
  });
});

describe("encodePrioritizeResult / clampScore", () => {
  it("one HostPriority per requested node in request order", () => {
    const req = decodeExtenderArgs({ Pod: pod, NodeNames: ["b", "a", "c"] });
    expect(encodePrioritizeResult(req, [3, 7, 0])).toEqual([
      { Host: "b", Score: 3 },
      { Host: "a", Score: 7 },
      { Host: "c", Score: 0 },
    ]);
  });
  it("refuses a score list not aligned with the candidates", () => {
    const req = decodeExtenderArgs({ Pod: pod, NodeNames: ["a", "b"] });
    expect(() => encodePrioritizeResult(req, [1])).toThrow(/1 scores for 2 candidates/);
  });
  it.each([
    [11, 10],
    [-3, 0],
    [4.6, 5],
    [NaN, 0],
    [Infinity, 0],
  ])("clamps %s to %s", (input, want) => {
    expect(clampScore(input)).toBe(want);
  });
});
