// NodeState survives binary and proto3 JSON round trips, absent features and their reasons included.
import { describe, expect, it } from "vitest";
import { FeatureState } from "../../gen/overseer/v1/features.js";
import { CounterSource, NodeState } from "../../gen/overseer/v1/node_state.js";
import { Regime } from "../../gen/overseer/v1/regime.js";
import { counted, notSupported, unavailable } from "./counters.js";
import { deriveFeatures } from "./derive.js";
import { toFeatureVector, validateFeatureVector, presenceMask, FeatureVectorError } from "./feature-vector.js";
import { FEATURE_COUNT } from "./catalog.js";

function sample(): NodeState {
  const d = deriveFeatures(
    {
      instructions: counted(1e10),
      "ref-cycles": counted(2e10),
      "LONGEST_LAT_CACHE.MISS": counted(3e7),
      "UNC_M_CAS_COUNT.RD": unavailable("VM"),
      slots: notSupported(),
    },
    0.5,
    { logicalCpus: 16, tscHz: 2e9, llcBytes: 32e6, peakMemoryBandwidthBytesPerSec: 0 },
  );
  return NodeState.fromPartial({
    nodeName: "worker-3",
    agentId: "agent-worker-3",
    sequence: 42,
    observedAt: new Date("2026-01-02T03:04:05.678Z"),
    features: toFeatureVector(d, 0.5),
    pmu: {
      cpuModel: "Intel(R) Xeon(R) Platinum 8480+",
      cpuid: "GenuineIntel-6-8F",
      microarchitecture: "sapphirerapids",
      sockets: 2,
      coresPerSocket: 56,
      logicalCpus: 224,
      llcBytes: 220200960,
      memoryChannels: 16,
      peakMemoryBandwidthBytesPerSec: 614.4e9,
      tscHz: 2e9,
      availableEvents: ["instructions", "ref-cycles"],
      missingEvents: [{ event: "slots", reason: FeatureState.FEATURE_STATE_ABSENT_EVENT_NOT_SUPPORTED, detail: "<not supported>" }],
    },
    regime: { regime: Regime.REGIME_QUIET, confidence: 0.9, probabilities: [{ regime: Regime.REGIME_QUIET, probability: 0.9 }], modelVersion: "v1-test" },
    residents: [{ podNamespace: "cnf", podName: "upf-0", podUid: "u-1", workloadClass: "upf", isCnf: true, placedAt: new Date("2026-01-02T03:00:00Z") }],
    source: CounterSource.COUNTER_SOURCE_SIMULATOR,
  });
}

describe("NodeState codec", () => {
  it("round-trips through the binary encoding", () => {
    const s = sample();
    const back = NodeState.decode(NodeState.encode(s).finish());
    expect(back).toEqual(s);
    expect(back.features!.states).toContain(FeatureState.FEATURE_STATE_ABSENT_SOURCE_UNAVAILABLE);
  });
  it("round-trips through proto3 JSON with enum names and absence details", () => {
    const s = sample();
    const json = JSON.parse(JSON.stringify(NodeState.toJSON(s)));
    expect(json.features.states).toContain("FEATURE_STATE_ABSENT_SOURCE_UNAVAILABLE");
    expect(json.source).toBe("COUNTER_SOURCE_SIMULATOR");
    expect(json.observedAt).toBe("2026-01-02T03:04:05.678Z");
    expect(NodeState.fromJSON(json)).toEqual(s);
  });
  it("keeps the feature vector valid for this schema, with a presence mask", () => {
    const fv = validateFeatureVector(sample().features);
    expect(fv.values).toHaveLength(FEATURE_COUNT);
    const mask = presenceMask(fv);
    expect(mask.filter((m) => m === 1).length).toBeGreaterThan(0);
    expect(mask.filter((m) => m === 0).length).toBeGreaterThan(0);
    expect(fv.window).toEqual({ seconds: 0, nanos: 500_000_000 });
  });
  it.each([
    ["wrong schema version", (fv: any) => (fv.schemaVersion = 2), /schema_version is 2/],
    ["short values", (fv: any) => fv.values.pop(), /values has 16 entries/],
    ["short states", (fv: any) => fv.states.pop(), /states has 16 entries/],
    ["NaN in a present value", (fv: any) => (fv.values[fv.states.indexOf(FeatureState.FEATURE_STATE_PRESENT)] = NaN), /must be finite/],
  ])("rejects a vector with %s, naming the field", (_name, mutate, message) => {
    const fv = structuredClone(sample().features!);
    mutate(fv);
    expect(() => validateFeatureVector(fv)).toThrow(FeatureVectorError);
    expect(() => validateFeatureVector(fv)).toThrow(message);
  });
  it("ignores NaN in an absent slot (absent values carry no meaning)", () => {
    const fv = structuredClone(sample().features!);
    fv.values[fv.states.indexOf(FeatureState.FEATURE_STATE_ABSENT_SOURCE_UNAVAILABLE)] = NaN;
    expect(() => validateFeatureVector(fv)).not.toThrow();
  });
  it("rejects malformed binary input with an error instead of garbage", () => {
    expect(() => NodeState.decode(Uint8Array.from([0x0a, 0xff, 0xff, 0xff, 0x0f, 0x01]))).toThrow();
  });
});
