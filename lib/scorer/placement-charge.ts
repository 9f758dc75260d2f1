// The pessimistic adjustment for pods placed but not yet visible in the counters: the node's
// measured features plus the largest demand among those pods (element-wise max over the recent
// pods' profiles: worst case, never their sum). Pure arithmetic on a model row.
import type { SoloProfile } from "../../gen/overseer/v1/scorer_service.js";
import { FEATURE_COUNT, featureIndex } from "../features/catalog.js";

export interface NodeCapacityFacts {
  peakMemoryBandwidthBytesPerSec: number;
  logicalCpus: number;
  llcBytes: number;
}

const F = FEATURE_COUNT;
const I = {
  read: featureIndex("mem_read_bytes_per_sec"),
  write: featureIndex("mem_write_bytes_per_sec"),
  bwFraction: featureIndex("mem_bandwidth_fraction_of_peak"),
  mbm: featureIndex("mbm_total_bytes_per_sec"),
  cpu: featureIndex("cpu_utilization_fraction"),
  llcOcc: featureIndex("llc_occupancy_fraction"),
};

export interface Demand {
  memReadBytesPerSec: number;
  memWriteBytesPerSec: number;
  cores: number;
  llcWorkingSetBytes: number;
}

/** Element-wise max of the recent pods' demands. */
export function worstDemand(profiles: readonly SoloProfile[]): Demand {
  const d: Demand = { memReadBytesPerSec: 0, memWriteBytesPerSec: 0, cores: 0, llcWorkingSetBytes: 0 };
  for (const p of profiles) {
    d.memReadBytesPerSec = Math.max(d.memReadBytesPerSec, p.memReadBytesPerSec);
    d.memWriteBytesPerSec = Math.max(d.memWriteBytesPerSec, p.memWriteBytesPerSec);
    d.cores = Math.max(d.cores, p.cores);
    d.llcWorkingSetBytes = Math.max(d.llcWorkingSetBytes, p.llcWorkingSetBytes);
  }
  return d;
}

/**
 * Writes into out[offset .. offset+2F) the node row `row` (values then presence) with `d` added to
 * the present load features; shares are capped at 1, a share whose node capacity is unknown (0) is
 * left as measured. Absent features stay absent.
 */
export function chargeRow(row: Float32Array, d: Demand, cap: NodeCapacityFacts, out: Float32Array, offset: number): void {
  out.set(row, offset);
  const present = (i: number) => row[F + i] === 1;
  const add = (i: number, v: number, max = Infinity) => {
    if (present(i)) out[offset + i] = Math.min(max, row[i]! + v);
  };
  const bw = d.memReadBytesPerSec + d.memWriteBytesPerSec;
  add(I.read, d.memReadBytesPerSec);
  add(I.write, d.memWriteBytesPerSec);
  add(I.mbm, bw);
  if (cap.peakMemoryBandwidthBytesPerSec > 0) add(I.bwFraction, bw / cap.peakMemoryBandwidthBytesPerSec, 1);
  if (cap.logicalCpus > 0) add(I.cpu, d.cores / cap.logicalCpus, 1);
  if (cap.llcBytes > 0) add(I.llcOcc, d.llcWorkingSetBytes / cap.llcBytes, 1);
}
