import { describe, expect, it } from "vitest";
import type { CounterReading } from "../features/counters.js";
import { FEATURE_NAMES } from "../features/catalog.js";
import { deriveFeatures } from "../features/derive.js";
import { loadWorkloadCatalog, requireWorkload } from "../sim/catalog.js";
import { createSimNode, simulateInterval, type SimResident } from "../sim/node.js";
import { VARIANT_NAMES } from "../sim/node-spec.js";
import { formatPerfStatInterval, formatPerfTimestamp } from "./perf-stat-emitter.js";
import { createPerfStatParser } from "./perf-stat-parser.js";

const cat = loadWorkloadCatalog();
const residents: SimResident[] = [
  { workload: requireWorkload(cat, "upf-64b") },
  { workload: requireWorkload(cat, "mem-bw-streamer"), cores: 40 },
  { workload: requireWorkload(cat, "llc-thrasher") },
];

function parseAll(lines: string[]) {
  const p = createPerfStatParser({ separator: ";" });
  const recs = [...lines.flatMap((l) => p.push(l)), ...p.flush()];
  expect(p.stats.parseErrors, p.lastError).toBe(0);
  return recs;
}

describe("perf stat text emitter", () => {
  it("formats timestamps the way perf pads them", () => {
    expect(formatPerfTimestamp(1.0012)).toBe("     1.001200000");
    expect(formatPerfTimestamp(123456.5)).toBe("123456.500000000");
    expect(formatPerfTimestamp(2.9999999999)).toBe("     3.000000000");
    expect(() => formatPerfTimestamp(-1)).toThrow(/non-negative/);
  });

  it("prints perf's field layout, <not supported> in the value field, multiplexing below 100 %", () => {
    const n = createSimNode({ variant: "spr-old-kernel", seed: 4 });
    const lines = simulateInterval(n, residents, { perfText: true }).perfLines!;
    const byEvent = new Map(lines.map((l) => [l.split(";")[3]!, l.split(";")]));
    expect(byEvent.get("topdown-retiring")!.slice(1, 6)).toEqual(["<not supported>", "", "topdown-retiring", "0", "100.00"]);
    const llc = byEvent.get("LONGEST_LAT_CACHE.MISS")!;
    expect(llc).toHaveLength(8);
    expect(llc[0]).toBe("     1.000000000");
    expect(llc[1]).toMatch(/^\d+$/);
    expect(Number(llc[5])).toBeLessThan(100);
    expect(byEvent.get("cpu-clock")![2]).toBe("msec");
    expect(byEvent.get("instructions")![7]).toBe("insn per cycle");
    expect(byEvent.has("resctrl.llc_occupancy")).toBe(false);
  });

  it("a VM prints no uncore lines (the PMU does not exist, perf is not asked)", () => {
    const n = createSimNode({ variant: "spr-vm", seed: 4 });
    const lines = simulateInterval(n, residents, { perfText: true }).perfLines!;
    expect(lines.some((l) => l.includes("UNC_M_CAS"))).toBe(false);
    expect(lines.some((l) => l.includes(";topdown-retiring;"))).toBe(true);
  });

  it.each(VARIANT_NAMES)("%s: text -> agent parser -> derivation equals the in-process counters' derivation", (variant) => {
    const n = createSimNode({ variant, seed: 11 });
    for (let k = 0; k < 3; k++) {
      const r = simulateInterval(n, residents, { perfText: true, windowSec: 1 });
      const [rec] = parseAll(r.perfLines!);
      expect(rec!.timestampSec).toBeCloseTo(k + 1, 9);
      const parsed: Record<string, CounterReading> = { ...rec!.counters };
      // resctrl comes from files, not from perf: the agent adds it beside the parsed perf counters.
      for (const e of ["resctrl.llc_occupancy", "resctrl.mbm_total_bytes"]) if (r.counters[e]?.status === "counted") parsed[e] = r.counters[e]!;
      for (const [name, want] of Object.entries(r.counters)) {
        if (want!.status === "counted" && name !== "cpu-clock") {
          expect(parsed[name]!.value, name).toBe(want!.value);
          expect(parsed[name]!.percentCounted, name).toBe(want!.percentCounted);
        }
        if (want!.status === "not-supported") expect(parsed[name]!.status, name).toBe("not-supported");
        if (want!.status === "unavailable") expect(parsed[name], name).toBeUndefined();
      }
      const a = deriveFeatures(r.counters, 1, n.capacity);
      const b = deriveFeatures(parsed, 1, n.capacity);
      expect(b.states).toEqual(a.states);
      a.values.forEach((v, i) => expect(b.values[i], FEATURE_NAMES[i]).toBeCloseTo(v, 9));
    }
  });

  it("per-PMU uncore lines (--no-merge) add up to the merged count", () => {
    const n = createSimNode({ variant: "spr-full", seed: 2 });
    const r = simulateInterval(n, residents);
    const lines = formatPerfStatInterval(r.counters, { timestampSec: 1, windowSec: 1, logicalCpus: 224, imcPmus: 16 });
    expect(lines.filter((l) => l.includes(";UNC_M_CAS_COUNT.RD;"))).toHaveLength(16);
    const [rec] = parseAll(lines);
    expect(rec!.counters["UNC_M_CAS_COUNT.RD"]!.value).toBe(r.counters["UNC_M_CAS_COUNT.RD"]!.value);
  });
});
