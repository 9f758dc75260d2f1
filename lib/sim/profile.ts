// Solo profiles: each workload alone on a quiet node, in the shape of overseer.v1.SoloProfile.
import type { SoloProfile } from "../../gen/overseer/v1/scorer_service.js";
import type { Workload, WorkloadCatalog } from "./catalog.js";
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
  };
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
