// Garbage-collection pauses of this thread's isolate, by kind, for benchmark phases: a
// PerformanceObserver keeps every "gc" entry; `between(t0, t1)` sums the ones that started in the
// window (performance.now() times). Worker threads (regime-svc in the benches) are not counted.
import { PerformanceObserver, constants, performance, type PerformanceEntry } from "node:perf_hooks";

export interface GcSummary {
  minor: number;
  minorMs: number;
  minorMaxMs: number;
  major: number;
  majorMs: number;
  majorMaxMs: number;
}

export class GcPauses {
  private readonly entries: { start: number; ms: number; kind: number }[] = [];
  private readonly obs = new PerformanceObserver((list) => {
    for (const e of list.getEntries()) this.entries.push({ start: e.startTime, ms: e.duration, kind: gcKind(e) });
  });

  constructor() {
    this.obs.observe({ entryTypes: ["gc"] });
  }

  /** GCs that started in [t0, t1); entries are delivered asynchronously, so await a tick after t1 first. */
  between(t0: number, t1: number): GcSummary {
    const s: GcSummary = { minor: 0, minorMs: 0, minorMaxMs: 0, major: 0, majorMs: 0, majorMaxMs: 0 };
    for (const e of this.entries) {
      if (e.start < t0 || e.start >= t1) continue;
      if (e.kind === constants.NODE_PERFORMANCE_GC_MAJOR) {
        s.major++;
        s.majorMs += e.ms;
        s.majorMaxMs = Math.max(s.majorMaxMs, e.ms);
      } else if (e.kind === constants.NODE_PERFORMANCE_GC_MINOR) {
        s.minor++;
        s.minorMs += e.ms;
        s.minorMaxMs = Math.max(s.minorMaxMs, e.ms);
      }
    }
    return s;
  }

  /** Pauses (any kind) that overlap [t0, t1), as wall-clock epoch ms, comparable across processes. */
  pausesEpoch(t0: number, t1: number): { start: number; ms: number }[] {
    const out: { start: number; ms: number }[] = [];
    for (const e of this.entries) {
      const start = performance.timeOrigin + e.start;
      if (start + e.ms > t0 && start < t1) out.push({ start, ms: e.ms });
    }
    return out;
  }

  stop(): void {
    this.obs.disconnect();
  }
}

function gcKind(e: PerformanceEntry): number {
  return (e as PerformanceEntry & { detail?: { kind?: number } }).detail?.kind ?? -1;
}

/** "minor 12 (total 80 ms, max 15 ms), major 1 (max 14 ms)" */
export function formatGc(s: GcSummary): string {
  return `minor ${s.minor} (${s.minorMs.toFixed(0)} ms, max ${s.minorMaxMs.toFixed(1)}), major ${s.major} (${s.majorMs.toFixed(0)} ms, max ${s.majorMaxMs.toFixed(1)})`;
}
