// Golden feature order: changing it breaks every model bundle and recorded corpus.
// A deliberate change needs a new schema version, docs/contracts.md and this list updated together.
import { readFileSync } from "node:fs";
import { describe, expect, it } from "vitest";
import { EVENT_BY_NAME } from "./events.js";
import { FEATURES, FEATURE_NAMES, SCHEMA_VERSION, catalogEvents } from "./catalog.js";

const GOLDEN_V1 = [
  "tma_retiring_fraction",
  "tma_frontend_bound_fraction",
  "tma_bad_speculation_fraction",
  "tma_backend_bound_fraction",
  "tma_memory_bound_fraction",
  "tma_core_bound_fraction",
  "l3_bound_stall_fraction",
  "dram_bound_stall_fraction",
  "llc_misses_per_kilo_instr",
  "l2_misses_per_kilo_instr",
  "instructions_per_ref_cycle",
  "cpu_utilization_fraction",
  "mem_read_bytes_per_sec",
  "mem_write_bytes_per_sec",
  "mem_bandwidth_fraction_of_peak",
  "llc_occupancy_fraction",
  "mbm_total_bytes_per_sec",
];

describe("feature catalog", () => {
  it("schema 1 has the golden order and names", () => {
    expect(SCHEMA_VERSION).toBe(1);
    expect(FEATURE_NAMES).toEqual(GOLDEN_V1);
  });
  it("every feature documents unit, formula and frequency invariance", () => {
    for (const f of FEATURES) {
      expect(f.unit, f.name).not.toBe("");
      expect(f.formulas.length, f.name).toBeGreaterThan(0);
      expect(f.frequencyInvariance.length, f.name).toBeGreaterThan(10);
      for (const fm of f.formulas) expect(fm.text, f.name).not.toBe("");
    }
  });
  it("every event a formula uses is in the event catalog", () => {
    for (const e of catalogEvents()) expect(EVENT_BY_NAME.has(e), e).toBe(true);
  });
  it("no normalisation by core cycles alone: cycles appears only with stall cycles of the same clock", () => {
    for (const f of FEATURES)
      for (const fm of f.formulas)
        if (fm.events.includes("cycles")) expect(fm.events.some((e) => e.startsWith("MEMORY_ACTIVITY.")), f.name).toBe(true);
  });
  it("docs/contracts.md lists every feature in order", () => {
    const doc = readFileSync(new URL("../../docs/contracts.md", import.meta.url), "utf8");
    const positions = GOLDEN_V1.map((n) => doc.indexOf(`\`${n}\``));
    for (const [i, p] of positions.entries()) expect(p, GOLDEN_V1[i]).toBeGreaterThan(-1);
    expect([...positions].sort((a, b) => a - b)).toEqual(positions);
  });
});
