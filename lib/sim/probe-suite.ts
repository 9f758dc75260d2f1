// The calibration probe suite: parametric synthetic workloads that are probed on every corpus window
// beside the catalog CNFs, so the interference model sees many solo profiles, not only the handful of
// CNFs in the catalog. In a real deployment this is a set of tunable micro-kernels (working-set size,
// LLC access rate, reuse, memory-level parallelism) run as probes on each node type.
//
// The parameter ranges are generic packet-processing ranges chosen independently of any one catalog
// CNF; each probe is drawn from them with a seeded generator. Probes are never resident on a node
// (they do not shape the node states) and are not CNFs: leave-one-workload-out still holds out
// every catalog CNF in turn, and the probes are training data in every fold (docs/simulator.md).
import type { Workload } from "./catalog.js";
import { createRng, seedFrom } from "./rng.js";

export const PROBE_CLASS_PREFIX = "probe-";

/** Inclusive ranges the probes are drawn from (log-uniform where marked). */
export const PROBE_RANGES = {
  cores: [2, 4, 8] as const,
  coreCpi: [0.3, 0.6],
  frontendShareOfCoreSlots: [0.05, 0.15],
  badSpecShareOfCoreSlots: [0.01, 0.06],
  l2MissesPerKiloInstr: [2, 16], // log-uniform
  llcWorkingSetBytes: [4 * 2 ** 20, 128 * 2 ** 20], // log-uniform
  llcReuseFraction: [0.6, 0.98],
  hitCurveExponent: [0.4, 1.0],
  memoryLevelParallelism: [1.5, 4],
  writeToReadRatio: [0.1, 0.7],
};

/** `count` probe workloads for `seed`; ids start at `firstId` (after the catalog's). */
export function probeSuite(count: number, seed: number, firstId = 1000): Workload[] {
  if (!Number.isInteger(count) || count < 0) throw new RangeError(`probe suite size must be a non-negative integer, got ${count}`);
  const rng = createRng(seedFrom(seed, "probe-suite"));
  const uni = ([lo, hi]: number[]) => lo! + (hi! - lo!) * rng.next();
  const logUni = ([lo, hi]: number[]) => Math.exp(Math.log(lo!) + (Math.log(hi!) - Math.log(lo!)) * rng.next());
  const r = PROBE_RANGES;
  const width = String(Math.max(count - 1, 0)).length;
  const out: Workload[] = [];
  for (let i = 0; i < count; i++) {
    const cores = r.cores[Math.floor(rng.next() * r.cores.length)]!;
    out.push(
      Object.freeze({
        id: firstId + i,
        class: `${PROBE_CLASS_PREFIX}${String(i).padStart(Math.max(2, width), "0")}`,
        kind: "cnf",
        description: "calibration probe (synthetic parametric kernel)",
        cores,
        coresMin: cores,
        coresMax: cores,
        unit: "instruction",
        instructionsPerUnit: 1,
        coreCpi: uni(r.coreCpi),
        uopsPerInstr: 1.1,
        frontendShareOfCoreSlots: uni(r.frontendShareOfCoreSlots),
        badSpecShareOfCoreSlots: uni(r.badSpecShareOfCoreSlots),
        l2MissesPerKiloInstr: logUni(r.l2MissesPerKiloInstr),
        llcWorkingSetBytes: Math.round(logUni(r.llcWorkingSetBytes)),
        llcReuseFraction: uni(r.llcReuseFraction),
        hitCurveExponent: uni(r.hitCurveExponent),
        memoryLevelParallelism: uni(r.memoryLevelParallelism),
        writeToReadRatio: uni(r.writeToReadRatio),
      }),
    );
  }
  return out;
}
