// A node's resident workloads over time: CNFs that stay long, noisy neighbours that come and go.
// Seeded and deterministic; time is simulated seconds from the corpus epoch.
import type { Workload, WorkloadCatalog } from "./catalog.js";
import type { SimResident } from "./node.js";
import type { Rng } from "./rng.js";

export interface ScenarioResident extends SimResident {
  cores: number;
  podName: string;
  podNamespace: string;
  podUid: string;
  isCnf: boolean;
  placedAtSec: number;
  departAtSec: number;
}

export interface ScenarioOptions {
  /** Relative weights by class; classes of a kind missing from the map get weight 0 unless no class of that kind is listed. */
  weights?: ReadonlyMap<string, number>;
  /** Mean time between noisy-neighbour arrivals on one node. */
  neighbourArrivalMeanGapSec: number;
  neighbourMeanLifetimeSec: number;
  cnfMeanLifetimeSec: number;
  /** Most CNFs resident at once. */
  maxCnfs: number;
  /** Logical CPUs kept free so that any CNF can still be probed. */
  reservedCpus: number;
  logicalCpus: number;
}

export const DEFAULT_SCENARIO: Omit<ScenarioOptions, "logicalCpus" | "reservedCpus"> = {
  neighbourArrivalMeanGapSec: 120,
  neighbourMeanLifetimeSec: 300,
  cnfMeanLifetimeSec: 3600,
  maxCnfs: 4,
};

interface Picker {
  pick(rng: Rng): Workload | undefined;
}

function picker(pool: readonly Workload[], weights: ReadonlyMap<string, number> | undefined): Picker {
  const listed = weights ? pool.filter((w) => weights.has(w.class)) : [];
  const ws = listed.length > 0 ? listed.map((w) => weights!.get(w.class)!) : pool.map(() => 1);
  const items = listed.length > 0 ? listed : pool;
  const total = ws.reduce((a, b) => a + b, 0);
  return {
    pick(rng) {
      if (items.length === 0 || total <= 0) return undefined;
      let x = rng.next() * total;
      for (let i = 0; i < items.length; i++) {
        x -= ws[i]!;
        if (x < 0) return items[i];
      }
      return items[items.length - 1];
    },
  };
}

/** Mean time until a departed CNF slot is filled again. */
const CNF_REPLACE_MEAN_SEC = 300;

const expSample = (rng: Rng, mean: number) => -mean * Math.log(1 - rng.next());

export class NodeScenario {
  readonly residents: ScenarioResident[] = [];
  private counter = 0;
  private readonly cnfPick: Picker;
  private readonly nbPick: Picker;
  private nextArrivalSec: number;
  private lastSec = 0;

  constructor(
    private readonly nodeName: string,
    catalog: WorkloadCatalog,
    private readonly o: ScenarioOptions,
    private readonly rng: Rng,
  ) {
    this.cnfPick = picker(catalog.cnfs, o.weights);
    this.nbPick = picker(catalog.neighbours, o.weights);
    // Start in steady state: some CNFs, and neighbours already running with random remaining lifetimes.
    const cnfs = rng.int(0, o.maxCnfs);
    for (let i = 0; i < cnfs; i++) this.addCnf(-rng.next() * o.cnfMeanLifetimeSec);
    const meanNeighbours = o.neighbourMeanLifetimeSec / o.neighbourArrivalMeanGapSec;
    const k = rng.int(0, Math.max(0, Math.round(2 * meanNeighbours)));
    for (let i = 0; i < k; i++) this.addNeighbour(-rng.next() * o.neighbourMeanLifetimeSec);
    this.nextArrivalSec = expSample(rng, o.neighbourArrivalMeanGapSec);
  }

  private usedCpus(): number {
    let c = 0;
    for (const r of this.residents) c += r.cores;
    return c;
  }

  private add(w: Workload, cores: number, atSec: number, lifetimeSec: number): void {
    const n = this.counter++;
    const isCnf = w.kind === "cnf";
    this.residents.push({
      workload: w,
      cores,
      podName: `${w.class}-${n}`,
      podNamespace: isCnf ? "cnf" : "tenants",
      podUid: `${this.nodeName}-${n}`,
      isCnf,
      placedAtSec: atSec,
      departAtSec: atSec + lifetimeSec,
    });
  }

  private addCnf(atSec: number): void {
    const w = this.cnfPick.pick(this.rng);
    const free = this.o.logicalCpus - this.o.reservedCpus - this.usedCpus();
    if (w && w.cores <= free) this.add(w, w.cores, atSec, expSample(this.rng, this.o.cnfMeanLifetimeSec));
  }

  private addNeighbour(atSec: number): void {
    const w = this.nbPick.pick(this.rng);
    const cores = w ? this.rng.int(w.coresMin, w.coresMax) : 0;
    const lifetime = expSample(this.rng, this.o.neighbourMeanLifetimeSec);
    if (!w) return;
    const free = this.o.logicalCpus - this.o.reservedCpus - this.usedCpus();
    const fit = Math.min(cores, free);
    if (fit >= w.coresMin) this.add(w, fit, atSec, lifetime);
  }

  /** Advance to `tSec`: departures, neighbour arrivals, CNF replacement. Returns true when the resident set changed. */
  advanceTo(tSec: number): boolean {
    const before = this.residents.length;
    let changed = false;
    for (let i = this.residents.length - 1; i >= 0; i--) {
      if (this.residents[i]!.departAtSec <= tSec) {
        this.residents.splice(i, 1);
        changed = true;
      }
    }
    while (this.nextArrivalSec <= tSec) {
      this.addNeighbour(this.nextArrivalSec);
      this.nextArrivalSec += expSample(this.rng, this.o.neighbourArrivalMeanGapSec);
    }
    // CNFs are replaced as they leave, keeping the count roughly stable.
    let cnfs = 0;
    for (const r of this.residents) if (r.isCnf) cnfs++;
    const dt = Math.max(0, tSec - this.lastSec);
    this.lastSec = tSec;
    const pArrive = 1 - Math.exp(-dt / CNF_REPLACE_MEAN_SEC);
    if (cnfs < this.o.maxCnfs && this.rng.next() < pArrive) this.addCnf(tSec);
    return changed || this.residents.length !== before;
  }
}
