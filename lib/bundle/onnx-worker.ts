// onnxruntime-node runs inference synchronously on the calling thread (its async `run` only
// defers to setImmediate), so a large batch would block the event loop and with it gRPC ingest.
// OnnxWorker owns the sessions of one bundle in a worker thread: the service thread posts an input
// buffer (transferred, not copied) and awaits the outputs. The worker source is plain JavaScript
// evaluated in place, so it runs the same from TypeScript tests and from dist/.
import { createRequire } from "node:module";
import { Worker } from "node:worker_threads";

const WORKER_SOURCE = `
const { parentPort, workerData } = require("node:worker_threads");
const ort = require(workerData.ortPath);
const sessions = new Map();
parentPort.on("message", async (m) => {
  try {
    if (m.type === "load") {
      const s = await ort.InferenceSession.create(new Uint8Array(m.bytes), m.options);
      sessions.set(m.name, s);
      parentPort.postMessage({ id: m.id, ok: true, inputNames: s.inputNames, outputNames: s.outputNames });
    } else if (m.type === "run") {
      const s = sessions.get(m.name);
      const out = await s.run({ [m.input]: new ort.Tensor("float32", m.data, m.dims) }, m.fetches);
      const result = {};
      const transfer = [];
      // A donated input goes back to the caller (transferred, no copy) for its next run, and carries
      // the outputs: they are written over its start (the rows are consumed), so the answer adds no
      // new buffer. Outputs that do not fit are copied into buffers of their own.
      const input = m.giveBack ? m.data : undefined;
      if (input) transfer.push(input.buffer);
      const room = input ? input.buffer.byteLength >> 2 : 0;
      let at = 0;
      for (const k of m.fetches) {
        const t = out[k];
        let data = null;
        if (t && t.type === "float32") {
          if (at + t.data.length <= room) {
            data = new Float32Array(input.buffer, at * 4, t.data.length);
            data.set(t.data);
            at += t.data.length;
          } else {
            data = t.data.slice();
            transfer.push(data.buffer);
          }
        }
        result[k] = { type: t ? t.type : "missing", dims: t ? t.dims : [], data };
      }
      parentPort.postMessage({ id: m.id, ok: true, result, input }, transfer);
    } else if (m.type === "release") {
      for (const s of sessions.values()) await s.release();
      sessions.clear();
      parentPort.postMessage({ id: m.id, ok: true });
    }
  } catch (e) {
    parentPort.postMessage({ id: m.id, ok: false, error: String((e && e.message) || e) });
  }
});
`;

export interface WorkerTensor {
  type: string;
  dims: number[];
  data: Float32Array | null;
}

interface Pending {
  resolve: (v: any) => void;
  reject: (e: Error) => void;
}

export class OnnxWorker {
  private readonly worker: Worker;
  private readonly pending = new Map<number, Pending>();
  private nextId = 1;
  private dead: Error | undefined;

  constructor() {
    const ortPath = createRequire(import.meta.url).resolve("onnxruntime-node");
    this.worker = new Worker(WORKER_SOURCE, { eval: true, workerData: { ortPath } });
    this.worker.unref();
    this.worker.on("message", (m: { id: number; ok: boolean; error?: string }) => {
      const p = this.pending.get(m.id);
      if (!p) return;
      this.pending.delete(m.id);
      if (m.ok) p.resolve(m);
      else p.reject(new Error(m.error));
    });
    const fail = (e: Error) => {
      this.dead ??= e;
      for (const p of this.pending.values()) p.reject(e);
      this.pending.clear();
    };
    this.worker.on("error", (e) => fail(new Error(`inference worker failed: ${e.message}`)));
    this.worker.on("exit", (code) => fail(new Error(`inference worker exited (code ${code})`)));
  }

  private call<T>(msg: Record<string, unknown>, transfer: ArrayBuffer[] = []): Promise<T> {
    if (this.dead) return Promise.reject(this.dead);
    const id = this.nextId++;
    return new Promise<T>((resolve, reject) => {
      this.pending.set(id, { resolve, reject });
      try {
        this.worker.postMessage({ ...msg, id }, transfer);
      } catch (e) {
        this.pending.delete(id);
        reject(e instanceof Error ? e : new Error(String(e)));
      }
    });
  }

  /** Creates a session from the model bytes (copied into the worker). */
  load(name: string, bytes: Uint8Array, options: Record<string, unknown>): Promise<{ inputNames: string[]; outputNames: string[] }> {
    return this.call({ type: "load", name, bytes, options });
  }

  /**
   * Runs a float32 input. A copy of it is transferred to the worker, so the caller's array stays
   * usable (callers reuse input buffers; a detached one made a later run fail). The copy costs
   * far less than the inference it feeds, but a caller that builds its input per run (the scoring
   * engine) passes `donate` and saves it.
   */
  async run(name: string, input: string, data: Float32Array, dims: number[], fetches: string[], donate = false): Promise<{ outputs: Record<string, WorkerTensor>; input?: Float32Array }> {
    // `donate`: the caller does not touch `data` until the run answers, so its whole buffer is
    // transferred as is (no copy; detached meanwhile) and transferred back with the answer as
    // `input` (the same view), for the caller to reuse. Only for a view starting at its buffer's start.
    // The outputs then come back as views of that buffer (written over the input's first floats).
    const own = donate && data.byteOffset === 0;
    const sent = own ? data : data.slice();
    const r = await this.call<{ result: Record<string, WorkerTensor>; input?: Float32Array }>({ type: "run", name, input, data: sent, dims, fetches, giveBack: own }, [sent.buffer as ArrayBuffer]);
    return { outputs: r.result, input: r.input };
  }

  async release(): Promise<void> {
    if (!this.dead) await this.call({ type: "release" }).catch(() => undefined);
    await this.worker.terminate();
  }
}
