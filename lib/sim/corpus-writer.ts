// Writes a labelled corpus (docs/corpus.md): node states through the real feature derivation,
// ground truth, probe performance records, solo profiles and a manifest. Deterministic: no wall clock.
import { createHash, type Hash } from "node:crypto";
import { closeSync, mkdirSync, openSync, writeFileSync, writeSync } from "node:fs";
import { join } from "node:path";
import { CounterSource, NodeState, ResidentWorkload } from "../../gen/overseer/v1/node_state.js";
import { regimeToJSON } from "../../gen/overseer/v1/regime.js";
import { SoloProfile } from "../../gen/overseer/v1/scorer_service.js";
import { FEATURE_NAMES, SCHEMA_VERSION } from "../features/catalog.js";
import { deriveFeatures } from "../features/derive.js";
import { toFeatureVector } from "../features/feature-vector.js";
import type { WorkloadCatalog } from "./catalog.js";
import { validateMix, type CorpusConfig } from "./corpus-config.js";
import { createSimNode, probeSlowdown, simulateInterval } from "./node.js";
import { SPR_8480_2S } from "./node-spec.js";
import { soloProfile, soloProfiles } from "./profile.js";
import { probeSuite } from "./probe-suite.js";
import { SIM_REGIMES } from "./regime.js";
import { createRng, seedFrom } from "./rng.js";
import { NodeScenario } from "./scenario.js";

export const CORPUS_FORMAT_VERSION = 1;
export const GENERATOR = "overseer lib/sim contention simulator v1 (synthetic)";
/** Simulated clock origin: the corpus never reads the wall clock. */
export const CORPUS_EPOCH_MS = Date.UTC(2026, 0, 1, 0, 0, 0);

class HashedFile {
  private fd: number;
  private chunks: string[] = [];
  private pending = 0;
  private hash: Hash = createHash("sha256");
  bytes = 0;
  lines = 0;
  constructor(readonly path: string) {
    this.fd = openSync(path, "w");
  }
  line(s: string): void {
    this.chunks.push(s, "\n");
    this.pending += s.length + 1;
    this.lines++;
    if (this.pending > 1 << 20) this.flush();
  }
  private flush(): void {
    if (this.chunks.length === 0) return;
    const buf = Buffer.from(this.chunks.join(""), "utf8");
    this.hash.update(buf);
    writeSync(this.fd, buf);
    this.bytes += buf.length;
    this.chunks = [];
    this.pending = 0;
  }
  close(): { sha256: string; bytes: number; lines: number } {
    this.flush();
    closeSync(this.fd);
    return { sha256: this.hash.digest("hex"), bytes: this.bytes, lines: this.lines };
  }
}

function writeJson(path: string, value: unknown): { sha256: string; bytes: number } {
  const buf = Buffer.from(JSON.stringify(value, null, 2) + "\n", "utf8");
  writeFileSync(path, buf);
  return { sha256: createHash("sha256").update(buf).digest("hex"), bytes: buf.length };
}

export interface CorpusSummary {
  nodeStates: number;
  performanceRows: number;
  bytes: number;
  regimeCounts: Record<string, number>;
}

export function nodeNameOf(i: number, total: number): string {
  return `sim-node-${String(i).padStart(Math.max(3, String(total - 1).length), "0")}`;
}

export function writeCorpus(cfg: CorpusConfig, catalog: WorkloadCatalog): CorpusSummary {
  mkdirSync(cfg.outDir, { recursive: true });
  validateMix(cfg.mix, catalog);
  const spec = SPR_8480_2S;
  const states = new HashedFile(join(cfg.outDir, "node_states.jsonl"));
  const truth = new HashedFile(join(cfg.outDir, "ground_truth.jsonl"));
  const perf = new HashedFile(join(cfg.outDir, "performance.jsonl"));
  const regimeCounts: Record<string, number> = {};
  for (const r of SIM_REGIMES) regimeCounts[regimeToJSON(r)] = 0;
  const nodeVariants: string[] = [];
  const agentStartedAt = new Date(CORPUS_EPOCH_MS);
  const w = cfg.intervalSec;
  const probes = probeSuite(cfg.probeSuite, cfg.seed);
  const perWindow = Math.min(cfg.probesPerWindow, probes.length);
  for (let ni = 0; ni < cfg.nodes; ni++) {
    const nodeName = nodeNameOf(ni, cfg.nodes);
    const variant = cfg.variants[ni % cfg.variants.length]!;
    nodeVariants.push(variant);
    const node = createSimNode({ name: nodeName, variant, seed: cfg.seed, spec });
    const scenario = new NodeScenario(
      nodeName,
      catalog,
      {
        weights: cfg.mix,
        neighbourArrivalMeanGapSec: cfg.neighbourArrivalMeanGapSec,
        neighbourMeanLifetimeSec: cfg.neighbourMeanLifetimeSec,
        cnfMeanLifetimeSec: 3600,
        maxCnfs: cfg.maxCnfs,
        reservedCpus: Math.max(...catalog.cnfs.map((c) => c.cores)),
        logicalCpus: spec.logicalCpus,
      },
      createRng(seedFrom(cfg.seed, nodeName, "scenario")),
    );
    const sample = createRng(seedFrom(cfg.seed, nodeName, "probe-sample"));
    const suiteSample = createRng(seedFrom(cfg.seed, nodeName, "probe-suite-sample"));
    const order = probes.map((_, i) => i);
    const agentId = `overseer-sim/${nodeName}`;
    let residentsJson: ResidentWorkload[] = [];
    let residentsDirty = true;
    for (let seq = 1; seq <= cfg.intervals; seq++) {
      // The window (seq-1)*w .. seq*w sees the residents present at its start.
      if (scenario.advanceTo((seq - 1) * w)) residentsDirty = true;
      const residents = scenario.residents;
      const r = simulateInterval(node, residents, { windowSec: w });
      const fv = toFeatureVector(deriveFeatures(r.counters, w, node.capacity), w);
      if (residentsDirty) {
        residentsJson = residents.map((x) => ({
          podNamespace: x.podNamespace,
          podName: x.podName,
          podUid: x.podUid,
          workloadClass: x.workload.class,
          isCnf: x.isCnf,
          placedAt: new Date(CORPUS_EPOCH_MS + Math.round(x.placedAtSec * 1000)),
        }));
        residentsDirty = false;
      }
      const ns: NodeState = {
        nodeName,
        agentId,
        sequence: seq,
        observedAt: new Date(CORPUS_EPOCH_MS + Math.round(seq * w * 1000)),
        features: fv,
        pmu: node.pmu,
        regime: undefined,
        residents: residentsJson,
        source: CounterSource.COUNTER_SOURCE_SIMULATOR,
        agentStartedAt,
      };
      states.line(JSON.stringify(NodeState.toJSON(ns)));
      const gt = r.groundTruth;
      const regime = regimeToJSON(gt.regime);
      regimeCounts[regime] = (regimeCounts[regime] ?? 0) + 1;
      truth.line(
        JSON.stringify({
          nodeName,
          sequence: seq,
          regime,
          variant,
          memBandwidthUtilization: gt.memBandwidthUtilization,
          memLatencyNs: gt.memLatencyNs,
          llcDemandRatio: gt.llcDemandRatio,
          llcDisplacedFraction: gt.llcDisplacedFraction,
          busyCpuFraction: gt.busyCpuFraction,
          coreHz: gt.coreHz,
          workloads: gt.workloads.map((o, i) => ({
            podName: residents[i]!.podName,
            workloadClass: o.workloadClass,
            cores: o.cores,
            throughput: o.throughput,
            throughputSolo: o.throughputSolo,
            slowdown: o.slowdown,
          })),
        }),
      );
      for (const c of catalog.cnfs) {
        if (cfg.probeFraction < 1 && sample.next() >= cfg.probeFraction) continue;
        const p = probeSlowdown(node, residents, c);
        perf.line(JSON.stringify({ nodeName, sequence: seq, workloadClass: c.class, slowdown: p.slowdown, throughputSolo: p.throughputSolo, throughput: p.throughput }));
      }
      // Calibration probes: a seeded partial shuffle picks `perWindow` distinct probes of the suite.
      for (let k = 0; k < perWindow; k++) {
        const j = k + Math.floor(suiteSample.next() * (order.length - k));
        const t = order[k]!;
        order[k] = order[j]!;
        order[j] = t;
        const c = probes[order[k]!]!;
        const p = probeSlowdown(node, residents, c);
        perf.line(JSON.stringify({ nodeName, sequence: seq, workloadClass: c.class, slowdown: p.slowdown, throughputSolo: p.throughputSolo, throughput: p.throughput }));
      }
    }
  }
  const files: Record<string, { sha256: string; bytes: number; lines?: number }> = {
    "node_states.jsonl": states.close(),
    "ground_truth.jsonl": truth.close(),
    "performance.jsonl": perf.close(),
  };
  const solo: Record<string, { isCnf: boolean; isProbe?: boolean; profile: unknown }> = {};
  for (const [cls, e] of Object.entries(soloProfiles(spec, catalog))) solo[cls] = { isCnf: e.isCnf, profile: SoloProfile.toJSON(e.profile) };
  for (const p of probes) solo[p.class] = { isCnf: false, isProbe: true, profile: SoloProfile.toJSON(soloProfile(spec, p)) };
  files["solo_profiles.json"] = writeJson(join(cfg.outDir, "solo_profiles.json"), solo);
  const manifest = {
    format: "overseer-corpus",
    format_version: CORPUS_FORMAT_VERSION,
    schema_version: SCHEMA_VERSION,
    feature_names: FEATURE_NAMES,
    synthetic: true,
    seed: cfg.seed,
    generator: GENERATOR,
    node_count: cfg.nodes,
    interval_sec: cfg.intervalSec,
    intervals: cfg.intervals,
    regimes: SIM_REGIMES.map(regimeToJSON),
    workload_classes: catalog.workloads.map((x) => x.class),
    cnf_classes: catalog.cnfs.map((x) => x.class),
    probe_classes: probes.map((x) => x.class),
    node_variants: nodeVariants,
    epoch: new Date(CORPUS_EPOCH_MS).toISOString(),
    options: {
      variants: cfg.variants,
      mix: Object.fromEntries(cfg.mix),
      probe_fraction: cfg.probeFraction,
      neighbour_arrival_gap_sec: cfg.neighbourArrivalMeanGapSec,
      neighbour_lifetime_sec: cfg.neighbourMeanLifetimeSec,
      max_cnfs: cfg.maxCnfs,
      probe_suite: probes.length,
      probes_per_window: perWindow,
    },
    regime_counts: regimeCounts,
    rows: { node_states: files["node_states.jsonl"]!.lines, performance: files["performance.jsonl"]!.lines },
    files,
  };
  writeJson(join(cfg.outDir, "manifest.json"), manifest);
  let bytes = 0;
  for (const f of Object.values(files)) bytes += f.bytes;
  return { nodeStates: files["node_states.jsonl"]!.lines!, performanceRows: files["performance.jsonl"]!.lines!, bytes, regimeCounts };
}
