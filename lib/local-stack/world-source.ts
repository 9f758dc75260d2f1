// A counter source (lib/agent's CounterSource) whose windows come from the local stack's world:
// the agent's simulator source runs a fixed mix, but here neighbours come and go and the driver
// places pods, so the runner owns the simulated nodes and hands each agent its node's counters.
// SYNTHETIC: states carry source=SIMULATOR.
import { CounterSource as Kind } from "../../gen/overseer/v1/node_state.js";
import type { CounterSample, CounterSource, SourceCapabilities, SourceStats } from "../agent/counter-source.js";
import type { SimWorld } from "./world.js";

export interface WorldSourceOptions {
  world: SimWorld;
  nodeName: string;
  intervalMs: number;
  /** Seconds since the scenario started (moves the neighbour churn before every window). */
  scenarioSec: () => number;
}

export function createWorldSource(opts: WorldSourceOptions): CounterSource {
  const node = opts.world.node(opts.nodeName);
  let timer: NodeJS.Timeout | undefined;
  let stopped = false;
  let intervals = 0;
  let resolveFinished!: () => void;
  const finished = new Promise<void>((r) => (resolveFinished = r));
  return {
    kind: Kind.COUNTER_SOURCE_SIMULATOR,
    finished,
    async init(): Promise<SourceCapabilities> {
      return {
        kind: Kind.COUNTER_SOURCE_SIMULATOR,
        availableEvents: node.sim.pmu.availableEvents,
        missingEvents: node.sim.pmu.missingEvents,
        imcPmuCount: node.sim.pmu.imcPmuCount,
        resctrlAvailable: node.sim.pmu.resctrlAvailable,
        description: `SYNTHETIC local-stack world: ${node.name} (${node.variant})`,
        nodeFacts: { pmu: node.sim.pmu, capacity: node.sim.capacity },
      };
    },
    start(onSample: (s: CounterSample) => void) {
      const windowSec = opts.intervalMs / 1000;
      const tick = () => {
        if (stopped) return;
        opts.world.advanceTo(opts.scenarioSec());
        const r = opts.world.simulate(node.name, windowSec);
        intervals++;
        onSample({ windowSec, counters: r.counters, observedAt: new Date(), groundTruth: r.groundTruth });
        timer = setTimeout(tick, opts.intervalMs);
      };
      timer = setTimeout(tick, opts.intervalMs);
    },
    async stop() {
      stopped = true;
      if (timer) clearTimeout(timer);
      resolveFinished();
    },
    stats(): SourceStats {
      return { lines: 0, parseErrors: 0, intervals, restarts: 0 };
    },
  };
}
