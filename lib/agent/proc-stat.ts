// Reads busy CPU time from /proc/stat for the cpu_utilization_fraction fallback on nodes whose
// PMU cannot count ref-cycles. (perf's system-wide cpu-clock counts idle time too: it is always
// about N CPUs x window, so it cannot measure utilisation.) The reading is the delta of
// user+nice+system+irq+softirq+steal over the window, in milliseconds summed over all CPUs.
import { readFileSync } from "node:fs";
import type { CounterReading } from "../features/counters.js";

export const PROC_BUSY = "procfs.cpu_busy_ms";

export interface ProcStatReader {
  /** The busy time since the previous call (unavailable on the first call). */
  read(): Record<string, CounterReading>;
}

/** Busy jiffies of the aggregate "cpu" line, or an error text. */
export function parseProcStatBusyJiffies(text: string): number | string {
  const line = text.split("\n").find((l) => l.startsWith("cpu "));
  if (!line) return "no aggregate cpu line";
  const f = line.trim().split(/\s+/).slice(1).map(Number);
  if (f.length < 8 || f.some((x) => !Number.isFinite(x) || x < 0)) return `malformed cpu line "${line.slice(0, 80)}"`;
  const [user, nice, system, , , irq, softirq, steal] = f as [number, number, number, number, number, number, number, number];
  return user + nice + system + irq + softirq + steal;
}

export function createProcStatReader(path = "/proc/stat", jiffiesPerSec = 100): ProcStatReader {
  let previous: number | undefined;
  return {
    read() {
      let busy: number | string;
      try {
        busy = parseProcStatBusyJiffies(readFileSync(path, "utf8"));
      } catch (e) {
        busy = (e as Error).message;
      }
      if (typeof busy === "string") {
        previous = undefined;
        return { [PROC_BUSY]: { value: 0, status: "unavailable", detail: `${path}: ${busy}` } };
      }
      const prev = previous;
      previous = busy;
      if (prev === undefined) return { [PROC_BUSY]: { value: 0, status: "unavailable", detail: "first window: no previous /proc/stat reading" } };
      const delta = busy - prev;
      if (delta < 0) return { [PROC_BUSY]: { value: delta, status: "invalid", detail: "/proc/stat busy time went backwards" } };
      return { [PROC_BUSY]: { value: (delta * 1000) / jiffiesPerSec, status: "counted", percentCounted: 100 } };
    },
  };
}
