// Turns perf's interval records (timestamps since perf started) into windows with a length.
import type { CounterReading } from "../../features/counters.js";
import type { MissingEvent } from "../../../gen/overseer/v1/node_state.js";
import type { PerfIntervalRecord } from "../../perf/perf-stat-parser.js";

export interface Windowed {
  windowSec: number;
  counters: Record<string, CounterReading>;
}

/** One per perf run: the first window starts at 0 (when perf began counting). */
export function createWindower() {
  let lastTs = 0;
  return {
    /** null when the timestamp did not advance (a split burst or a reordered line). */
    next(rec: PerfIntervalRecord): Windowed | null {
      const windowSec = rec.timestampSec - lastTs;
      if (!(windowSec > 0)) return null;
      lastTs = rec.timestampSec;
      return { windowSec, counters: rec.counters };
    },
  };
}

/** Events the node cannot count get an explicit <not supported> reading (never a silent 0). */
export function fillMissing(counters: Record<string, CounterReading>, missing: readonly MissingEvent[]): Record<string, CounterReading> {
  for (const m of missing) {
    if (counters[m.event] === undefined) counters[m.event] = { value: 0, status: "not-supported", detail: m.detail };
  }
  return counters;
}
