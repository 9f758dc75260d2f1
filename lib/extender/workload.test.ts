import { describe, expect, it } from "vitest";
import type { PodInfo } from "./wire.js";
import { parseMaxSlowdown, parseSoloProfile, podToWorkload } from "./workload.js";

const pod = (annotations: Record<string, string> = {}, labels: Record<string, string> = {}): PodInfo => ({
  name: "upf-0",
  namespace: "ran",
  uid: "uid-1",
  annotations,
  labels,
});

describe("podToWorkload", () => {
  it("pod without class annotation or cnf label passes through", () => {
    const w = podToWorkload(pod({ "other.io/x": "1" }));
    expect(w.kind).toBe("passthrough");
    expect(w.problems).toEqual([]);
  });

  it("class annotation makes a CNF with the pod identity", () => {
    const w = podToWorkload(pod({ "overseer.io/workload-class": "upf", "overseer.io/max-slowdown": "1.25" }));
    expect(w).toEqual({
      kind: "cnf",
      spec: { podNamespace: "ran", podName: "upf-0", podUid: "uid-1", workloadClass: "upf", soloProfile: undefined, maxSlowdown: 1.25 },
      problems: [],
    });
  });

  it("label overseer.io/cnf=true without a class is a CNF of unknown class", () => {
    const w = podToWorkload(pod({}, { "overseer.io/cnf": "true" }));
    expect(w.kind).toBe("cnf");
    if (w.kind === "cnf") expect(w.spec.workloadClass).toBe("");
  });

  it("label overseer.io/cnf=false opts out even with a class", () => {
    expect(podToWorkload(pod({ "overseer.io/workload-class": "upf" }, { "overseer.io/cnf": "false" })).kind).toBe("passthrough");
  });

  it("odd cnf label value is reported and ignored", () => {
    const w = podToWorkload(pod({ "overseer.io/workload-class": "upf" }, { "overseer.io/cnf": "yes" }));
    expect(w.kind).toBe("cnf");
    expect(w.problems.map((p) => p.key)).toEqual(["overseer.io/cnf"]);
  });

  it("invalid class: still a CNF, scored as unknown class, problem reported", () => {
    const w = podToWorkload(pod({ "overseer.io/workload-class": "UPF Gateway!" }));
    expect(w.kind).toBe("cnf");
    if (w.kind === "cnf") expect(w.spec.workloadClass).toBe("");
    expect(w.problems[0]!.key).toBe("overseer.io/workload-class");
  });

  it("invalid max-slowdown: no limit, problem reported", () => {
    const w = podToWorkload(pod({ "overseer.io/workload-class": "upf", "overseer.io/max-slowdown": "fast" }));
    if (w.kind !== "cnf") throw new Error("expected cnf");
    expect(w.spec.maxSlowdown).toBe(0);
    expect(w.problems[0]!.key).toBe("overseer.io/max-slowdown");
  });

  it("valid solo profile is carried; invalid one is dropped with a problem", () => {
    const good = podToWorkload(pod({ "overseer.io/workload-class": "dpi", "overseer.io/solo-profile": '{"cores":4,"tmaMemoryBoundFraction":0.3}' }));
    if (good.kind !== "cnf") throw new Error("expected cnf");
    expect(good.spec.soloProfile?.cores).toBe(4);
    expect(good.spec.soloProfile?.tmaMemoryBoundFraction).toBe(0.3);
    expect(good.spec.soloProfile?.instructionsPerSec).toBe(0);
    const bad = podToWorkload(pod({ "overseer.io/workload-class": "dpi", "overseer.io/solo-profile": "{cores:4}" }));
    if (bad.kind !== "cnf") throw new Error("expected cnf");
    expect(bad.spec.soloProfile).toBeUndefined();
    expect(bad.problems[0]!.key).toBe("overseer.io/solo-profile");
  });
});

describe("parseMaxSlowdown", () => {
  it.each([
    ["1.25", 1.25],
    [" 2 ", 2],
    ["1", 1],
  ])("accepts %s", (text, want) => expect(parseMaxSlowdown(text)).toBe(want));
  it.each([
    ["below one", "0.8", /below 1/],
    ["negative", "-1.2", /not a number/],
    ["not a number", "abc", /not a number/],
    ["NaN", "NaN", /not a number/],
    ["Infinity", "Infinity", /not a number/],
    ["percent typo", "125", /above 100/],
    ["empty", "", /not a number/],
  ])("rejects %s", (_n, text, pattern) => expect(() => parseMaxSlowdown(text)).toThrow(pattern));
});

describe("parseSoloProfile", () => {
  it("reads the hit ratio at a quarter working set; left out it is 0 (not measured)", () => {
    expect(parseSoloProfile('{"cores": 4, "llcHitRatioAtQuarterWorkingSet": 0.42}').llcHitRatioAtQuarterWorkingSet).toBe(0.42);
    expect(parseSoloProfile('{"cores": 4}').llcHitRatioAtQuarterWorkingSet).toBe(0);
  });
  it.each([
    ["not JSON", "{", /not JSON/],
    ["an array", "[1]", /JSON object/],
    ["unknown field (typo)", '{"corez": 4}', /unknown field "corez"/],
    ["string value", '{"cores": "4"}', /finite number/],
    ["negative value", '{"cores": -1}', />= 0/],
    ["fraction above one", '{"tmaRetiringFraction": 1.5}', /fraction/],
    ["hit ratio at a quarter working set above one", '{"llcHitRatioAtQuarterWorkingSet": 1.2}', /llcHitRatioAtQuarterWorkingSet" is a fraction/],
    ["no fields", "{}", /has no fields/],
    ["too long", JSON.stringify({ cores: 1, pad: "x".repeat(5000) }), /longer than 4096/],
  ])("rejects %s", (_n, text, pattern) => expect(() => parseSoloProfile(text)).toThrow(pattern));
});
