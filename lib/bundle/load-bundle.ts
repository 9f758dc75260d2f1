// Loads a model bundle directory: manifest checks, sha256 checksums, one ONNX session per model
// (created once, reused for every request), and a smoke run that checks the I/O shapes.
import { createHash } from "node:crypto";
import { readFile } from "node:fs/promises";
import path from "node:path";
import * as ort from "onnxruntime-node";
import { FEATURE_COUNT } from "../features/catalog.js";
import { BundleError, parseManifest, type BundleManifest } from "./manifest.js";

export interface LoadOptions {
  /** ONNX intra-op threads; 0 lets onnxruntime choose. */
  intraOpThreads?: number;
}

export interface InterferenceOutput {
  slowdown: Float32Array;
  upper: Float32Array;
}

export interface ModelBundle {
  dir: string;
  manifest: BundleManifest;
  loadedAt: Date;
  /** F: node features; the regime input is 2F wide. */
  featureCount: number;
  /** R: regime probability columns. */
  regimeCount: number;
  /** P: profile values. */
  profileCount: number;
  /** 2F + P + R: interference input width. */
  interferenceWidth: number;
  /** `rows` x 2F input -> rows x R probabilities. */
  classify(input: Float32Array, rows: number): Promise<Float32Array>;
  /** `rows` x (2F+P+R) input -> slowdown and upper bound per row. */
  predict(input: Float32Array, rows: number): Promise<InterferenceOutput>;
  release(): Promise<void>;
}

const sha256 = (b: Uint8Array) => createHash("sha256").update(b).digest("hex");

async function readOrRefuse(file: string): Promise<Buffer> {
  try {
    return await readFile(file);
  } catch (e) {
    throw new BundleError("unreadable", `cannot read ${path.basename(file)}: ${(e as Error).message}`);
  }
}

async function createSession(file: string, bytes: Buffer, opts: LoadOptions, inputName: string, outputNames: string[]): Promise<ort.InferenceSession> {
  let session: ort.InferenceSession;
  try {
    session = await ort.InferenceSession.create(bytes, {
      intraOpNumThreads: opts.intraOpThreads ?? 0,
      interOpNumThreads: 1,
      graphOptimizationLevel: "all",
    });
  } catch (e) {
    throw new BundleError("onnx_invalid", `${file} does not load in onnxruntime: ${(e as Error).message}`);
  }
  const problems: string[] = [];
  if (!session.inputNames.includes(inputName)) problems.push(`no input "${inputName}" (has ${session.inputNames.join(", ")})`);
  for (const o of outputNames) if (!session.outputNames.includes(o)) problems.push(`no output "${o}" (has ${session.outputNames.join(", ")})`);
  if (problems.length > 0) {
    await session.release().catch(() => undefined);
    throw new BundleError("onnx_invalid", `${file}: ${problems.join("; ")}`);
  }
  return session;
}

function floatOutput(result: ort.InferenceSession.OnnxValueMapType, name: string, rows: number, cols: number, file: string): Float32Array {
  const t = result[name] as ort.Tensor | undefined;
  if (!t || t.type !== "float32") throw new BundleError("onnx_invalid", `${file}: output "${name}" is not float32`);
  const data = t.data as Float32Array;
  if (data.length !== rows * cols) {
    throw new BundleError("onnx_invalid", `${file}: output "${name}" has ${data.length} values for ${rows} rows, expected ${rows * cols} (shape [${t.dims.join(", ")}])`);
  }
  return data;
}

/** Loads and checks the bundle in `dir`; throws BundleError with the reason when it must be refused. */
export async function loadBundle(dir: string, opts: LoadOptions = {}): Promise<ModelBundle> {
  const manifestText = (await readOrRefuse(path.join(dir, "manifest.json"))).toString("utf8");
  const manifest = parseManifest(manifestText);
  const regimeBytes = await readOrRefuse(path.join(dir, "regime.onnx"));
  const interferenceBytes = await readOrRefuse(path.join(dir, "interference.onnx"));
  for (const [name, bytes] of [["regime.onnx", regimeBytes], ["interference.onnx", interferenceBytes]] as const) {
    const got = sha256(bytes);
    if (got !== manifest.files[name]) {
      throw new BundleError("checksum_mismatch", `${name} has sha256 ${got.slice(0, 12)}…, manifest.json says ${manifest.files[name]!.slice(0, 12)}…`);
    }
  }
  const F = FEATURE_COUNT;
  const R = manifest.regimes.length;
  const P = manifest.profileFeatureNames.length;
  const D = 2 * F + P + R;
  const regime = await createSession("regime.onnx", regimeBytes, opts, "features", ["probabilities"]);
  let interference: ort.InferenceSession;
  try {
    interference = await createSession("interference.onnx", interferenceBytes, opts, "input", ["slowdown", "slowdown_upper"]);
  } catch (e) {
    await regime.release().catch(() => undefined);
    throw e;
  }

  const classify = async (input: Float32Array, rows: number) => {
    const out = await regime.run({ features: new ort.Tensor("float32", input, [rows, 2 * F]) }, ["probabilities"]);
    return floatOutput(out, "probabilities", rows, R, "regime.onnx");
  };
  const predict = async (input: Float32Array, rows: number) => {
    const out = await interference.run({ input: new ort.Tensor("float32", input, [rows, D]) }, ["slowdown", "slowdown_upper"]);
    return {
      slowdown: floatOutput(out, "slowdown", rows, 1, "interference.onnx"),
      upper: floatOutput(out, "slowdown_upper", rows, 1, "interference.onnx"),
    };
  };
  const release = async () => {
    await Promise.allSettled([regime.release(), interference.release()]);
  };
  try {
    await classify(new Float32Array(2 * F), 1);
    await predict(new Float32Array(D), 1);
  } catch (e) {
    await release();
    if (e instanceof BundleError) throw e;
    throw new BundleError("onnx_invalid", `smoke run failed: ${(e as Error).message}`);
  }
  return { dir, manifest, loadedAt: new Date(), featureCount: F, regimeCount: R, profileCount: P, interferenceWidth: D, classify, predict, release };
}
