import { describe, expect, it } from "vitest";
import { FeatureState, type FeatureVector } from "../../gen/overseer/v1/features.js";
import { ClassifyRequest } from "../../gen/overseer/v1/regime_service.js";
import { writeFeatureRow } from "../bundle/model-input.js";
import { FEATURE_COUNT, FEATURE_NAMES, SCHEMA_VERSION, featureIndex } from "../features/catalog.js";
import { validateFeatureVector } from "../features/feature-vector.js";
import { encodeClassifyRows } from "./classify-codec.js";
import { NodeStateStore } from "./node-state-store.js";
import { nodeState } from "./testing/node-states.js";

/**
 * The reference: the vector a row stands for: present features with their value and FEATURE_STATE_PRESENT, absent
 * ones as FEATURE_STATE_UNSPECIFIED with value 0 (the absence reason stays in the stored state).
 */
function featureVectorFromRow(row: Float32Array): FeatureVector {
  const F = FEATURE_COUNT;
  const values = new Array<number>(F);
  const states = new Array<FeatureState>(F);
  for (let j = 0; j < F; j++) {
    const present = row[F + j] === 1;
    values[j] = present ? row[j]! : 0;
    states[j] = present ? FeatureState.FEATURE_STATE_PRESENT : FeatureState.FEATURE_STATE_UNSPECIFIED;
  }
  return { schemaVersion: SCHEMA_VERSION, values, states, window: undefined, absenceDetails: {} };
}

/** Model rows as the store writes them, for states with different values and absences. */
function storeRows(): Float32Array[] {
  const store = new NodeStateStore({ maxNodes: 10 });
  store.upsert(nodeState("plain"));
  store.upsert(nodeState("busy", { features: { mem_bandwidth_fraction_of_peak: 0.9, llc_misses_per_kilo_instr: 20, cpu_utilization_fraction: 0.123456789 } }));
  store.upsert(nodeState("blind", { absent: ["mem_bandwidth_fraction_of_peak", "dram_bound_stall_fraction"] }));
  store.upsert(nodeState("zeros", { features: Object.fromEntries(FEATURE_NAMES.map((n) => [n, 0])) }));
  store.upsert(nodeState("none", { absent: [...FEATURE_NAMES] }));
  return ["plain", "busy", "blind", "zeros", "none"].map((n) => store.get(n)!.row);
}

describe("ClassifyRequest from model rows", () => {
  it("is byte for byte what the generated encoder writes for the rows' vectors", () => {
    const rows = storeRows();
    const generated = ClassifyRequest.encode({ vectors: rows.map(featureVectorFromRow) }).finish();
    expect(Buffer.compare(encodeClassifyRows(rows), Buffer.from(generated))).toBe(0);
    expect(encodeClassifyRows([]).length).toBe(0);
  });

  it("decodes to valid vectors that give the regime model each row exactly", () => {
    const rows = storeRows();
    const { vectors } = ClassifyRequest.decode(encodeClassifyRows(rows));
    expect(vectors).toHaveLength(rows.length);
    vectors.forEach((v, i) => {
      expect(() => validateFeatureVector(v)).not.toThrow();
      const back = new Float32Array(2 * FEATURE_COUNT);
      writeFeatureRow(v, back, 0);
      expect([...back]).toEqual([...rows[i]!]);
    });
    const blind = vectors[2]!;
    const absent = featureIndex("mem_bandwidth_fraction_of_peak");
    expect(blind.states[absent]).toBe(FeatureState.FEATURE_STATE_UNSPECIFIED);
    expect(blind.values[absent]).toBe(0);
    expect(blind.states[featureIndex("cpu_utilization_fraction")]).toBe(FeatureState.FEATURE_STATE_PRESENT);
  });

  it("refuses a row shorter than the model input", () => {
    expect(() => encodeClassifyRows([new Float32Array(FEATURE_COUNT)])).toThrow(/the regime model needs \d+/);
  });
});
