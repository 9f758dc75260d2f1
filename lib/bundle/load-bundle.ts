// Loads a model bundle directory: manifest checks, sha256 checksums, one ONNX session per model
// (created once, reused for every request), and a smoke run that checks the I/O shapes.
import { createHash } from "node:crypto";
import { readFile } from "node:fs/promises";
import path from "node:path";
import * as ort from "onnxruntime-node";
import { FEATURE_COUNT } from "../features/catalog.js";
import { BundleError, parseManifest, type BundleManifest } from "./manifest.js";
import { OnnxWorker } from "./onnx-worker.js";

export interface LoadOptions {
  /** ONNX intra-op threads; 0 lets onnxruntime choose. */
  intraOpThreads?: number;
  /**
   * "inline" runs onnxruntime on the calling thread (it blocks the event loop for the length of a
   * run); "worker" runs it in a worker thread per bundle (services use this). Default "inline".
   */
  runner?: "inline" | "worker";
  /**
   * With the worker runner, batches of at most this many rows still run inline (they block the
   * event loop for well under a millisecond, less than the two thread hops cost). Default 256.
   */
  inlineMaxRows?: number;
  /**
   * With the worker runner, an interference batch larger than inlineMaxRows still runs inline when
   * its estimated inline time is at most this many ms (0 = off, the default). The estimate is the
   * per-row time measured at load (a 256-row run) and updated from every inline run of 32+ rows.
   * A small model answers thousands of rows in a millisecond or two, less than the worker's two
   * thread hops cost on a busy machine.
   */
  inlineMaxMs?: number;
}

export interface InterferenceOutput {
  slowdown: Float32Array;
  upper: Float32Array;
  /**
   * A donated input handed back after the run (the same view, usable again; its contents are not
   * kept: the worker writes the outputs over its start, so `slowdown` and `upper` may be views of
   * it and must be read before it is reused); undefined when not donated.
   */
  input?: Float32Array;
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
  /** `rows` x 2F input -> rows x R probabilities. The caller keeps its input array (the worker gets a copy). */
  classify(input: Float32Array, rows: number): Promise<Float32Array>;
  /**
   * `rows` x (2F+P+R) input -> slowdown and upper bound per row. With `donate` the caller lends
   * the array for the run: it may be detached until the answer (the worker runner transfers its
   * buffer instead of a copy; the input may be a view of a larger buffer, from its start) and comes
   * back as `input` of the output for the caller to reuse once it has read the outputs (they may
   * be written into it).
   */
  predict(input: Float32Array, rows: number, donate?: boolean): Promise<InterferenceOutput>;
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

type Outputs = Record<string, { data: Float32Array | null; dims: readonly number[] }>;

/** One loaded model: inline (onnxruntime on this thread) or in the bundle's worker thread. */
interface ModelRunner {
  inputNames: readonly string[];
  outputNames: readonly string[];
  /** Float32 outputs by name (data null when missing or not float32), and a donated input handed back. */
  run(input: Float32Array, dims: number[], fetches: string[], donate?: boolean): Promise<{ outputs: Outputs; input?: Float32Array }>;
  release(): Promise<void>;
}

function sessionOptions(opts: LoadOptions): ort.InferenceSession.SessionOptions {
  return {
    intraOpNumThreads: opts.intraOpThreads ?? 0,
    interOpNumThreads: 1,
    graphOptimizationLevel: "all",
    // Idle intra-op threads sleep instead of spinning: the services share few cores with gRPC work.
    extra: { session: { intra_op: { allow_spinning: "0" } } },
  };
}

async function inlineRunner(bytes: Buffer, opts: LoadOptions, inputName: string): Promise<ModelRunner> {
  const session = await ort.InferenceSession.create(bytes, sessionOptions(opts));
  return {
    inputNames: session.inputNames,
    outputNames: session.outputNames,
    async run(input, dims, fetches, donate) {
      const out = await session.run({ [inputName]: new ort.Tensor("float32", input, dims) }, fetches);
      const r: Outputs = {};
      for (const k of fetches) {
        const t = out[k] as ort.Tensor | undefined;
        r[k] = { data: t && t.type === "float32" ? (t.data as Float32Array) : null, dims: t?.dims ?? [] };
      }
      return { outputs: r, input: donate ? input : undefined };
    },
    release: () => session.release(),
  };
}

async function workerRunner(worker: OnnxWorker, name: string, bytes: Buffer, opts: LoadOptions, inputName: string): Promise<ModelRunner> {
  const { inputNames, outputNames } = await worker.load(name, bytes, sessionOptions(opts) as Record<string, unknown>);
  return {
    inputNames,
    outputNames,
    run: (input, dims, fetches, donate) => worker.run(name, inputName, input, dims, fetches, donate),
    release: async () => undefined,
  };
}

async function createRunner(file: string, bytes: Buffer, opts: LoadOptions, worker: OnnxWorker | undefined, inputName: string, outputNames: string[]): Promise<ModelRunner> {
  let runner: ModelRunner;
  try {
    runner = worker ? await workerRunner(worker, file, bytes, opts, inputName) : await inlineRunner(bytes, opts, inputName);
  } catch (e) {
    throw new BundleError("onnx_invalid", `${file} does not load in onnxruntime: ${(e as Error).message}`);
  }
  const problems: string[] = [];
  if (!runner.inputNames.includes(inputName)) problems.push(`no input "${inputName}" (has ${runner.inputNames.join(", ")})`);
  for (const o of outputNames) if (!runner.outputNames.includes(o)) problems.push(`no output "${o}" (has ${runner.outputNames.join(", ")})`);
  if (problems.length > 0) {
    await runner.release().catch(() => undefined);
    throw new BundleError("onnx_invalid", `${file}: ${problems.join("; ")}`);
  }
  return runner;
}

function floatOutput(out: Outputs, name: string, rows: number, cols: number, file: string): Float32Array {
  const t = out[name];
  if (!t || !t.data) throw new BundleError("onnx_invalid", `${file}: output "${name}" is not float32`);
  if (t.data.length !== rows * cols) {
    throw new BundleError("onnx_invalid", `${file}: output "${name}" has ${t.data.length} values for ${rows} rows, expected ${rows * cols} (shape [${t.dims.join(", ")}])`);
  }
  return t.data;
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
  const worker = opts.runner === "worker" ? new OnnxWorker() : undefined;
  const inlineMaxRows = worker ? (opts.inlineMaxRows ?? 256) : Infinity;
  const runners: ModelRunner[] = [];
  const release = async () => {
    await Promise.allSettled(runners.map((r) => r.release()));
    await worker?.release();
  };
  let regime: ModelRunner, interference: ModelRunner, regimeInline: ModelRunner, interferenceInline: ModelRunner;
  try {
    regimeInline = await createRunner("regime.onnx", regimeBytes, opts, undefined, "features", ["probabilities"]);
    runners.push(regimeInline);
    interferenceInline = await createRunner("interference.onnx", interferenceBytes, opts, undefined, "input", ["slowdown", "slowdown_upper"]);
    runners.push(interferenceInline);
    regime = worker ? await createRunner("regime.onnx", regimeBytes, opts, worker, "features", ["probabilities"]) : regimeInline;
    interference = worker ? await createRunner("interference.onnx", interferenceBytes, opts, worker, "input", ["slowdown", "slowdown_upper"]) : interferenceInline;
  } catch (e) {
    await release();
    throw e;
  }

  const classify = async (input: Float32Array, rows: number) => {
    const { outputs } = await (rows <= inlineMaxRows ? regimeInline : regime).run(input, [rows, 2 * F], ["probabilities"]);
    return floatOutput(outputs, "probabilities", rows, R, "regime.onnx");
  };
  const inlineMaxMs = worker ? (opts.inlineMaxMs ?? 0) : 0;
  let msPerRow = Infinity;
  const predict = async (input: Float32Array, rows: number, donate = false) => {
    const inline = rows <= inlineMaxRows || rows * msPerRow <= inlineMaxMs;
    const t0 = inline && inlineMaxMs > 0 ? performance.now() : 0;
    const { outputs: out, input: lent } = await (inline ? interferenceInline : interference).run(input, [rows, D], ["slowdown", "slowdown_upper"], donate);
    if (t0 > 0 && rows >= 32) {
      const m = (performance.now() - t0) / rows;
      msPerRow = Number.isFinite(msPerRow) ? 0.8 * msPerRow + 0.2 * m : m;
    }
    return {
      slowdown: floatOutput(out, "slowdown", rows, 1, "interference.onnx"),
      upper: floatOutput(out, "slowdown_upper", rows, 1, "interference.onnx"),
      input: lent,
    };
  };
  try {
    await classify(new Float32Array(2 * F), 1);
    await predict(new Float32Array(D), 1);
    if (inlineMaxMs > 0) {
      // Calibrates the per-row estimate of the inline-or-worker choice (the second run: warm).
      const calib = new Float32Array(256 * D);
      for (let i = 0; i < 2; i++) {
        const t0 = performance.now();
        await interferenceInline.run(calib, [256, D], ["slowdown", "slowdown_upper"]);
        msPerRow = (performance.now() - t0) / 256;
      }
    }
    if (worker) {
      floatOutput((await regime.run(new Float32Array(2 * F), [1, 2 * F], ["probabilities"])).outputs, "probabilities", 1, R, "regime.onnx");
      floatOutput((await interference.run(new Float32Array(D), [1, D], ["slowdown", "slowdown_upper"])).outputs, "slowdown_upper", 1, 1, "interference.onnx");
    }
  } catch (e) {
    await release();
    if (e instanceof BundleError) throw e;
    throw new BundleError("onnx_invalid", `smoke run failed: ${(e as Error).message}`);
  }
  return { dir, manifest, loadedAt: new Date(), featureCount: F, regimeCount: R, profileCount: P, interferenceWidth: D, classify, predict, release };
}
