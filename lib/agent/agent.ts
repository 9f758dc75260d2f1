// The agent pipeline: source -> NodeState -> publishers, plus the view AgentService serves.
// No flags, no process handling: main.ts wires config into this.
import { CounterSource as Kind, type NodeState, type PmuFacts } from "../../gen/overseer/v1/node_state.js";
import { FeatureState } from "../../gen/overseer/v1/features.js";
import { FEATURE_NAMES } from "../features/catalog.js";
import type { CounterSample, CounterSource, SourceCapabilities } from "./counter-source.js";
import type { AgentMetrics } from "./metrics.js";
import type { NodeFacts } from "./node-facts.js";
import type { Publisher } from "./publishers/publisher.js";
import { createStateBuilder } from "./state-builder.js";

export type LogFn = (level: "info" | "warn" | "error", msg: string, fields?: Record<string, unknown>) => void;

export interface AgentOptions {
  source: CounterSource;
  /** Local node facts (ignored when the source brings its own, as the simulator does). */
  localFacts: () => NodeFacts;
  nodeName: string;
  agentId: string;
  intervalMs: number;
  publishers: Publisher[];
  metrics: AgentMetrics;
  log: LogFn;
  minPercentCounted?: number;
  /** Stop after this many windows (0 = never). */
  maxIntervals?: number;
  /** Called with every state (tests, benchmarks). */
  onState?: (state: NodeState, sample: CounterSample) => void;
  now?: () => Date;
}

export interface RunningAgent {
  current(): NodeState | undefined;
  pmu(): PmuFacts;
  capabilities: SourceCapabilities;
  readonly sourceKind: Kind;
  /** Resolves when the agent stopped by itself (max intervals reached, replay ended). */
  readonly done: Promise<void>;
  /** Stops the source (the last window is still published), then flushes and closes publishers. */
  stop(graceMs: number): Promise<void>;
}

export async function startAgent(o: AgentOptions): Promise<RunningAgent> {
  const caps = await o.source.init();
  const facts = caps.nodeFacts ?? o.localFacts();
  const pmu: PmuFacts = {
    ...facts.pmu,
    imcPmuCount: caps.nodeFacts ? facts.pmu.imcPmuCount : caps.imcPmuCount,
    resctrlAvailable: caps.resctrlAvailable,
    availableEvents: caps.availableEvents,
    missingEvents: caps.missingEvents,
  };
  o.metrics.missingEvents.set(caps.missingEvents.length);
  for (const m of caps.missingEvents) o.metrics.eventMissing.set({ event: m.event, reason: FeatureState[m.reason] ?? String(m.reason) }, 1);
  o.log("info", "counter source ready", { source: Kind[caps.kind], description: caps.description, available: caps.availableEvents.length, missing: caps.missingEvents.length });
  if (caps.missingEvents.length > 0) {
    o.log("warn", "events this node cannot count: their features are marked absent", {
      missing: caps.missingEvents.map((m) => `${m.event} (${FeatureState[m.reason]}: ${m.detail})`),
    });
  }
  const builder = createStateBuilder({
    nodeName: o.nodeName,
    agentId: o.agentId,
    source: caps.kind,
    agentStartedAt: (o.now ?? (() => new Date()))(),
    pmu,
    capacity: facts.capacity,
    minPercentCounted: o.minPercentCounted,
    residents: caps.residents,
  });
  let current: NodeState | undefined;
  let loggedAbsence = "";
  let resolveDone!: () => void;
  const done = new Promise<void>((r) => (resolveDone = r));
  let stopping: Promise<void> | undefined;
  const sourceLabel = Kind[caps.kind].replace("COUNTER_SOURCE_", "").toLowerCase();

  const onSample = (sample: CounterSample) => {
    let built;
    try {
      built = builder.build(sample);
    } catch (e) {
      o.log("error", "window dropped: cannot derive features", { error: (e as Error).message, windowSec: sample.windowSec });
      return;
    }
    const state = built.state;
    current = state;
    o.metrics.intervals.inc({ source: sourceLabel });
    o.metrics.lastSequence.set(state.sequence);
    const absent = state.features!.states.filter((s) => s !== FeatureState.FEATURE_STATE_PRESENT).length;
    o.metrics.featuresAbsent.set(absent);
    // Log the absent features when the set changes (the first window, and whenever it moves).
    const key = state.features!.states.join(",");
    if (key !== loggedAbsence) {
      loggedAbsence = key;
      const list = FEATURE_NAMES.flatMap((n, i) => (state.features!.states[i] === FeatureState.FEATURE_STATE_PRESENT ? [] : [`${n}: ${FeatureState[state.features!.states[i]!]}`]));
      o.log(absent > 0 ? "warn" : "info", `${FEATURE_NAMES.length - absent} of ${FEATURE_NAMES.length} features present`, { sequence: state.sequence, absent: list });
    }
    for (const p of o.publishers) p.publish(state);
    o.onState?.(state, sample);
    if (o.maxIntervals && builder.sequence >= o.maxIntervals) void agent.stop(5000).then(resolveDone);
  };

  const agent: RunningAgent = {
    current: () => current,
    pmu: () => pmu,
    capabilities: caps,
    sourceKind: caps.kind,
    done,
    stop(graceMs) {
      stopping ??= (async () => {
        await o.source.stop();
        await Promise.all(o.publishers.map((p) => p.close(graceMs)));
        o.log("info", "agent stopped", { lastSequence: builder.sequence, stats: o.source.stats() });
        resolveDone();
      })();
      return stopping;
    },
  };
  o.source.start(onSample);
  void o.source.finished.then(() => {
    if (!stopping) {
      o.log("info", "counter source finished");
      void agent.stop(5000);
    }
  });
  return agent;
}
