// Raw counter readings of one measurement window, as the derivation consumes them.

/** How a counter came back from its source. */
export type CounterStatus =
  | "counted" // a valid delta (perf already scaled it when multiplexed)
  | "not-supported" // perf printed <not supported>
  | "not-counted" // perf printed <not counted>
  | "invalid" // went backwards, overflowed or was not a number
  | "unavailable"; // the source (uncore PMU, resctrl) does not exist on this node

export interface CounterReading {
  /** The delta over the window (or, for gauges, the reading at its end). */
  value: number;
  status: CounterStatus;
  /** perf's "percent of time counted" (100 when not multiplexed). */
  percentCounted?: number;
  /** Free text for operators, e.g. the line perf printed. */
  detail?: string;
}

/** Counter readings of one window keyed by catalog event name (see events.ts). */
export type IntervalCounters = Readonly<Record<string, CounterReading | undefined>>;

/** Node facts the formulas need. */
export interface NodeCapacity {
  logicalCpus: number;
  /** Rate of the TSC / ref-cycles in Hz. */
  tscHz: number;
  llcBytes: number;
  peakMemoryBandwidthBytesPerSec: number;
}

export function counted(value: number, percentCounted = 100): CounterReading {
  return { value, status: "counted", percentCounted };
}

export function notSupported(detail?: string): CounterReading {
  return { value: 0, status: "not-supported", detail };
}

export function notCounted(detail?: string): CounterReading {
  return { value: 0, status: "not-counted", detail };
}

export function unavailable(detail?: string): CounterReading {
  return { value: 0, status: "unavailable", detail };
}
