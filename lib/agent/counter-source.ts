// The one interface every counter source implements (perf, replay, sim).
import type { CounterSource as CounterSourceKind, MissingEvent, PmuFacts, ResidentWorkload } from "../../gen/overseer/v1/node_state.js";
import type { IntervalCounters, NodeCapacity } from "../features/counters.js";

/** One measurement window as a source delivers it. */
export interface CounterSample {
  /** Length of the window in seconds. */
  windowSec: number;
  /** Readings keyed by catalog event name. */
  counters: IntervalCounters;
  /** End of the window (wall clock). */
  observedAt: Date;
  /** Simulator ground truth (regime, throughputs); absent for perf and replay. */
  groundTruth?: unknown;
}

/** What the source can count on this node, known after init(). */
export interface SourceCapabilities {
  kind: CounterSourceKind;
  availableEvents: string[];
  missingEvents: MissingEvent[];
  imcPmuCount: number;
  resctrlAvailable: boolean;
  /** Free text for the start-up log (perf version, recording path, sim variant). */
  description: string;
  /** Node facts of a simulated node; real sources leave it out and the local node's facts are used. */
  nodeFacts?: { pmu: PmuFacts; capacity: NodeCapacity };
  /** Workloads the source knows to be resident (the simulator's mix); real sources leave it out. */
  residents?: ResidentWorkload[];
}

export interface SourceStats {
  lines: number;
  parseErrors: number;
  intervals: number;
  /** Restarts of a child process after it died (perf only). */
  restarts: number;
}

/** Hooks a source reports through (logs and metrics live with the caller). */
export interface SourceHooks {
  log?: (level: "info" | "warn" | "error", msg: string, fields?: Record<string, unknown>) => void;
  onParseErrors?: (count: number, lastError: string | undefined) => void;
  onRestart?: (info: { run: number; code: number | null; signal: string | null; restartInMs: number }) => void;
}

export interface CounterSource {
  readonly kind: CounterSourceKind;
  /** Discovers capabilities (perf: which events this node supports). Call once, before start(). */
  init(): Promise<SourceCapabilities>;
  /** Starts delivering samples. */
  start(onSample: (s: CounterSample) => void): void;
  /** Stops; resolves when no more samples will be delivered. */
  stop(): Promise<void>;
  /** Resolves when a finite source (replay) has delivered everything, or after stop(). */
  readonly finished: Promise<void>;
  stats(): SourceStats;
}
