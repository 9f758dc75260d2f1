// Which events to ask perf for, given what this node supports. Pure: no I/O.
//
// For every feature the formulas are tried in catalog order and the first whose events are all
// supported is selected (e.g. TMA from the general-counter TOPDOWN.* events when the perf-metrics
// `slots`/`topdown-*` events are missing). `cpu-clock` is always counted when perf can, as proof
// that perf counts at all (system-wide it is N CPUs x window, so it is no utilisation signal; the
// utilisation fallback reads /proc/stat in the perf source). An empty plan (perf can count
// nothing, e.g. perf_event_paranoid forbids system-wide counting) has eventArg "". Topdown events are grouped with `slots` as leader.
import { FeatureState } from "../../gen/overseer/v1/features.js";
import type { MissingEvent } from "../../gen/overseer/v1/node_state.js";
import { FEATURES } from "../features/catalog.js";
import { EVENT_BY_NAME, EVENTS } from "../features/events.js";

export type ProbeOutcome =
  | { status: "supported" }
  /** perf opened nothing: `<not supported>`, an unknown event or a missing PMU. */
  | { status: "not-supported"; detail: string };

export interface EventPlan {
  /** Arguments for perf after `-e` (one string, comma separated, groups in braces). */
  eventArg: string;
  /** Catalog names perf will count, in the order they were selected. */
  countedEvents: string[];
  /** Catalog perf events this node cannot count (resctrl is reported separately). */
  missing: MissingEvent[];
  /** Perf events the node supports (whether selected or not). */
  supported: string[];
}

/** Catalog events that perf counts (everything except resctrl files). */
export function perfCatalogEvents(): string[] {
  return EVENTS.filter((e) => e.source !== "resctrl").map((e) => e.name);
}

export const TOPDOWN_LEADER = "slots";

export function planPerfEvents(probes: ReadonlyMap<string, ProbeOutcome>): EventPlan {
  const ok = (e: string) => probes.get(e)?.status === "supported";
  const selected = new Set<string>();
  for (const f of FEATURES) {
    for (const fm of f.formulas) {
      const perfEvents = fm.events.filter((e) => EVENT_BY_NAME.get(e)?.source !== "resctrl");
      if (perfEvents.length === 0) continue; // resctrl-only formula: not perf's business
      if (perfEvents.every(ok)) {
        for (const e of perfEvents) selected.add(e);
        break;
      }
    }
  }
  if (ok("cpu-clock")) selected.add("cpu-clock");
  const topdown = [...selected].filter((e) => EVENT_BY_NAME.get(e)?.source === "topdown" && e !== TOPDOWN_LEADER);
  const others = [...selected].filter((e) => EVENT_BY_NAME.get(e)?.source !== "topdown");
  const parts: string[] = [];
  const counted: string[] = [];
  if (topdown.length > 0) {
    parts.push(`{${[TOPDOWN_LEADER, ...topdown].map(spec).join(",")}}`);
    counted.push(TOPDOWN_LEADER, ...topdown);
  }
  for (const e of others) {
    parts.push(spec(e));
    counted.push(e);
  }
  const missing: MissingEvent[] = [];
  for (const e of perfCatalogEvents()) {
    const p = probes.get(e);
    if (p?.status === "supported") continue;
    missing.push({
      event: e,
      reason: FeatureState.FEATURE_STATE_ABSENT_EVENT_NOT_SUPPORTED,
      detail: p ? p.detail : "not probed",
    });
  }
  return { eventArg: parts.join(","), countedEvents: counted, missing, supported: perfCatalogEvents().filter(ok) };
}

function spec(name: string): string {
  return EVENT_BY_NAME.get(name)?.perfSpec ?? name;
}
