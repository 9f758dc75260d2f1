// Pod -> workload: which pods OverSeer places, and what it knows about them, from annotations
// and labels. Pure: no I/O. A bad annotation value never rejects the pod (that would stall its
// scheduling): the bad field is dropped and reported in `problems` for the caller to log/count.
import { SoloProfile, type WorkloadSpec } from "../../gen/overseer/v1/scorer_service.js";
import { PROFILE_FIELD } from "../bundle/manifest.js";
import type { PodInfo } from "./wire.js";

export const ANNOTATION_WORKLOAD_CLASS = "overseer.io/workload-class";
export const ANNOTATION_MAX_SLOWDOWN = "overseer.io/max-slowdown";
export const ANNOTATION_SOLO_PROFILE = "overseer.io/solo-profile";
export const LABEL_CNF = "overseer.io/cnf";

/** Catalog class names: lowercase DNS-label-like, e.g. "upf", "dpi", "l3-router". */
const CLASS_PATTERN = /^[a-z0-9]([a-z0-9._-]{0,61}[a-z0-9])?$/;
const MAX_PROFILE_JSON_BYTES = 4096;
/** A slowdown limit above this is almost certainly a typo (e.g. 125 meant 1.25). */
const MAX_SLOWDOWN_LIMIT = 100;

export interface AnnotationProblem {
  key: string;
  message: string;
}

export type PodWorkload =
  | { kind: "passthrough"; reason: string; problems: AnnotationProblem[] }
  | { kind: "cnf"; spec: WorkloadSpec; problems: AnnotationProblem[] };

type ProfileField = keyof SoloProfile;
// Every SoloProfile field, in proto order (the bundle's name map is the one list of them).
const PROFILE_FIELDS: readonly ProfileField[] = Object.values(PROFILE_FIELD);
const KNOWN_PROFILE_FIELDS = new Set<string>(PROFILE_FIELDS);
const FRACTION_FIELDS = new Set<ProfileField>(["tmaRetiringFraction", "tmaBackendBoundFraction", "tmaMemoryBoundFraction", "l3BoundStallFraction", "dramBoundStallFraction", "llcHitRatioAtQuarterWorkingSet"]);

/** Parses overseer.io/max-slowdown: a factor >= 1 such as "1.25". */
export function parseMaxSlowdown(text: string): number {
  const t = text.trim();
  if (!/^\d+(\.\d+)?$/.test(t)) throw new Error(`"${text}" is not a number (expected a factor such as 1.25)`);
  const v = Number(t);
  if (v < 1) throw new Error(`${v} is below 1 (a slowdown factor is solo throughput / throughput, >= 1)`);
  if (v > MAX_SLOWDOWN_LIMIT) throw new Error(`${v} is above ${MAX_SLOWDOWN_LIMIT} (did you mean ${v / 100}?)`);
  return v;
}

/**
 * Parses overseer.io/solo-profile: a JSON object of SoloProfile fields (camelCase, as in the
 * proto's JSON form). Every field optional, finite and >= 0; the fractions (tma_*, stall fractions, the hit ratio at a quarter working set) within [0, 1];
 * unknown fields rejected (a typo would otherwise silently become 0).
 */
export function parseSoloProfile(text: string): SoloProfile {
  if (Buffer.byteLength(text, "utf8") > MAX_PROFILE_JSON_BYTES) throw new Error(`longer than ${MAX_PROFILE_JSON_BYTES} bytes`);
  let v: unknown;
  try {
    v = JSON.parse(text);
  } catch (e) {
    throw new Error(`not JSON: ${(e as Error).message}`);
  }
  if (typeof v !== "object" || v === null || Array.isArray(v)) throw new Error("must be a JSON object of SoloProfile fields");
  const out = SoloProfile.fromPartial({});
  let count = 0;
  for (const [key, value] of Object.entries(v)) {
    if (!KNOWN_PROFILE_FIELDS.has(key)) throw new Error(`unknown field "${key}" (known: ${PROFILE_FIELDS.join(", ")})`);
    if (typeof value !== "number" || !Number.isFinite(value)) throw new Error(`"${key}" must be a finite number`);
    if (value < 0) throw new Error(`"${key}" must be >= 0`);
    if (FRACTION_FIELDS.has(key as ProfileField) && value > 1) throw new Error(`"${key}" is a fraction and must be <= 1`);
    out[key as ProfileField] = value;
    count++;
  }
  if (count === 0) throw new Error("has no fields");
  return out;
}

/**
 * A pod is a CNF (scored by OverSeer) when it carries overseer.io/workload-class or the label
 * overseer.io/cnf: "true"; overseer.io/cnf: "false" opts a pod out even with a class.
 * Every other pod passes through without a call to scorer-svc.
 */
export function podToWorkload(pod: PodInfo): PodWorkload {
  const problems: AnnotationProblem[] = [];
  const label = pod.labels[LABEL_CNF];
  const classRaw = pod.annotations[ANNOTATION_WORKLOAD_CLASS];
  let labelSaysCnf = false;
  if (label !== undefined) {
    if (label === "false") return { kind: "passthrough", reason: `label ${LABEL_CNF}=false`, problems };
    if (label === "true") labelSaysCnf = true;
    else problems.push({ key: LABEL_CNF, message: `label value "${label}" is neither "true" nor "false"; ignored` });
  }
  if (classRaw === undefined && !labelSaysCnf) return { kind: "passthrough", reason: "not a CNF (no workload class)", problems };

  let workloadClass = "";
  if (classRaw !== undefined) {
    const c = classRaw.trim();
    if (CLASS_PATTERN.test(c)) workloadClass = c;
    else problems.push({ key: ANNOTATION_WORKLOAD_CLASS, message: `"${classRaw}" is not a class name (lowercase letters, digits, '-', '_', '.'); scored as unknown class` });
  }

  let maxSlowdown = 0;
  const slowdownRaw = pod.annotations[ANNOTATION_MAX_SLOWDOWN];
  if (slowdownRaw !== undefined) {
    try {
      maxSlowdown = parseMaxSlowdown(slowdownRaw);
    } catch (e) {
      problems.push({ key: ANNOTATION_MAX_SLOWDOWN, message: `${(e as Error).message}; no limit applied` });
    }
  }

  let soloProfile: SoloProfile | undefined;
  const profileRaw = pod.annotations[ANNOTATION_SOLO_PROFILE];
  if (profileRaw !== undefined) {
    try {
      soloProfile = parseSoloProfile(profileRaw);
    } catch (e) {
      problems.push({ key: ANNOTATION_SOLO_PROFILE, message: `${(e as Error).message}; the bundle's profile is used` });
    }
  }

  return {
    kind: "cnf",
    spec: {
      podNamespace: pod.namespace,
      podName: pod.name,
      podUid: pod.uid,
      workloadClass,
      soloProfile,
      maxSlowdown,
    },
    problems,
  };
}
