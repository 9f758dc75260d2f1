// Flags of the corpus CLI, validated once into a typed config.
import { ConfigError, parseFlags, positive, type FlagSpecs } from "../config/flags.js";
import type { WorkloadCatalog } from "./catalog.js";
import { VARIANT_NAMES, type VariantName } from "./node-spec.js";
import { DEFAULT_SCENARIO } from "./scenario.js";

const within = (v: number, lo: number, hi: number, msg: string) => (v >= lo && v <= hi ? undefined : msg);

export const CORPUS_FLAGS = {
  out: { name: "out", type: "string", help: "output directory (created; existing corpus files are overwritten)" },
  seed: { name: "seed", type: "int", default: 1, help: "random seed: same seed and options, same bytes", validate: (v) => within(v as number, 0, 0xffffffff, "must be 0..4294967295") },
  nodes: { name: "nodes", type: "int", default: 100, help: "number of simulated nodes", validate: (v) => within(v as number, 1, 100000, "must be 1..100000") },
  intervals: { name: "intervals", type: "int", default: 60, help: "measurement windows per node", validate: (v) => within(v as number, 1, 10_000_000, "must be 1..10000000") },
  intervalSec: { name: "interval-sec", type: "float", default: 10, help: "window length in seconds", validate: (v) => within(v as number, 0.01, 3600, "must be 0.01..3600") },
  variants: { name: "variants", type: "string", default: VARIANT_NAMES.join(","), help: `node variants, assigned to nodes in turn (${VARIANT_NAMES.join(", ")})` },
  mix: { name: "mix", type: "string", default: "", help: 'workload weights "class=weight,..." (per kind: CNFs and neighbours; a kind with no listed class keeps uniform weights)' },
  catalog: { name: "catalog", type: "string", default: "", help: "workload catalog JSON (default: the repository's data/workloads.json)" },
  probeFraction: { name: "probe-fraction", type: "float", default: 1, help: "share of (node, window, CNF class) probes written, seeded sample", validate: (v) => ((v as number) > 0 && (v as number) <= 1 ? undefined : "must be in (0, 1]") },
  neighbourGap: { name: "neighbour-arrival-gap", type: "duration", default: DEFAULT_SCENARIO.neighbourArrivalMeanGapSec * 1000, help: "mean time between noisy-neighbour arrivals per node", validate: (v) => positive(v as number) },
  neighbourLifetime: { name: "neighbour-lifetime", type: "duration", default: DEFAULT_SCENARIO.neighbourMeanLifetimeSec * 1000, help: "mean noisy-neighbour lifetime", validate: (v) => positive(v as number) },
  probeSuite: { name: "probe-suite", type: "int", default: 64, help: "calibration probes in the suite (parametric synthetic workloads, lib/sim/probe-suite.ts); 0 = none", validate: (v) => within(v as number, 0, 10000, "must be 0..10000") },
  probesPerWindow: { name: "probes-per-window", type: "int", default: 8, help: "calibration probes (drawn from the suite, seeded) written per node window", validate: (v) => within(v as number, 0, 10000, "must be 0..10000") },
  maxCnfs: { name: "max-cnfs", type: "int", default: DEFAULT_SCENARIO.maxCnfs, help: "most CNF pods resident on a node at once", validate: (v) => within(v as number, 0, 32, "must be 0..32") },
} satisfies FlagSpecs;

export interface CorpusConfig {
  outDir: string;
  seed: number;
  nodes: number;
  intervals: number;
  intervalSec: number;
  variants: VariantName[];
  mix: Map<string, number>;
  catalogPath: string | undefined;
  probeFraction: number;
  neighbourArrivalMeanGapSec: number;
  neighbourMeanLifetimeSec: number;
  maxCnfs: number;
  probeSuite: number;
  probesPerWindow: number;
}

export function parseMix(text: string): Map<string, number> {
  const mix = new Map<string, number>();
  if (text.trim() === "") return mix;
  for (const part of text.split(",")) {
    const m = /^\s*([a-z0-9][a-z0-9-]*)\s*=\s*([0-9]*\.?[0-9]+)\s*$/.exec(part);
    if (!m) throw new ConfigError(`--mix: "${part}" is not class=weight (e.g. mem-bw-streamer=2)`);
    const w = Number(m[2]);
    if (!(w >= 0 && Number.isFinite(w))) throw new ConfigError(`--mix: weight of ${m[1]} must be a non-negative number`);
    if (mix.has(m[1]!)) throw new ConfigError(`--mix: ${m[1]} given twice`);
    mix.set(m[1]!, w);
  }
  return mix;
}

export function parseVariants(text: string): VariantName[] {
  const names = text.split(",").map((s) => s.trim()).filter((s) => s !== "");
  if (names.length === 0) throw new ConfigError("--variants: give at least one variant");
  for (const n of names) {
    if (!(VARIANT_NAMES as readonly string[]).includes(n)) throw new ConfigError(`--variants: unknown variant "${n}" (known: ${VARIANT_NAMES.join(", ")})`);
  }
  return names as VariantName[];
}

/** argv (without node and script) -> config, or `{ help: true }`. Throws ConfigError. */
export function parseCorpusArgs(argv: readonly string[], env: NodeJS.ProcessEnv = {}): CorpusConfig | { help: true } {
  const f = parseFlags(argv, env, CORPUS_FLAGS);
  if (f.help) return { help: true };
  if (!f.out) throw new ConfigError("--out is required (the corpus directory)");
  return {
    outDir: f.out,
    seed: f.seed,
    nodes: f.nodes,
    intervals: f.intervals,
    intervalSec: f.intervalSec,
    variants: parseVariants(f.variants),
    mix: parseMix(f.mix),
    catalogPath: f.catalog === "" ? undefined : f.catalog,
    probeFraction: f.probeFraction,
    neighbourArrivalMeanGapSec: f.neighbourGap / 1000,
    neighbourMeanLifetimeSec: f.neighbourLifetime / 1000,
    maxCnfs: f.maxCnfs,
    probeSuite: f.probeSuite,
    probesPerWindow: f.probesPerWindow,
  };
}

/** Every class named in --mix must exist in the catalog. */
export function validateMix(mix: ReadonlyMap<string, number>, catalog: WorkloadCatalog): void {
  for (const cls of mix.keys()) {
    if (!catalog.byClass.has(cls)) throw new ConfigError(`--mix: unknown workload class "${cls}" (catalog has: ${catalog.workloads.map((w) => w.class).join(", ")})`);
  }
}
