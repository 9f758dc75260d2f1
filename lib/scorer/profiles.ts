// Which solo profile a workload is scored with: the pod's own, its class's from the bundle,
// or the bundle's conservative default for unknown workloads.
import type { SoloProfile, WorkloadSpec } from "../../gen/overseer/v1/scorer_service.js";
import { PROFILE_FEATURE_NAMES, PROFILE_FIELD, type BundleManifest } from "../bundle/manifest.js";
import { InvalidArgumentError } from "../grpc/errors.js";

/** Pod annotation naming the workload class (the extender copies it into WorkloadSpec.workload_class). */
export const WORKLOAD_CLASS_ANNOTATION = "overseer.io/workload-class";
/** Pod annotation with the largest acceptable slowdown (WorkloadSpec.max_slowdown). */
export const MAX_SLOWDOWN_ANNOTATION = "overseer.io/max-slowdown";

export type ProfileSource = "pod" | "bundle" | "default";

export interface ResolvedProfile {
  profile: SoloProfile;
  source: ProfileSource;
  /** The class whose profile is used ("" for a pod's own profile). */
  className: string;
}

/** Checks a pod-supplied profile: every value finite and >= 0, and not all zero. */
export function validateSoloProfile(p: SoloProfile, field = "workload.solo_profile"): void {
  let any = false;
  for (const n of PROFILE_FEATURE_NAMES) {
    const v = p[PROFILE_FIELD[n]] as number;
    if (!Number.isFinite(v) || v < 0) throw new InvalidArgumentError(`${field}.${n} is ${v}, must be a finite number >= 0`, `${field}.${n}`);
    if (v !== 0) any = true;
  }
  if (!any) throw new InvalidArgumentError(`${field} is all zero; omit it to use the workload class's profile`, field);
}

export function resolveProfile(w: WorkloadSpec, m: BundleManifest): ResolvedProfile {
  if (w.soloProfile) {
    validateSoloProfile(w.soloProfile);
    return { profile: w.soloProfile, source: "pod", className: "" };
  }
  const known = w.workloadClass ? m.workloadProfiles.get(w.workloadClass) : undefined;
  if (known) return { profile: known.profile, source: "bundle", className: known.className };
  const d = m.workloadProfiles.get(m.defaultProfileClass)!;
  return { profile: d.profile, source: "default", className: d.className };
}
