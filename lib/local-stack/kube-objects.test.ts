import { describe, expect, it } from "vitest";
import { loadWorkloadCatalog, requireWorkload } from "../sim/index.js";
import { cnfPodObject, decodeFilterResult, decodePrioritizeResult, extenderArgs } from "./kube-objects.js";

const catalog = loadWorkloadCatalog();
const pod = { name: "upf-64b-0001", namespace: "cnf", uid: "uid-1", workload: requireWorkload(catalog, "upf-64b"), cores: 8, maxSlowdown: 1.5 };

describe("cnfPodObject / extenderArgs", () => {
  it("a Pending v1 Pod with OverSeer's annotations and Guaranteed requests", () => {
    const p = cnfPodObject(pod, 4 * 1024 ** 3, new Date("2026-01-02T03:04:05.678Z"));
    expect(p).toMatchObject({ apiVersion: "v1", kind: "Pod", status: { phase: "Pending" } });
    expect(p.metadata.annotations).toEqual({ "overseer.io/workload-class": "upf-64b", "overseer.io/max-slowdown": "1.5" });
    expect(p.metadata.creationTimestamp).toBe("2026-01-02T03:04:05Z");
    expect(p.spec.containers[0]!.resources).toEqual({ requests: { cpu: "8", memory: "32768Mi" }, limits: { cpu: "8", memory: "32768Mi" } });
  });
  it("ExtenderArgs for nodeCacheCapable: PascalCase, names only", () => {
    const args = extenderArgs(cnfPodObject(pod, 1, new Date()), ["n1", "n2"]);
    expect(Object.keys(args)).toEqual(["Pod", "Nodes", "NodeNames"]);
    expect(args.Nodes).toBeNull();
    expect(args.NodeNames).toEqual(["n1", "n2"]);
  });
});

describe("decodeFilterResult", () => {
  it("names and both failure maps", () => {
    expect(decodeFilterResult({ NodeNames: ["a"], FailedNodes: { b: "too slow" }, FailedAndUnresolvableNodes: { c: "x" }, Error: "" })).toEqual({
      feasible: ["a"],
      failed: { b: "too slow", c: "x" },
      error: "",
    });
  });
  it("null NodeNames means none feasible", () => {
    expect(decodeFilterResult({ NodeNames: null, FailedNodes: {}, Error: "" }).feasible).toEqual([]);
  });
  it.each([
    ["not an object", "nope"],
    ["null", null],
    ["NodeNames not names", { NodeNames: [1, 2] }],
  ])("rejects %s", (_, body) => {
    expect(() => decodeFilterResult(body)).toThrow(/filter answer/);
  });
});

describe("decodePrioritizeResult", () => {
  it("HostPriorityList -> map", () => {
    expect(decodePrioritizeResult([{ Host: "a", Score: 7 }, { Host: "b", Score: 0 }])).toEqual(new Map([["a", 7], ["b", 0]]));
  });
  it.each([
    ["not a list", { Host: "a" }],
    ["entry without Score", [{ Host: "a" }]],
    ["non-finite score", [{ Host: "a", Score: null }]],
  ])("rejects %s", (_, body) => {
    expect(() => decodePrioritizeResult(body)).toThrow(/prioritize answer/);
  });
});
