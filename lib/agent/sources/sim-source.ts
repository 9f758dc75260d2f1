// Counter source backed by the contention simulator (lib/sim): a simulated SPR node of a chosen
// variant running a fixed workload mix. SYNTHETIC: its NodeStates say source=SIMULATOR.
import { CounterSource as Kind } from "../../../gen/overseer/v1/node_state.js";
import { createSimNode, loadWorkloadCatalog, requireWorkload, simulateInterval, type SimNode, type SimResident } from "../../sim/index.js";
import type { CounterSample, CounterSource, SourceCapabilities, SourceStats } from "../counter-source.js";

export interface SimSourceOptions {
  variant: string;
  seed: number;
  nodeName: string;
  /** "class[:cores],class[:cores]" from the workload catalog; "" = an idle node. */
  mix: string;
  windowSec: number;
  /** Milliseconds between samples; 0 = as fast as possible. */
  paceMs: number;
  catalogPath?: string;
}

export class SimConfigError extends Error {}

export function parseMix(mix: string): { workloadClass: string; cores?: number }[] {
  if (mix.trim() === "") return [];
  return mix.split(",").map((part) => {
    const [cls, cores, extra] = part.trim().split(":");
    if (!cls || extra !== undefined) throw new SimConfigError(`bad mix entry "${part}" (use class or class:cores)`);
    if (cores === undefined) return { workloadClass: cls };
    if (!/^\d+$/.test(cores) || Number(cores) <= 0) throw new SimConfigError(`bad core count in mix entry "${part}"`);
    return { workloadClass: cls, cores: Number(cores) };
  });
}

export function createSimSource(opts: SimSourceOptions): CounterSource & { readonly node: SimNode | undefined } {
  let node: SimNode | undefined;
  let residents: SimResident[] = [];
  let startedAt = new Date();
  let timer: NodeJS.Timeout | undefined;
  let stopped = false;
  let started = false;
  let resolveFinished!: () => void;
  const finished = new Promise<void>((r) => (resolveFinished = r));
  let intervals = 0;

  return {
    kind: Kind.COUNTER_SOURCE_SIMULATOR,
    get node() {
      return node;
    },
    finished,
    async init(): Promise<SourceCapabilities> {
      startedAt = new Date();
      try {
        const catalog = loadWorkloadCatalog(opts.catalogPath);
        node = createSimNode({ name: opts.nodeName, variant: opts.variant, seed: opts.seed });
        residents = parseMix(opts.mix).map((m) => ({ workload: requireWorkload(catalog, m.workloadClass), ...(m.cores ? { cores: m.cores } : {}) }));
      } catch (e) {
        throw new SimConfigError(`simulator: ${(e as Error).message}`);
      }
      return {
        kind: Kind.COUNTER_SOURCE_SIMULATOR,
        availableEvents: node.pmu.availableEvents,
        missingEvents: node.pmu.missingEvents,
        imcPmuCount: node.pmu.imcPmuCount,
        resctrlAvailable: node.pmu.resctrlAvailable,
        description: `SYNTHETIC simulator: variant ${opts.variant}, seed ${opts.seed}, mix "${opts.mix}"`,
        nodeFacts: { pmu: node.pmu, capacity: node.capacity },
        residents: residents.map((r, i) => ({
          podNamespace: r.workload.kind === "cnf" ? "cnf" : "tenants",
          podName: `${r.workload.class}-${i}`,
          podUid: `${opts.nodeName}-sim-${i}`,
          workloadClass: r.workload.class,
          isCnf: r.workload.kind === "cnf",
          placedAt: startedAt,
        })),
      };
    },
    start(onSample: (s: CounterSample) => void) {
      if (!node) throw new Error("sim source: init() must run before start()");
      started = true;
      const tick = () => {
        if (stopped) return;
        const r = simulateInterval(node!, residents, { windowSec: opts.windowSec });
        intervals++;
        onSample({ windowSec: opts.windowSec, counters: r.counters, observedAt: new Date(), groundTruth: r.groundTruth });
        timer = opts.paceMs > 0 ? setTimeout(tick, opts.paceMs) : (setImmediate(tick) as unknown as NodeJS.Timeout);
      };
      timer = setTimeout(tick, opts.paceMs);
    },
    async stop() {
      stopped = true;
      if (timer) {
        clearTimeout(timer);
        clearImmediate(timer as unknown as NodeJS.Immediate);
      }
      resolveFinished();
      void started;
    },
    stats(): SourceStats {
      return { lines: 0, parseErrors: 0, intervals, restarts: 0 };
    },
  };
}
