// manifest.json of a model bundle (docs/model-bundle.md): parsing and checks against this build.
import { FEATURE_NAMES, SCHEMA_VERSION } from "../features/catalog.js";
import { Regime } from "../../gen/overseer/v1/regime.js";
import { SoloProfile } from "../../gen/overseer/v1/scorer_service.js";

export const BUNDLE_FORMAT_VERSION = 1;

/** Profile features the SoloProfile message can carry, snake_case as in manifests. */
export const PROFILE_FEATURE_NAMES = [
  "cores",
  "instructions_per_sec",
  "llc_working_set_bytes",
  "mem_read_bytes_per_sec",
  "mem_write_bytes_per_sec",
  "llc_misses_per_kilo_instr",
  "tma_retiring_fraction",
  "tma_backend_bound_fraction",
  "tma_memory_bound_fraction",
  "l2_misses_per_kilo_instr",
  "l3_bound_stall_fraction",
  "dram_bound_stall_fraction",
  "llc_hit_ratio_at_quarter_working_set",
] as const;
export type ProfileFeatureName = (typeof PROFILE_FEATURE_NAMES)[number];

/** snake_case manifest name -> SoloProfile field. */
export const PROFILE_FIELD: Record<ProfileFeatureName, keyof SoloProfile> = {
  cores: "cores",
  instructions_per_sec: "instructionsPerSec",
  llc_working_set_bytes: "llcWorkingSetBytes",
  mem_read_bytes_per_sec: "memReadBytesPerSec",
  mem_write_bytes_per_sec: "memWriteBytesPerSec",
  llc_misses_per_kilo_instr: "llcMissesPerKiloInstr",
  tma_retiring_fraction: "tmaRetiringFraction",
  tma_backend_bound_fraction: "tmaBackendBoundFraction",
  tma_memory_bound_fraction: "tmaMemoryBoundFraction",
  l2_misses_per_kilo_instr: "l2MissesPerKiloInstr",
  l3_bound_stall_fraction: "l3BoundStallFraction",
  dram_bound_stall_fraction: "dramBoundStallFraction",
  llc_hit_ratio_at_quarter_working_set: "llcHitRatioAtQuarterWorkingSet",
};

export interface WorkloadProfile {
  className: string;
  isCnf: boolean;
  profile: SoloProfile;
}

export interface BundleManifest {
  bundleFormatVersion: number;
  version: string;
  schemaVersion: number;
  featureNames: string[];
  regimeNames: string[];
  /** regime_names as enum values, in probability column order. */
  regimes: Regime[];
  /** Order of the profile part of the interference input. */
  profileFeatureNames: ProfileFeatureName[];
  workloadProfiles: Map<string, WorkloadProfile>;
  /** Class used for unknown workloads: the manifest's, or the most memory-intensive profile. */
  defaultProfileClass: string;
  createdAt?: Date;
  corpusHash: string;
  seed?: number;
  files: Record<string, string>;
  /** held_out_metrics.overall */
  heldOutMetrics: Record<string, number>;
  synthetic: boolean;
}

/** Why a bundle was refused; `reason` is a short metric label. */
export class BundleError extends Error {
  constructor(
    readonly reason: "unreadable" | "format" | "schema_mismatch" | "checksum_mismatch" | "onnx_invalid",
    message: string,
  ) {
    super(message);
  }
}

type Json = Record<string, unknown>;
const isObj = (v: unknown): v is Json => typeof v === "object" && v !== null && !Array.isArray(v);
const fmt = (m: string) => new BundleError("format", `manifest.json: ${m}`);

function str(o: Json, key: string, required = true): string {
  const v = o[key];
  if (typeof v === "string" && v !== "") return v;
  if (!required && v === undefined) return "";
  throw fmt(`"${key}" must be a non-empty string`);
}

function strArray(o: Json, key: string): string[] {
  const v = o[key];
  if (!Array.isArray(v) || v.length === 0 || !v.every((x) => typeof x === "string")) throw fmt(`"${key}" must be a non-empty array of strings`);
  return v as string[];
}

export function soloProfileFrom(values: Json, names: readonly ProfileFeatureName[], where: string): SoloProfile {
  const p = SoloProfile.fromPartial({});
  for (const n of names) {
    // The snake_case name from profile_feature_names, or the SoloProfile field name (camelCase).
    // proto3 JSON omits zero-valued fields, so an absent field is 0 (a streaming workload has no LLC hits).
    const v = values[n] ?? values[PROFILE_FIELD[n]] ?? 0;
    if (typeof v !== "number" || !Number.isFinite(v)) throw fmt(`${where}.${n} must be a finite number`);
    p[PROFILE_FIELD[n]] = v as never;
  }
  return p;
}

const memoryDemand = (p: SoloProfile) => p.memReadBytesPerSec + p.memWriteBytesPerSec;

/** Parses manifest.json text and checks it against this build's catalog. Throws BundleError. */
export function parseManifest(text: string): BundleManifest {
  let raw: unknown;
  try {
    raw = JSON.parse(text);
  } catch (e) {
    throw fmt(`not valid JSON (${(e as Error).message})`);
  }
  if (!isObj(raw)) throw fmt("must be a JSON object");
  if (raw.bundle_format_version !== BUNDLE_FORMAT_VERSION) {
    throw fmt(`bundle_format_version is ${JSON.stringify(raw.bundle_format_version)}, this build reads ${BUNDLE_FORMAT_VERSION}`);
  }
  const version = str(raw, "version");
  if (raw.schema_version !== SCHEMA_VERSION) {
    throw new BundleError("schema_mismatch", `schema_version is ${JSON.stringify(raw.schema_version)}, this build's feature catalog is schema ${SCHEMA_VERSION}`);
  }
  const featureNames = strArray(raw, "feature_names");
  if (featureNames.length !== FEATURE_NAMES.length) {
    throw new BundleError("schema_mismatch", `feature_names has ${featureNames.length} names, the catalog has ${FEATURE_NAMES.length}`);
  }
  const diff = featureNames.findIndex((n, i) => n !== FEATURE_NAMES[i]);
  if (diff >= 0) {
    throw new BundleError("schema_mismatch", `feature_names[${diff}] is "${featureNames[diff]}", the catalog has "${FEATURE_NAMES[diff]}"`);
  }
  const regimeNames = strArray(raw, "regime_names");
  const regimes = regimeNames.map((n) => {
    const r = (Regime as unknown as Record<string, number>)[n];
    if (r === undefined || r <= 0) throw fmt(`regime_names has "${n}", not a classifying overseer.v1.Regime name`);
    return r as Regime;
  });
  if (new Set(regimes).size !== regimes.length) throw fmt("regime_names has duplicates");
  const pnames = strArray(raw, "profile_feature_names");
  for (const n of pnames) if (!(n in PROFILE_FIELD)) throw fmt(`profile_feature_names has "${n}", which SoloProfile cannot carry`);
  const profileFeatureNames = pnames as ProfileFeatureName[];
  if (!isObj(raw.workload_profiles) || Object.keys(raw.workload_profiles).length === 0) throw fmt(`"workload_profiles" must be a non-empty object`);
  const workloadProfiles = new Map<string, WorkloadProfile>();
  for (const [cls, entry] of Object.entries(raw.workload_profiles)) {
    if (!isObj(entry) || !isObj(entry.profile)) throw fmt(`workload_profiles.${cls}.profile must be an object`);
    workloadProfiles.set(cls, {
      className: cls,
      isCnf: entry.isCnf === true,
      profile: soloProfileFrom(entry.profile, profileFeatureNames, `workload_profiles.${cls}.profile`),
    });
  }
  let defaultProfileClass = typeof raw.default_profile_class === "string" ? raw.default_profile_class : "";
  if (defaultProfileClass && !workloadProfiles.has(defaultProfileClass)) {
    throw fmt(`default_profile_class "${defaultProfileClass}" is not in workload_profiles`);
  }
  if (!defaultProfileClass) {
    defaultProfileClass = [...workloadProfiles.values()].reduce((a, b) => (memoryDemand(b.profile) > memoryDemand(a.profile) ? b : a)).className;
  }
  if (!isObj(raw.files)) throw fmt(`"files" must be an object of sha256 checksums`);
  const files: Record<string, string> = {};
  for (const f of ["regime.onnx", "interference.onnx"]) {
    const h = raw.files[f];
    if (typeof h !== "string" || !/^[0-9a-f]{64}$/i.test(h)) throw fmt(`files["${f}"] must be a sha256 hex digest`);
    files[f] = h.toLowerCase();
  }
  const heldOutMetrics: Record<string, number> = {};
  const overall = isObj(raw.held_out_metrics) && isObj(raw.held_out_metrics.overall) ? raw.held_out_metrics.overall : {};
  for (const [k, v] of Object.entries(overall)) if (typeof v === "number" && Number.isFinite(v)) heldOutMetrics[k] = v;
  const createdAt = typeof raw.created_at === "string" && !Number.isNaN(Date.parse(raw.created_at)) ? new Date(raw.created_at) : undefined;
  return {
    bundleFormatVersion: BUNDLE_FORMAT_VERSION,
    version,
    schemaVersion: SCHEMA_VERSION,
    featureNames,
    regimeNames,
    regimes,
    profileFeatureNames,
    workloadProfiles,
    defaultProfileClass,
    createdAt,
    corpusHash: typeof raw.corpus_hash === "string" ? raw.corpus_hash : "",
    seed: typeof raw.seed === "number" ? raw.seed : undefined,
    files,
    heldOutMetrics,
    synthetic: raw.synthetic === true,
  };
}
