// Writes a small, valid model bundle (docs/model-bundle.md) with linear ONNX models, for tests
// and for development before the trained default bundle exists. Synthetic, not trained.
import { createHash } from "node:crypto";
import { mkdir, writeFile } from "node:fs/promises";
import path from "node:path";
import { FEATURE_NAMES, SCHEMA_VERSION } from "../../features/catalog.js";
import { PROFILE_FEATURE_NAMES } from "../manifest.js";
import { encodeOnnxModel } from "./onnx-writer.js";

export const TEST_REGIME_NAMES = [
  "REGIME_QUIET",
  "REGIME_CORE_BOUND",
  "REGIME_LLC_CONTENDED",
  "REGIME_MEMORY_BANDWIDTH_SATURATED",
  "REGIME_MIXED",
];

export interface TestBundleOptions {
  version?: string;
  /** Multiplies the interference model's contention term (to tell two bundles apart). */
  slowdownScale?: number;
  /** When set, the interference model returns NaN for rows whose node value at this feature index is negative. */
  nanOnNegativeFeature?: number;
  featureNames?: readonly string[];
  schemaVersion?: number;
  defaultProfileClass?: string;
}

export const TEST_PROFILES: Record<string, { isCnf: boolean; profile: Record<string, number> }> = {
  upf: {
    isCnf: true,
    profile: { cores: 4, instructions_per_sec: 8e9, llc_working_set_bytes: 24e6, mem_read_bytes_per_sec: 6e9, mem_write_bytes_per_sec: 3e9, llc_misses_per_kilo_instr: 4, tma_retiring_fraction: 0.45, tma_backend_bound_fraction: 0.35, tma_memory_bound_fraction: 0.25, l2_misses_per_kilo_instr: 9, l3_bound_stall_fraction: 0.12, dram_bound_stall_fraction: 0.1, llc_hit_ratio_at_quarter_working_set: 0.4 },
  },
  firewall: {
    isCnf: true,
    profile: { cores: 2, instructions_per_sec: 5e9, llc_working_set_bytes: 8e6, mem_read_bytes_per_sec: 1.5e9, mem_write_bytes_per_sec: 0.5e9, llc_misses_per_kilo_instr: 1.2, tma_retiring_fraction: 0.6, tma_backend_bound_fraction: 0.2, tma_memory_bound_fraction: 0.1, l2_misses_per_kilo_instr: 3, l3_bound_stall_fraction: 0.05, dram_bound_stall_fraction: 0.04 },
  },
  "stream-noisy": {
    isCnf: false,
    profile: { cores: 8, instructions_per_sec: 6e9, llc_working_set_bytes: 400e6, mem_read_bytes_per_sec: 60e9, mem_write_bytes_per_sec: 30e9, llc_misses_per_kilo_instr: 40, tma_retiring_fraction: 0.15, tma_backend_bound_fraction: 0.75, tma_memory_bound_fraction: 0.65, l2_misses_per_kilo_instr: 45, l3_bound_stall_fraction: 0.1, dram_bound_stall_fraction: 0.5 },
  },
};

const F = FEATURE_NAMES.length;
const fi = (name: string) => FEATURE_NAMES.indexOf(name);

function regimeModel(featureCount: number, version: string, schemaVersion: number): Uint8Array {
  const R = TEST_REGIME_NAMES.length;
  const W = new Float32Array(2 * featureCount * R);
  const set = (feature: string, regime: number, w: number) => {
    const i = fi(feature);
    if (i >= 0 && i < featureCount) W[i * R + regime] = w;
  };
  set("cpu_utilization_fraction", 1, 6);
  set("llc_misses_per_kilo_instr", 2, 0.4);
  set("l3_bound_stall_fraction", 2, 8);
  set("mem_bandwidth_fraction_of_peak", 3, 14);
  set("dram_bound_stall_fraction", 3, 6);
  set("mem_bandwidth_fraction_of_peak", 4, 8);
  set("llc_misses_per_kilo_instr", 4, 0.25);
  const b = new Float32Array([2, 0, -1, -4, -3]);
  return encodeOnnxModel({
    inputs: [{ name: "features", dims: [-1, 2 * featureCount] }],
    outputs: [{ name: "probabilities", dims: [-1, R] }],
    nodes: [
      { opType: "MatMul", inputs: ["features", "W"], outputs: ["z0"] },
      { opType: "Add", inputs: ["z0", "b"], outputs: ["z"] },
      { opType: "Softmax", inputs: ["z"], outputs: ["probabilities"], intAttrs: { axis: 1 } },
    ],
    initializers: [
      { name: "W", dims: [2 * featureCount, R], data: W },
      { name: "b", dims: [R], data: b },
    ],
    metadata: { "overseer.version": version, "overseer.schema_version": String(schemaVersion) },
  });
}

function interferenceModel(featureCount: number, opts: TestBundleOptions, version: string, schemaVersion: number): Uint8Array {
  const R = TEST_REGIME_NAMES.length;
  const P = PROFILE_FEATURE_NAMES.length;
  const D = 2 * featureCount + P + R;
  const scale = opts.slowdownScale ?? 1;
  const w = new Float32Array(D);
  const setF = (feature: string, v: number) => {
    const i = fi(feature);
    if (i >= 0 && i < featureCount) w[i] = v * scale;
  };
  setF("mem_bandwidth_fraction_of_peak", 0.9);
  setF("dram_bound_stall_fraction", 0.4);
  setF("llc_misses_per_kilo_instr", 0.01);
  setF("cpu_utilization_fraction", 0.1);
  const p0 = 2 * featureCount;
  w[p0 + PROFILE_FEATURE_NAMES.indexOf("mem_read_bytes_per_sec")] = 5e-12 * scale;
  w[p0 + PROFILE_FEATURE_NAMES.indexOf("tma_memory_bound_fraction")] = 0.2 * scale;
  const r0 = p0 + P;
  w.set([0, 0.02, 0.15, 0.35, 0.3].map((x) => x * scale), r0);
  const nan = opts.nanOnNegativeFeature;
  const nodes: { opType: string; inputs: string[]; outputs: string[] }[] = [
    { opType: "MatMul", inputs: ["input", "w"], outputs: ["lin"] },
    { opType: "Relu", inputs: ["lin"], outputs: ["pos"] },
    { opType: "Add", inputs: ["pos", "one"], outputs: [nan === undefined ? "slowdown" : "s0"] },
  ];
  const initializers = [
    { name: "w", dims: [D, 1], data: w },
    { name: "one", dims: [1], data: new Float32Array([1]) },
    { name: "k", dims: [1], data: new Float32Array([1.1]) },
    { name: "margin", dims: [1], data: new Float32Array([0.02]) },
  ];
  if (nan !== undefined) {
    const sel = new Float32Array(D);
    sel[nan] = 1;
    initializers.push({ name: "sel", dims: [D, 1], data: sel }, { name: "zero", dims: [1], data: new Float32Array([0]) });
    nodes.push(
      { opType: "MatMul", inputs: ["input", "sel"], outputs: ["picked"] },
      { opType: "Sqrt", inputs: ["picked"], outputs: ["root"] },
      { opType: "Mul", inputs: ["root", "zero"], outputs: ["nan_or_zero"] },
      { opType: "Add", inputs: ["s0", "nan_or_zero"], outputs: ["slowdown"] },
    );
  }
  nodes.push(
    { opType: "Mul", inputs: ["slowdown", "k"], outputs: ["u0"] },
    { opType: "Add", inputs: ["u0", "margin"], outputs: ["slowdown_upper"] },
  );
  return encodeOnnxModel({
    inputs: [{ name: "input", dims: [-1, D] }],
    outputs: [
      { name: "slowdown", dims: [-1, 1] },
      { name: "slowdown_upper", dims: [-1, 1] },
    ],
    nodes,
    initializers,
    metadata: { "overseer.version": version, "overseer.schema_version": String(schemaVersion) },
  });
}

const sha256 = (b: Uint8Array) => createHash("sha256").update(b).digest("hex");

/** Writes manifest.json, regime.onnx and interference.onnx into `dir` (created if needed). */
export async function writeTestBundle(dir: string, opts: TestBundleOptions = {}): Promise<string> {
  const version = opts.version ?? "v1-testfixture-1";
  const featureNames = opts.featureNames ?? FEATURE_NAMES;
  const schemaVersion = opts.schemaVersion ?? SCHEMA_VERSION;
  const regime = regimeModel(featureNames.length, version, schemaVersion);
  const interference = interferenceModel(featureNames.length, opts, version, schemaVersion);
  const manifest = {
    bundle_format_version: 1,
    version,
    schema_version: schemaVersion,
    feature_names: [...featureNames],
    regime_names: TEST_REGIME_NAMES,
    profile_feature_names: PROFILE_FEATURE_NAMES,
    workload_profiles: TEST_PROFILES,
    default_profile_class: opts.defaultProfileClass ?? "stream-noisy",
    created_at: "2026-11-28T12:00:00Z",
    corpus_hash: "0".repeat(64),
    seed: 1,
    files: { "regime.onnx": sha256(regime), "interference.onnx": sha256(interference) },
    library_versions: { "overseer-test-fixture": "1" },
    held_out_metrics: { overall: { slowdown_mae: 0.05, slowdown_mape: 0.04, upper_bound_coverage: 0.95, regime_accuracy: 0.9 }, per_workload: {} },
    synthetic: true,
  };
  await mkdir(dir, { recursive: true });
  await writeFile(path.join(dir, "regime.onnx"), regime);
  await writeFile(path.join(dir, "interference.onnx"), interference);
  await writeFile(path.join(dir, "manifest.json"), JSON.stringify(manifest, null, 2) + "\n");
  return dir;
}

export { F as TEST_FEATURE_COUNT };
