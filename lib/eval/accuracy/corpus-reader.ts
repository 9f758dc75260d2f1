// Reads a labelled corpus (docs/corpus.md) for evaluation: node states grouped by sequence,
// probes keyed by (node, sequence), true regimes, solo profiles. Bad input -> CorpusReadError.
import { readFile } from "node:fs/promises";
import path from "node:path";
import { NodeState } from "../../../gen/overseer/v1/node_state.js";
import { SoloProfile } from "../../../gen/overseer/v1/scorer_service.js";

export class CorpusReadError extends Error {}

export interface Probe {
  nodeName: string;
  sequence: number;
  workloadClass: string;
  slowdown: number;
}

export interface EvalCorpus {
  dir: string;
  seed: number | null;
  synthetic: boolean;
  /** Node states per sequence number, ascending. */
  steps: { sequence: number; states: NodeState[] }[];
  /** key `${node}#${seq}` -> probes. */
  probes: Map<string, Probe[]>;
  probeCount: number;
  nodeStateCount: number;
  /** key `${node}#${seq}` -> true regime name (absent in recorded corpora). */
  trueRegimes: Map<string, string>;
  soloProfiles: Map<string, { isCnf: boolean; profile: SoloProfile }>;
}

export const probeKey = (node: string, seq: number) => `${node}#${seq}`;

async function readText(dir: string, name: string, optional = false): Promise<string | undefined> {
  try {
    return await readFile(path.join(dir, name), "utf8");
  } catch (e) {
    if (optional && (e as NodeJS.ErrnoException).code === "ENOENT") return undefined;
    throw new CorpusReadError(`${path.join(dir, name)}: cannot read: ${(e as Error).message}`);
  }
}

function* jsonLines(text: string, file: string): Generator<[unknown, number]> {
  let lineNo = 0;
  for (const line of text.split("\n")) {
    lineNo++;
    if (line.trim() === "") continue;
    try {
      yield [JSON.parse(line), lineNo];
    } catch (e) {
      throw new CorpusReadError(`${file}:${lineNo}: not valid JSON: ${(e as Error).message}`);
    }
  }
}

/** Reads a corpus; `maxSequences` keeps only the first N sequence numbers (smaller runs). */
export async function readEvalCorpus(dir: string, maxSequences = Infinity): Promise<EvalCorpus> {
  const manifestText = await readText(dir, "manifest.json");
  let manifest: Record<string, unknown>;
  try {
    manifest = JSON.parse(manifestText!) as Record<string, unknown>;
  } catch (e) {
    throw new CorpusReadError(`${dir}/manifest.json: not valid JSON: ${(e as Error).message}`);
  }
  if (manifest.format !== "overseer-corpus") throw new CorpusReadError(`${dir}/manifest.json: "format" must be "overseer-corpus", got ${JSON.stringify(manifest.format)}`);
  if (manifest.format_version !== 1) throw new CorpusReadError(`${dir}/manifest.json: unsupported format_version ${JSON.stringify(manifest.format_version)} (this build reads 1)`);

  const bySeq = new Map<number, NodeState[]>();
  let nodeStateCount = 0;
  for (const [obj, n] of jsonLines((await readText(dir, "node_states.jsonl"))!, "node_states.jsonl")) {
    let s: NodeState;
    try {
      s = NodeState.fromJSON(obj);
    } catch (e) {
      throw new CorpusReadError(`node_states.jsonl:${n}: not a NodeState: ${(e as Error).message}`);
    }
    if (!s.nodeName || !(s.sequence > 0)) throw new CorpusReadError(`node_states.jsonl:${n}: needs nodeName and a positive sequence`);
    const list = bySeq.get(s.sequence) ?? [];
    list.push(s);
    bySeq.set(s.sequence, list);
    nodeStateCount++;
  }
  const seqs = [...bySeq.keys()].sort((a, b) => a - b).slice(0, Number.isFinite(maxSequences) ? maxSequences : undefined);
  const kept = new Set(seqs);

  const probes = new Map<string, Probe[]>();
  let probeCount = 0;
  for (const [obj, n] of jsonLines((await readText(dir, "performance.jsonl"))!, "performance.jsonl")) {
    const r = obj as Record<string, unknown>;
    if (typeof r.nodeName !== "string" || typeof r.sequence !== "number" || typeof r.workloadClass !== "string" || typeof r.slowdown !== "number") {
      throw new CorpusReadError(`performance.jsonl:${n}: needs nodeName, sequence, workloadClass and slowdown`);
    }
    if (!Number.isFinite(r.slowdown) || r.slowdown < 1 - 1e-9) throw new CorpusReadError(`performance.jsonl:${n}: slowdown must be a finite factor >= 1, got ${r.slowdown}`);
    if (!kept.has(r.sequence)) continue;
    const k = probeKey(r.nodeName, r.sequence);
    const list = probes.get(k) ?? [];
    list.push({ nodeName: r.nodeName, sequence: r.sequence, workloadClass: r.workloadClass, slowdown: r.slowdown });
    probes.set(k, list);
    probeCount++;
  }

  const trueRegimes = new Map<string, string>();
  const gt = await readText(dir, "ground_truth.jsonl", true);
  if (gt !== undefined) {
    for (const [obj, n] of jsonLines(gt, "ground_truth.jsonl")) {
      const r = obj as Record<string, unknown>;
      if (typeof r.nodeName !== "string" || typeof r.sequence !== "number" || typeof r.regime !== "string") throw new CorpusReadError(`ground_truth.jsonl:${n}: needs nodeName, sequence and regime`);
      if (kept.has(r.sequence)) trueRegimes.set(probeKey(r.nodeName, r.sequence), r.regime);
    }
  }

  const soloProfiles = new Map<string, { isCnf: boolean; profile: SoloProfile }>();
  const soloText = await readText(dir, "solo_profiles.json", true);
  if (soloText !== undefined) {
    let doc: Record<string, { isCnf?: unknown; profile?: unknown }>;
    try {
      doc = JSON.parse(soloText);
    } catch (e) {
      throw new CorpusReadError(`solo_profiles.json: not valid JSON: ${(e as Error).message}`);
    }
    for (const [cls, e] of Object.entries(doc)) soloProfiles.set(cls, { isCnf: e.isCnf === true, profile: SoloProfile.fromJSON(e.profile ?? {}) });
  }

  return {
    dir,
    seed: typeof manifest.seed === "number" ? manifest.seed : null,
    synthetic: manifest.synthetic === true,
    steps: seqs.map((sequence) => ({ sequence, states: bySeq.get(sequence)! })),
    probes,
    probeCount,
    nodeStateCount: seqs.reduce((s, q) => s + bySeq.get(q)!.length, 0),
    trueRegimes,
    soloProfiles,
  };
}
