// The CNF pods of a scenario: seeded arrival times (gaps uniform in 0.5..1.5 x the mean, so a short
// run still gets a steady stream) and classes, fixed before the
// run so that OverSeer and the default scheduler see exactly the same pods.
import { createRng, seedFrom, type WorkloadCatalog } from "../sim/index.js";
import type { CnfPod } from "./kube-objects.js";

export interface PodArrival {
  atMs: number;
  pod: CnfPod;
}

export function podArrivals(catalog: WorkloadCatalog, o: { seed: number; durationMs: number; meanGapMs: number; maxSlowdown: number }): PodArrival[] {
  const rng = createRng(seedFrom(o.seed, "local-stack-pods"));
  const out: PodArrival[] = [];
  if (catalog.cnfs.length === 0) return out;
  const gap = () => o.meanGapMs * (0.5 + rng.next());
  // The first pod comes within one mean gap, so every run places something.
  let t = o.meanGapMs * rng.next();
  for (let i = 0; t < o.durationMs; i++) {
    const w = catalog.cnfs[Math.floor(rng.next() * catalog.cnfs.length)]!;
    const n = String(i + 1).padStart(4, "0");
    out.push({
      atMs: t,
      pod: { name: `${w.class}-${n}`, namespace: "cnf", uid: `00000000-0000-4000-8000-${String(o.seed % 1e6).padStart(6, "0")}${n.padStart(6, "0")}`, workload: w, cores: w.cores, maxSlowdown: o.maxSlowdown },
    });
    t += gap();
  }
  return out;
}
