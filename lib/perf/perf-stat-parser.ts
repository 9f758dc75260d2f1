// Streaming parser for `perf stat -x<sep> -I <ms> -a` output.
//
// Line format (perf's documented CSV mode, one line per event and interval):
//   timestamp ; [aggregation id ; [cpu count ;]] value ; unit ; event ; run_time_ns ; percent ; metric_value ; metric_unit
// `value` may be `<not supported>` or `<not counted>`; below 100 % the value is already scaled by
// perf for multiplexing. Trailing fields may be missing. Lines with the same timestamp form one
// interval; an interval is emitted when a line with a new timestamp arrives, or on flush().
// Readings of the same (normalised) event name within one interval are summed (one line per
// uncore_imc_N PMU with --no-merge, or one per CPU with -A).
import { EVENT_BY_NAME } from "../features/events.js";
import type { CounterReading, CounterStatus } from "../features/counters.js";

export interface PerfIntervalRecord {
  /** perf's interval timestamp: seconds since perf started counting (end of the interval). */
  timestampSec: number;
  /** Readings keyed by normalised event name. */
  counters: Record<string, CounterReading>;
}

export interface PerfStatParserStats {
  lines: number;
  parseErrors: number;
  intervals: number;
}

export interface PerfStatParser {
  push(line: string): PerfIntervalRecord[];
  flush(): PerfIntervalRecord[];
  readonly stats: PerfStatParserStats;
  /** The last parse error message, for logs. */
  readonly lastError: string | undefined;
  /** Distinct events read so far for the interval not yet emitted. */
  readonly pendingEventCount: number;
}

export interface PerfStatParserOptions {
  /** Field separator given to perf with -x (default ';'). */
  separator?: string;
}

const NUMBER_RE = /^[+-]?(\d+(\.\d*)?|\.\d+)([eE][+-]?\d+)?$/;
const TIMESTAMP_RE = /^\d+(\.\d+)?$/;
// Aggregation ids perf prints in the second column: CPU12, S0, S0-D1, S0-D0-C3, N0, or cache ids.
const AGG_RE = /^(CPU\d+|S\d+(-D\d+)?(-[CL]\d+)?|N\d+|L\d+-\S+)$/;
const CPU_AGG_RE = /^CPU\d+$/;

function isValueField(f: string | undefined): boolean {
  if (f === undefined) return false;
  const t = f.trim();
  return NUMBER_RE.test(t) || t.startsWith("<not ");
}

/**
 * Maps perf's printed event name to the catalog name: `pmu/...,name=X/` -> X, `pmu/X/` and `X:u`
 * -> X when X is a catalog event, otherwise the name unchanged.
 */
export function normaliseEventName(raw: string): string {
  const name = raw.trim();
  const named = /(?:^|[/,])name=([^,/]+)/.exec(name);
  if (named) return named[1]!;
  const inner = /^[A-Za-z0-9_.-]+\/([^/=,]+)\/[a-zA-Z]*$/.exec(name);
  if (inner && EVENT_BY_NAME.has(inner[1]!)) return inner[1]!;
  // perf appends modifiers it added itself, e.g. `instructions:u` when only user space may be counted.
  const modified = /^(.+):[ukhpPGHSD]+$/.exec(name);
  if (modified && EVENT_BY_NAME.has(modified[1]!)) return modified[1]!;
  return name;
}

class LineError extends Error {}

interface ParsedLine {
  timestampSec: number;
  event: string;
  reading: CounterReading;
}

function parseLine(line: string, sep: string): ParsedLine | null {
  const trimmed = line.trim();
  if (trimmed === "" || trimmed.startsWith("#")) return null;
  const f = line.split(sep).map((s) => s.trim());
  const ts = f[0]!;
  if (!TIMESTAMP_RE.test(ts)) throw new LineError(`bad timestamp "${ts.slice(0, 40)}"`);
  let i = 1;
  if (f[i] !== undefined && AGG_RE.test(f[i]!)) {
    const agg = f[i]!;
    i++;
    // Socket/die/node aggregation carries a count of CPUs before the value.
    if (!CPU_AGG_RE.test(agg) && /^\d+$/.test(f[i] ?? "") && isValueField(f[i + 1]) && (f[i + 3] ?? "") !== "") i++;
  }
  const value = f[i];
  const unit = f[i + 1];
  const event = f[i + 2];
  if (value === undefined || unit === undefined || event === undefined) {
    throw new LineError(`too few fields (${f.length}): truncated line?`);
  }
  if (event === "") {
    // A metric-only line (perf prints derived metrics on lines with no value and no event).
    if (value === "") return null;
    throw new LineError(`value "${value.slice(0, 40)}" without an event name`);
  }
  const runTime = f[i + 3];
  const percentField = f[i + 4];
  const timestampSec = Number(ts);
  const name = normaliseEventName(event);
  let reading: CounterReading;
  if (value.startsWith("<not supported>")) {
    reading = { value: 0, status: "not-supported", detail: `${event}: <not supported>` };
  } else if (value.startsWith("<not counted>")) {
    reading = { value: 0, status: "not-counted", detail: `${event}: <not counted>` };
  } else if (NUMBER_RE.test(value)) {
    const v = Number(value);
    let percentCounted = 100;
    if (percentField !== undefined && percentField !== "") {
      if (!NUMBER_RE.test(percentField)) throw new LineError(`bad percent "${percentField.slice(0, 40)}"`);
      percentCounted = Number(percentField);
    } else if (runTime === "0") {
      percentCounted = 0;
    }
    if (v < 0) {
      reading = { value: v, status: "invalid", detail: `${event}: negative value ${value}` };
    } else {
      reading = { value: v, status: "counted", percentCounted };
    }
  } else {
    throw new LineError(`bad value "${value.slice(0, 40)}"`);
  }
  return { timestampSec, event: name, reading };
}

// Which status wins when instances of one event disagree: an incomplete sum is not a count.
const STATUS_RANK: Record<CounterStatus, number> = { counted: 0, unavailable: 1, "not-supported": 2, "not-counted": 3, invalid: 4 };

function combine(a: CounterReading, b: CounterReading, instances: number): CounterReading {
  if (a.status === "counted" && b.status === "counted") {
    return {
      value: a.value + b.value,
      status: "counted",
      percentCounted: Math.min(a.percentCounted ?? 100, b.percentCounted ?? 100),
    };
  }
  const worse = STATUS_RANK[b.status] > STATUS_RANK[a.status] ? b : a;
  const detail = `${worse.detail ?? worse.status} (in ${instances} summed instances)`;
  return { value: worse.value, status: worse.status, detail };
}

export function createPerfStatParser(options: PerfStatParserOptions = {}): PerfStatParser {
  const sep = options.separator ?? ";";
  if (sep.length === 0) throw new Error("perf-stat parser: separator must not be empty");
  const stats: PerfStatParserStats = { lines: 0, parseErrors: 0, intervals: 0 };
  let lastError: string | undefined;
  let current: { timestampSec: number; counters: Record<string, CounterReading>; instances: Map<string, number> } | undefined;

  const emit = (): PerfIntervalRecord[] => {
    if (!current) return [];
    const rec: PerfIntervalRecord = { timestampSec: current.timestampSec, counters: current.counters };
    current = undefined;
    stats.intervals++;
    return [rec];
  };

  return {
    stats,
    get lastError() {
      return lastError;
    },
    get pendingEventCount() {
      return current ? current.instances.size : 0;
    },
    push(line: string): PerfIntervalRecord[] {
      stats.lines++;
      let parsed: ParsedLine | null;
      try {
        parsed = parseLine(line.replace(/\r$/, ""), sep);
      } catch (err) {
        if (!(err instanceof LineError)) throw err;
        stats.parseErrors++;
        lastError = `line ${stats.lines}: ${err.message}: ${JSON.stringify(line.slice(0, 120))}`;
        return [];
      }
      if (!parsed) return [];
      let out: PerfIntervalRecord[] = [];
      if (current && current.timestampSec !== parsed.timestampSec) out = emit();
      current ??= { timestampSec: parsed.timestampSec, counters: {}, instances: new Map() };
      const prev = current.counters[parsed.event];
      const n = (current.instances.get(parsed.event) ?? 0) + 1;
      current.instances.set(parsed.event, n);
      current.counters[parsed.event] = prev ? combine(prev, parsed.reading, n) : parsed.reading;
      return out;
    },
    flush(): PerfIntervalRecord[] {
      return emit();
    },
  };
}
