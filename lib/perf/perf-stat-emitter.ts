// Counter readings of one window -> the lines `perf stat -x<sep> -I <ms> -a` prints for them.
// The simulator uses it so the agent's real parser and derivation run on simulated nodes.
//
// Line: timestamp;value;unit;event;run_time_ns;percent;metric_value;metric_unit
//  - timestamp "%6d.%09d" seconds since counting started (perf pads it with spaces);
//  - value: an integer count (already scaled when multiplexed), msec with two decimals for cpu-clock,
//    or "<not supported>" / "<not counted>";
//  - run_time_ns: time the event was counting, summed over CPUs; percent: share of the enabled time;
//  - metric columns as perf fills them for a few events (IPC, GHz, CPUs utilized), else empty.
// Events whose source does not exist on the node ("unavailable": no uncore PMU, resctrl) are not
// requested from perf, so they print nothing. resctrl readings never go through perf.
import type { CounterReading, IntervalCounters } from "../features/counters.js";
import { EVENTS, type EventDef } from "../features/events.js";

export interface PerfStatEmitOptions {
  /** perf's -x separator (default ';'). */
  separator?: string;
  /** perf's interval timestamp: seconds since counting started (end of this window). */
  timestampSec: number;
  windowSec: number;
  logicalCpus: number;
  /** Print uncore IMC events once per uncore_imc_N PMU (as with --no-merge) instead of merged. */
  imcPmus?: number;
}

const PERF_EVENTS: readonly EventDef[] = EVENTS.filter((e) => e.source !== "resctrl");

export function formatPerfTimestamp(sec: number): string {
  if (!(Number.isFinite(sec) && sec >= 0)) throw new RangeError(`timestamp must be a non-negative number of seconds, got ${sec}`);
  let whole = Math.floor(sec);
  let nanos = Math.round((sec - whole) * 1e9);
  if (nanos >= 1e9) {
    whole += 1;
    nanos -= 1e9;
  }
  return `${String(whole).padStart(6, " ")}.${String(nanos).padStart(9, "0")}`;
}

function formatValue(e: EventDef, r: CounterReading): string {
  if (r.status === "not-supported") return "<not supported>";
  if (r.status === "not-counted") return "<not counted>";
  return e.name === "cpu-clock" ? r.value.toFixed(2) : String(Math.round(r.value));
}

export function formatPerfStatInterval(counters: IntervalCounters, o: PerfStatEmitOptions): string[] {
  const sep = o.separator ?? ";";
  const ts = formatPerfTimestamp(o.timestampSec);
  const enabledNs = o.windowSec * 1e9 * o.logicalCpus;
  const lines: string[] = [];
  const get = (name: string) => {
    const r = counters[name];
    return r && r.status === "counted" ? r.value : undefined;
  };
  for (const e of PERF_EVENTS) {
    const r = counters[e.name];
    if (!r || r.status === "unavailable") continue;
    const unit = e.name === "cpu-clock" ? "msec" : "";
    let runNs = 0;
    let pct = "100.00";
    if (r.status === "counted") {
      const p = r.percentCounted ?? 100;
      pct = p.toFixed(2);
      runNs = Math.round(((e.source === "uncore-imc" ? o.windowSec * 1e9 : enabledNs) * p) / 100);
    } else if (r.status === "not-counted") {
      pct = "0.00";
    }
    let metric = "";
    let metricUnit = "";
    if (r.status === "counted") {
      if (e.name === "instructions") {
        const c = get("cycles");
        if (c) [metric, metricUnit] = [(r.value / c).toFixed(2), "insn per cycle"];
      } else if (e.name === "cycles") {
        const ms = get("cpu-clock");
        if (ms) [metric, metricUnit] = [(r.value / ms / 1e6).toFixed(3), "GHz"];
      } else if (e.name === "cpu-clock") {
        [metric, metricUnit] = [(r.value / (o.windowSec * 1000)).toFixed(2), "CPUs utilized"];
      }
    }
    const value = formatValue(e, r);
    if (e.source === "uncore-imc" && r.status === "counted" && (o.imcPmus ?? 1) > 1) {
      // One line per PMU; the parts add up exactly to the merged count.
      const n = o.imcPmus!;
      const total = Math.round(r.value);
      const base = Math.floor(total / n);
      for (let k = 0; k < n; k++) {
        const part = k < total - base * n ? base + 1 : base;
        lines.push([ts, String(part), unit, e.name, String(Math.round(o.windowSec * 1e9)), pct, "", ""].join(sep));
      }
      continue;
    }
    lines.push([ts, value, unit, e.name, String(runNs), pct, metric, metricUnit].join(sep));
  }
  return lines;
}
