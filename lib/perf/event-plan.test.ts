import { describe, expect, it } from "vitest";
import { FeatureState } from "../../gen/overseer/v1/features.js";
import { perfCatalogEvents, planPerfEvents, type ProbeOutcome } from "./event-plan.js";

const all = (supported: (e: string) => boolean) =>
  new Map<string, ProbeOutcome>(perfCatalogEvents().map((e) => [e, supported(e) ? { status: "supported" } : { status: "not-supported", detail: `${e} nope` }]));

describe("planPerfEvents", () => {
  it("full SPR: topdown grouped under slots, no general-counter fallbacks, cpu-clock always", () => {
    const p = planPerfEvents(all(() => true));
    expect(p.eventArg.startsWith("{slots,topdown-retiring,topdown-fe-bound,topdown-bad-spec,topdown-be-bound,topdown-mem-bound}")).toBe(true);
    expect(p.countedEvents).not.toContain("TOPDOWN.SLOTS_P");
    expect(p.countedEvents).toContain("cpu-clock");
    expect(p.eventArg).toContain("uncore_imc/event=0x05,umask=0xcf,name=UNC_M_CAS_COUNT.RD/");
    expect(p.missing).toEqual([]);
  });

  it("no perf-metrics events: falls back to the TOPDOWN.* general-counter events", () => {
    const p = planPerfEvents(all((e) => e !== "slots" && !e.startsWith("topdown-")));
    expect(p.eventArg).not.toContain("{");
    expect(p.countedEvents).toEqual(expect.arrayContaining(["TOPDOWN.SLOTS_P", "UOPS_RETIRED.SLOTS", "TOPDOWN.BACKEND_BOUND_SLOTS", "TOPDOWN.MEMORY_BOUND_SLOTS"]));
    expect(p.missing.map((m) => m.event)).toContain("topdown-retiring");
  });

  it("software events only: counts cpu-clock alone and reports every hardware event missing as not supported", () => {
    const p = planPerfEvents(all((e) => e === "cpu-clock"));
    expect(p.eventArg).toBe("cpu-clock");
    expect(p.countedEvents).toEqual(["cpu-clock"]);
    expect(p.missing).toHaveLength(perfCatalogEvents().length - 1);
    expect(p.missing.every((m) => m.reason === FeatureState.FEATURE_STATE_ABSENT_EVENT_NOT_SUPPORTED)).toBe(true);
    expect(p.missing.find((m) => m.event === "instructions")?.detail).toBe("instructions nope");
  });

  it("nothing supported: an empty plan, cpu-clock missing too", () => {
    const p = planPerfEvents(all(() => false));
    expect(p.eventArg).toBe("");
    expect(p.countedEvents).toEqual([]);
    expect(p.missing.map((m) => m.event)).toContain("cpu-clock");
  });

  it("events never probed are missing with that reason", () => {
    const p = planPerfEvents(new Map<string, ProbeOutcome>([["cpu-clock", { status: "supported" }]]));
    expect(p.missing.find((m) => m.event === "cycles")?.detail).toBe("not probed");
  });
});
