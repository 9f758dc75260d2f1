// Raw counter deltas of one window -> feature values with presence states.
// Pure: no I/O. Every absent feature carries the reason; nothing becomes a silent 0.
import { FeatureState } from "../../gen/overseer/v1/features.js";
import { FEATURES, GAUGE_EVENTS, type EventValues, type FeatureFormula } from "./catalog.js";
import type { CounterReading, IntervalCounters, NodeCapacity } from "./counters.js";
import { BYTES_PER_CAS, EVENT_BY_NAME } from "./events.js";

export interface DeriveOptions {
  /** Readings counted for less than this share of the window (percent) are not trusted. */
  minPercentCounted?: number;
}

export interface DerivedFeatures {
  values: number[];
  states: FeatureState[];
  /** Why a feature is absent, keyed by catalog index. */
  details: Map<number, string>;
  /** Which formula produced each present feature (0 = primary), -1 when absent. */
  formulaUsed: number[];
}

export class InvalidWindowError extends Error {}

export const DEFAULT_MIN_PERCENT_COUNTED = 5;

type Assessment = { ok: true; value: number } | { ok: false; state: FeatureState; detail: string };

/** Is one reading usable, and if not, why not. */
export function assessReading(
  event: string,
  r: CounterReading | undefined,
  windowSec: number,
  node: NodeCapacity,
  minPercentCounted = DEFAULT_MIN_PERCENT_COUNTED,
): Assessment {
  if (!r || r.status === "unavailable") {
    return { ok: false, state: FeatureState.FEATURE_STATE_ABSENT_SOURCE_UNAVAILABLE, detail: `${event}: source unavailable${r?.detail ? ` (${r.detail})` : ""}` };
  }
  switch (r.status) {
    case "not-supported":
      return { ok: false, state: FeatureState.FEATURE_STATE_ABSENT_EVENT_NOT_SUPPORTED, detail: `${event}: <not supported>` };
    case "not-counted":
      return { ok: false, state: FeatureState.FEATURE_STATE_ABSENT_EVENT_NOT_COUNTED, detail: `${event}: <not counted>` };
    case "invalid":
      return { ok: false, state: FeatureState.FEATURE_STATE_ABSENT_COUNTER_INVALID, detail: `${event}: invalid reading${r.detail ? ` (${r.detail})` : ""}` };
    case "counted":
      break;
  }
  const v = r.value;
  if (!Number.isFinite(v)) {
    return { ok: false, state: FeatureState.FEATURE_STATE_ABSENT_COUNTER_INVALID, detail: `${event}: non-finite value ${v}` };
  }
  if (v < 0) {
    return { ok: false, state: FeatureState.FEATURE_STATE_ABSENT_COUNTER_INVALID, detail: `${event}: negative delta ${v} (counter went backwards)` };
  }
  if (r.percentCounted !== undefined && r.percentCounted < minPercentCounted) {
    return {
      ok: false,
      state: FeatureState.FEATURE_STATE_ABSENT_MULTIPLEX_TOO_LOW,
      detail: `${event}: counted ${r.percentCounted}% of the window (< ${minPercentCounted}%)`,
    };
  }
  const bound = plausibleMax(event, windowSec, node);
  if (bound !== undefined && v > bound) {
    return { ok: false, state: FeatureState.FEATURE_STATE_ABSENT_COUNTER_INVALID, detail: `${event}: ${v} exceeds the plausible maximum ${bound.toExponential(2)} (overflow or wrap)` };
  }
  return { ok: true, value: v };
}

function plausibleMax(event: string, windowSec: number, node: NodeCapacity): number | undefined {
  if (GAUGE_EVENTS.has(event)) return node.llcBytes > 0 ? node.llcBytes * 2 : undefined;
  const def = EVENT_BY_NAME.get(event);
  if (def?.maxPerSecPerCpu !== undefined && node.logicalCpus > 0) return def.maxPerSecPerCpu * node.logicalCpus * windowSec;
  const peak = node.peakMemoryBandwidthBytesPerSec;
  if (def?.source === "uncore-imc" && peak > 0) return ((4 * peak) / BYTES_PER_CAS) * windowSec;
  if (def?.source === "resctrl" && peak > 0) return 4 * peak * windowSec;
  if ((def?.source === "software" || def?.source === "procfs") && node.logicalCpus > 0) return 1.5 * 1000 * node.logicalCpus * windowSec;
  return undefined;
}

function tryFormula(
  fm: FeatureFormula,
  counters: IntervalCounters,
  windowSec: number,
  node: NodeCapacity,
  minPercent: number,
): Assessment {
  const vals: Record<string, number> = {};
  for (const e of fm.events) {
    const a = assessReading(e, counters[e], windowSec, node, minPercent);
    if (!a.ok) return a;
    vals[e] = a.value;
  }
  for (const fact of fm.nodeFacts ?? []) {
    const f = node[fact];
    if (!(Number.isFinite(f) && f > 0)) {
      return { ok: false, state: FeatureState.FEATURE_STATE_ABSENT_INPUT_ABSENT, detail: `node fact ${fact} unknown` };
    }
  }
  const out = fm.compute(vals as EventValues, windowSec, node);
  if (out === null) return { ok: false, state: FeatureState.FEATURE_STATE_ABSENT_ZERO_DENOMINATOR, detail: `zero denominator in ${fm.text}` };
  if (!Number.isFinite(out)) return { ok: false, state: FeatureState.FEATURE_STATE_ABSENT_COUNTER_INVALID, detail: `non-finite result of ${fm.text}` };
  return { ok: true, value: out };
}

/** Derive every catalog feature from one window's counters. */
export function deriveFeatures(
  counters: IntervalCounters,
  windowSec: number,
  node: NodeCapacity,
  options: DeriveOptions = {},
): DerivedFeatures {
  if (!(Number.isFinite(windowSec) && windowSec > 0)) {
    throw new InvalidWindowError(`window must be a positive number of seconds, got ${windowSec}`);
  }
  const minPercent = options.minPercentCounted ?? DEFAULT_MIN_PERCENT_COUNTED;
  const values: number[] = [];
  const states: FeatureState[] = [];
  const details = new Map<number, string>();
  const formulaUsed: number[] = [];
  for (const f of FEATURES) {
    let firstFailure: Assessment | undefined;
    const notes: string[] = [];
    let done = false;
    for (let i = 0; i < f.formulas.length && !done; i++) {
      const a = tryFormula(f.formulas[i]!, counters, windowSec, node, minPercent);
      if (a.ok) {
        values.push(a.value);
        states.push(FeatureState.FEATURE_STATE_PRESENT);
        formulaUsed.push(i);
        done = true;
      } else {
        firstFailure ??= a;
        notes.push(a.detail);
      }
    }
    if (!done && firstFailure && !firstFailure.ok) {
      values.push(0);
      states.push(firstFailure.state);
      formulaUsed.push(-1);
      details.set(f.index, notes.join("; "));
    }
  }
  return { values, states, details, formulaUsed };
}

export function isPresent(state: FeatureState): boolean {
  return state === FeatureState.FEATURE_STATE_PRESENT;
}
