import { describe, expect, it } from "vitest";
import { decodeExtenderBody, scanNamesModeBody } from "./body-scan.js";
import { BadRequestError } from "./errors.js";
import { decodeExtenderArgs, encodeHostPrioritiesJson, encodePrioritizeResult, parseJsonBody, type ExtenderRequest } from "./wire.js";

const pod = { metadata: { name: "upf-0", namespace: "ran", uid: "u1", annotations: { "overseer.io/workload-class": "upf" }, labels: { l: "v" } }, spec: { containers: [{ name: "c" }] } };

/** The generic path's result or its error message. */
function generic(text: string): ExtenderRequest | string {
  try {
    return decodeExtenderArgs(parseJsonBody(text));
  } catch (e) {
    expect(e).toBeInstanceOf(BadRequestError);
    return (e as Error).message;
  }
}

function viaBody(text: string): ExtenderRequest | string {
  try {
    return decodeExtenderBody(text);
  } catch (e) {
    expect(e).toBeInstanceOf(BadRequestError);
    return (e as Error).message;
  }
}

/** The fields consumers read, including the name -> index map. */
const view = (r: ExtenderRequest | string) =>
  typeof r === "string" ? r : { pod: r.pod, mode: r.mode, nodeNames: r.nodeNames, index: [...r.indexByName], nodes: r.nodes };

function expectSame(text: string): void {
  expect(view(viaBody(text))).toEqual(view(generic(text)));
}

describe("decodeExtenderBody (fast names-mode scan)", () => {
  it("takes the fast path for kube-scheduler's usual body and agrees with the generic decode", () => {
    const text = JSON.stringify({ Pod: pod, Nodes: null, NodeNames: ["node-0", "node-1", "n2.rack-3.example"] });
    expect(scanNamesModeBody(text)).toBeDefined();
    expectSame(text);
  });

  it("keeps the first of repeated names, like the generic decode", () => {
    const names = ["a", "b", "a", "c", "b", "b", "d", "a"];
    const text = JSON.stringify({ Pod: pod, NodeNames: names });
    expect(scanNamesModeBody(text)!.nodeNames).toEqual(["a", "b", "c", "d"]);
    expectSame(text);
  });

  it("thousands of names with duplicates (hash table growth and collisions) agree with the generic decode", () => {
    const names = Array.from({ length: 9000 }, (_, i) => `node-${(i * 7919) % 6000}`);
    const text = JSON.stringify({ NodeNames: names, Nodes: null, Pod: pod });
    expect(scanNamesModeBody(text)).toBeDefined();
    expectSame(text);
    // A second, smaller call reuses the table.
    expectSame(JSON.stringify({ Pod: pod, NodeNames: ["x", "y", "x"] }));
  });

  it("whitespace anywhere between tokens and any key order", () => {
    const text = ` \n{ "NodeNames" :\t[ "a" ,\r\n "b" ] , "Pod" : ${JSON.stringify(pod, null, 2)} , "Nodes" : null }\n `;
    expect(scanNamesModeBody(text)).toBeDefined();
    expectSame(text);
  });

  it("names like __proto__ and constructor are ordinary names", () => {
    const text = JSON.stringify({ Pod: pod, NodeNames: ["__proto__", "constructor", "toString", "__proto__"] });
    expect(scanNamesModeBody(text)).toBeDefined();
    expectSame(text);
  });

  it.each([
    ["escaped name", String.raw`{"Pod":{"metadata":{"name":"p"}},"NodeNames":["a\"b","c"]}`],
    ["escaped control character in a name", JSON.stringify({ Pod: pod, NodeNames: ["a\u0001"] })],
    ["non-ASCII name", JSON.stringify({ Pod: pod, NodeNames: ["nœud-ü", "a"] })],
    ["escaped key spelling of Pod", String.raw`{"\u0050od":{"metadata":{"name":"p"}},"NodeNames":["a"]}`],
    ["an extra key", JSON.stringify({ Pod: pod, NodeNames: ["a"], Extra: 1 })],
    ["repeated key", `{"Pod":${JSON.stringify(pod)},"NodeNames":["a"],"NodeNames":["b"]}`],
    ["Nodes object (nodeCacheCapable: false)", JSON.stringify({ Pod: pod, Nodes: { items: [{ metadata: { name: "a" } }] }, NodeNames: null })],
  ])("valid but unusual bodies go to the generic path: %s", (_n, text) => {
    expect(scanNamesModeBody(text)).toBeUndefined();
    expectSame(text);
  });

  it.each([
    ["truncated in the names", `{"Pod":${JSON.stringify(pod)},"NodeNames":["a","b`],
    ["truncated in the pod", `{"Pod":{"metadata":{"name":"p"`],
    ["trailing garbage", `${JSON.stringify({ Pod: pod, NodeNames: ["a"] })}x`],
    ["missing comma", `{"Pod":${JSON.stringify(pod)} "NodeNames":["a"]}`],
    ["names without comma", `{"Pod":${JSON.stringify(pod)},"NodeNames":["a" "b"]}`],
    ["trailing comma in names", `{"Pod":${JSON.stringify(pod)},"NodeNames":["a",]}`],
    ["bad pod JSON inside balanced braces", `{"Pod":{"metadata":{"name":p}},"NodeNames":["a"]}`],
    ["Nodes: nul", `{"Pod":${JSON.stringify(pod)},"Nodes":nul,"NodeNames":["a"]}`],
    ["empty body", "   "],
    ["empty object", "{}"],
    ["array body", "[]"],
    ["NodeNames empty", JSON.stringify({ Pod: pod, NodeNames: [] })],
    ["NodeNames null and no Nodes", JSON.stringify({ Pod: pod, NodeNames: null })],
    ["NodeNames with a number", JSON.stringify({ Pod: pod, NodeNames: ["a", 7] })],
    ["NodeNames with an empty name", JSON.stringify({ Pod: pod, NodeNames: [""] })],
    ["NodeNames with a 254-char name", JSON.stringify({ Pod: pod, NodeNames: ["x".repeat(254)] })],
    ["raw control character inside a name", `{"Pod":${JSON.stringify(pod)},"NodeNames":["a\u0001"]}`],
    ["Pod is a string", JSON.stringify({ Pod: "p", NodeNames: ["a"] })],
    ["Pod without a name", JSON.stringify({ Pod: { metadata: {} }, NodeNames: ["a"] })],
    ["annotation value not a string", JSON.stringify({ Pod: { metadata: { name: "p", annotations: { k: 1 } } }, NodeNames: ["a"] })],
    ["both Nodes and NodeNames", JSON.stringify({ Pod: pod, Nodes: { items: [] }, NodeNames: ["a"] })],
  ])("malformed or invalid: the same 400 message as the generic path (%s)", (_n, text) => {
    const g = generic(text);
    expect(typeof g).toBe("string");
    expect(viaBody(text)).toBe(g);
  });

  it("the name -> index map is right whether or not the scan saw duplicates", () => {
    const r = decodeExtenderBody(JSON.stringify({ Pod: pod, NodeNames: ["b", "a", "b", "c"] }));
    expect([...r.indexByName]).toEqual([["b", 0], ["a", 1], ["c", 2]]);
    expect(r.indexByName.get("c")).toBe(2);
  });
});

describe("a repeated candidate list", () => {
  const body = (names: string[]) => JSON.stringify({ Pod: pod, Nodes: null, NodeNames: names });
  const many = (prefix: string, n = 100) => Array.from({ length: n }, (_, i) => `${prefix}-${i}`);

  it("gives the same frozen names array for the same NodeNames text, a new one for another list", () => {
    const first = decodeExtenderBody(body(many("node")));
    const again = decodeExtenderBody(body(many("node")));
    expect(again.nodeNames).toBe(first.nodeNames);
    expect(Object.isFrozen(first.nodeNames)).toBe(true);
    expect(() => first.nodeNames.push("x")).toThrow(TypeError);
    const other = decodeExtenderBody(body(many("other")));
    expect(other.nodeNames).not.toBe(first.nodeNames);
    expect(other.nodeNames).toEqual(many("other"));
    // Each answer still agrees with the generic decode, and the per-request map is its own.
    expectSame(body(many("node")));
    expect(again.indexByName).not.toBe(first.indexByName);
  });

  it("a list with duplicates is remembered deduplicated; a short list is not remembered", () => {
    const dup = [...many("node"), "node-3"];
    const a = decodeExtenderBody(body(dup));
    expect(a.nodeNames).toEqual(many("node"));
    expect(decodeExtenderBody(body(dup)).nodeNames).toBe(a.nodeNames);
    const short = decodeExtenderBody(body(many("s", 3)));
    expect(decodeExtenderBody(body(many("s", 3))).nodeNames).not.toBe(short.nodeNames);
  });
});

describe("encodeHostPrioritiesJson", () => {
  const req = (names: string[]) => decodeExtenderArgs({ Pod: pod, NodeNames: names });

  it.each([
    ["typical", ["node-a", "node-b", "n2.rack-3.example"], [9, 0, 10]],
    ["out-of-range and non-integer scores are clamped like encodePrioritizeResult", ["a", "b", "c", "d", "e"], [11, -3, 4.6, NaN, Infinity]],
    ["names JSON must escape", ['a"b', "c\\d", "tab\there", "\u0001"], [1, 2, 3, 4]],
    ["non-ASCII and a lone surrogate", ["nœud-東京", "😀", "x\ud800y"], [5, 6, 7]],
  ])("%s: the bytes of JSON.stringify(encodePrioritizeResult(...))", (_n, names, scores) => {
    const r = req(names as string[]);
    expect(encodeHostPrioritiesJson(r.nodeNames, scores as number[]).toString("utf8")).toBe(JSON.stringify(encodePrioritizeResult(r, scores as number[])));
  });

  it("refuses scores not aligned with the names", () => {
    expect(() => encodeHostPrioritiesJson(["a", "b"], [1])).toThrow(/1 scores for 2 candidates/);
  });

  it("1,000 names with every score value", () => {
    const names = Array.from({ length: 1000 }, (_, i) => `node-${i}`);
    const scores = names.map((_, i) => i % 11);
    expect(encodeHostPrioritiesJson(names, scores).toString("latin1")).toBe(JSON.stringify(encodePrioritizeResult(req(names), scores)));
  });
});

describe("encodeHostPrioritiesJson for a repeated (frozen) list", () => {
  const req = (names: string[]) => decodeExtenderArgs({ Pod: pod, NodeNames: names });
  const names = Object.freeze(Array.from({ length: 100 }, (_, i) => `node-${i}`)) as string[];
  const json = (sc: number[]) => JSON.stringify(encodePrioritizeResult(req(names), sc));

  it("the same scores again give the same bytes; any changed score gives the new answer", () => {
    const a = names.map((_, i) => i % 11);
    const first = encodeHostPrioritiesJson(names, a, true);
    expect(first.toString("latin1")).toBe(json(a));
    expect(encodeHostPrioritiesJson(names, [...a], true)).toBe(first);
    const b = [...a];
    b[57] = (b[57]! + 1) % 11;
    const second = encodeHostPrioritiesJson(names, b, true);
    expect(second.toString("latin1")).toBe(json(b));
    expect(first.toString("latin1")).toBe(json(a)); // the earlier answer's bytes are never rewritten
    // Scores that clamp to the same values are the same answer.
    expect(encodeHostPrioritiesJson(names, b.map((x, i) => (i === 3 ? x + 0.2 : x)), true).toString("latin1")).toBe(json(b));
  });

  it("a list that is not frozen is encoded every time", () => {
    const open = [...names];
    const sc = open.map(() => 4);
    const first = encodeHostPrioritiesJson(open, sc, true);
    expect(encodeHostPrioritiesJson(open, sc, true)).not.toBe(first);
    open[0] = "renamed";
    expect(encodeHostPrioritiesJson(open, sc, true).toString("latin1")).toBe(JSON.stringify(encodePrioritizeResult(req(open), sc)));
  });
});

describe("plain names", () => {
  it("both scans mark their names plain, and the mark is right", () => {
    for (const text of [JSON.stringify({ Pod: pod, NodeNames: ["a", "b c", "d,e"] }), `{"Pod":${JSON.stringify(pod)},"NodeNames":[ "a" ]}`]) {
      const r = scanNamesModeBody(text)!;
      expect(r.plainNames).toBe(true);
      expect(encodeHostPrioritiesJson(r.nodeNames, r.nodeNames.map(() => 3), true).toString("utf8")).toBe(JSON.stringify(r.nodeNames.map((Host) => ({ Host, Score: 3 }))));
    }
  });
  it("names with spaces or commas (legal JSON, not Kubernetes names) agree with the generic decode", () => {
    expectSame(JSON.stringify({ Pod: pod, NodeNames: ["a b", "c,d", "a b", "]"] }));
  });
});
