// Solo profiles: each workload alone on a quiet node, in the shape of overseer.v1.SoloProfile.
import type { SoloProfile } from "../../gen/overseer/v1/scorer_service.js";
import type { Workload, WorkloadCatalog } from "./catalog.js";
import { llcHitRatioAtShare } from "./contention.js";
import { slotShares } from "./counter-model.js";
import type { NodeSpec } from "./node-spec.js";
import { soloSolution } from "./node.js";

export function soloProfile(spec: NodeSpec, w: Workload, cores = w.cores): SoloProfile {
  const s = soloSolution(spec, w, cores);
  const sh = slotShares(spec, w, s, 1);
  return {
    cores,
    instructionsPerSec: s.instructionsPerSec[1]!,
    llcWorkingSetBytes: w.llcWorkingSetBytes,
    memReadBytesPerSec: s.memReadBytesPerSec[1]!,
    memWriteBytesPerSec: s.memWriteBytesPerSec[1]!,
    llcMissesPerKiloInstr: w.l2MissesPerKiloInstr * (1 - s.llcHitRatio[1]!),
    tmaRetiringFraction: sh[0]!,
    tmaBackendBoundFraction: sh[3]!,
    tmaMemoryBoundFraction: sh[4]!,
    l2MissesPerKiloInstr: w.l2MissesPerKiloInstr,
    l3BoundStallFraction: s.llcStallNsPerInstr[1]! / (s.coreNsPerInstr[1]! + s.llcStallNsPerInstr[1]! + s.dramStallNsPerInstr[1]!),
    dramBoundStallFraction: s.dramStallNsPerInstr[1]! / (s.coreNsPerInstr[1]! + s.llcStallNsPerInstr[1]! + s.dramStallNsPerInstr[1]!),
    llcHitRatioAtQuarterWorkingSet: llcHitRatioAtQuarterWorkingSet(spec, w),
  };
}

/**
 * The second solo measurement (SoloProfile.llc_hit_ratio_at_quarter_working_set): the workload alone,
 * its LLC capacity restricted by CAT to a quarter of its working set (at most the whole LLC). Alone in
 * its partition it fills it, so the hit ratio is the simulator's own hit curve at that share. Like the
 * rest of the solo profile it is noise-free (solo profiles are computed, not sampled from counters).
 */
export function llcHitRatioAtQuarterWorkingSet(spec: NodeSpec, w: Workload): number {
  return llcHitRatioAtShare(w, Math.min(w.llcWorkingSetBytes / 4, spec.llcBytes));
}

export interface SoloProfileEntry {
  isCnf: boolean;
  profile: SoloProfile;
}

/** Every catalog workload's solo profile, keyed by class, in catalog order. */
export function soloProfiles(spec: NodeSpec, catalog: WorkloadCatalog): Record<string, SoloProfileEntry> {
  const out: Record<string, SoloProfileEntry> = {};
  for (const w of catalog.workloads) out[w.class] = { isCnf: w.kind === "cnf", profile: soloProfile(spec, w) };
  return out;
}
