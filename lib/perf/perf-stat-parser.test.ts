import { readFileSync } from "node:fs";
import { fileURLToPath } from "node:url";
import { describe, expect, it } from "vitest";
import { createPerfStatParser, normaliseEventName, type PerfIntervalRecord } from "./perf-stat-parser.js";

const fixture = (name: string) => readFileSync(fileURLToPath(new URL(`../../test/fixtures/perf/${name}`, import.meta.url)), "utf8");

function parseAll(text: string, separator?: string) {
  const p = createPerfStatParser(separator === undefined ? {} : { separator });
  const out: PerfIntervalRecord[] = [];
  const lines = text.split("\n");
  for (const l of lines) out.push(...p.push(l));
  out.push(...p.flush());
  return { out, stats: p.stats, parser: p };
}

describe("perf-stat parser on the synthetic SPR recording", () => {
  const { out, stats } = parseAll(fixture("spr-2s-interval.perf.txt"));

  it("emits one record per interval with perf's timestamps", () => {
    expect(out.map((r) => r.timestampSec)).toEqual([1.000137, 2.000411, 3.000822]);
    expect(stats.intervals).toBe(3);
    expect(stats.parseErrors).toBe(0);
  });

  it("keeps the topdown group under slots", () => {
    const c = out[0]!.counters;
    expect(c["slots"]).toEqual({ value: 1916544000000, status: "counted", percentCounted: 100 });
    const l1 = ["topdown-retiring", "topdown-bad-spec", "topdown-fe-bound", "topdown-be-bound"].reduce((s, e) => s + c[e]!.value, 0);
    expect(l1).toBe(c["slots"]!.value);
  });

  it("sums the CAS counts of every uncore_imc PMU", () => {
    const rd = out[0]!.counters["UNC_M_CAS_COUNT.RD"]!;
    expect(rd.status).toBe("counted");
    expect(rd.value).toBeCloseTo(1.45e9, -7);
    expect(out[0]!.counters["UNC_M_CAS_COUNT.WR"]!.value).toBeCloseTo(0.51e9, -7);
  });

  it("normalises the full PMU spec to the catalog name before summing", () => {
    const c = out[2]!.counters;
    expect(Object.keys(c).filter((k) => k.includes("CAS_COUNT.RD"))).toEqual(["UNC_M_CAS_COUNT.RD"]);
    expect(c["UNC_M_CAS_COUNT.RD"]!.value).toBeCloseTo(1.38e9, -7);
  });

  it("keeps the multiplexing percentage (value already scaled)", () => {
    expect(out[0]!.counters["LONGEST_LAT_CACHE.MISS"]).toMatchObject({ status: "counted", percentCounted: 49.87, value: 939106560 });
  });

  it("maps <not counted> and <not supported>", () => {
    expect(out[1]!.counters["topdown-mem-bound"]).toMatchObject({ status: "not-counted", value: 0 });
    expect(out[0]!.counters["topdown-mem-bound"]!.status).toBe("counted");
    expect(out[0]!.counters["TOPDOWN.MEMORY_BOUND_SLOTS"]).toMatchObject({ status: "not-supported", value: 0 });
  });

  it("skips comments and metric-only lines without counting them as errors", () => {
    expect(Object.keys(out[0]!.counters)).not.toContain("");
    expect(stats.lines).toBeGreaterThan(140);
  });
});

describe("perf-stat parser on the malformed recording", () => {
  const { out, stats, parser } = parseAll(fixture("spr-malformed.perf.txt"));

  it("counts garbage and the truncated last line as parse errors and keeps the good lines", () => {
    expect(stats.parseErrors).toBe(4); // prose, bad value, bad timestamp, truncated last line
    expect(out).toHaveLength(3);
    expect(out[0]!.counters["instructions"]!.value).toBe(447193600000);
    expect(out[0]!.counters["UNC_M_CAS_COUNT.RD"]!.value).toBeCloseTo(1.45e9, -7);
    expect(parser.lastError).toMatch(/too few fields/);
  });
});

describe("perf-stat parser line cases", () => {
  const one = (lines: string[], separator?: string) => {
    const r = parseAll(lines.join("\n"), separator);
    return { rec: r.out[0], stats: r.stats };
  };

  it("software-only machine: cpu-clock counted, hardware <not supported>", () => {
    const { rec } = one([
      "     1.000483738;2002.21;msec;cpu-clock;2002216463;100.00;2.004;CPUs utilized",
      "     1.000483738;<not supported>;;instructions;0;100.00;;",
    ]);
    expect(rec!.counters["cpu-clock"]).toEqual({ value: 2002.21, status: "counted", percentCounted: 100 });
    expect(rec!.counters["instructions"]!.status).toBe("not-supported");
  });

  it("tolerates missing trailing fields", () => {
    const { rec, stats } = one(["1.0;100;;instructions", "1.0;200;;cycles;5000"]);
    expect(stats.parseErrors).toBe(0);
    expect(rec!.counters["instructions"]).toEqual({ value: 100, status: "counted", percentCounted: 100 });
    expect(rec!.counters["cycles"]!.value).toBe(200);
  });

  it("negative value -> invalid", () => {
    const { rec } = one(["1.0;-5;;instructions;100;100.00;;"]);
    expect(rec!.counters["instructions"]).toMatchObject({ status: "invalid", value: -5 });
  });

  it("per-CPU aggregation column (-A) is skipped and CPUs are summed", () => {
    const { rec } = one([
      "     0.300412143;CPU0;300.57;msec;cpu-clock;300570822;100.00;1.002;CPUs utilized",
      "     0.300412143;CPU1;300.58;msec;cpu-clock;300577774;100.00;1.002;CPUs utilized",
    ]);
    expect(rec!.counters["cpu-clock"]!.value).toBeCloseTo(601.15, 6);
  });

  it("per-socket aggregation column with a CPU count is skipped", () => {
    const { rec, stats } = one(["1.0;S0;112;1000;;instructions;1;100.00;;", "1.0;S1;112;500;msec;cpu-clock;1;100.00;;"]);
    expect(stats.parseErrors).toBe(0);
    expect(rec!.counters["instructions"]!.value).toBe(1000);
    expect(rec!.counters["cpu-clock"]!.value).toBe(500);
  });

  it("summing with one instance not counted makes the sum not counted", () => {
    const { rec } = one(["1.0;10;;UNC_M_CAS_COUNT.RD;1;100.00;;", "1.0;<not counted>;;UNC_M_CAS_COUNT.RD;0;0.00;;"]);
    expect(rec!.counters["UNC_M_CAS_COUNT.RD"]!.status).toBe("not-counted");
  });

  it("summing keeps the lowest percent counted", () => {
    const { rec } = one(["1.0;10;;L2_RQSTS.MISS;1;80.00;;", "1.0;20;;L2_RQSTS.MISS;1;40.00;;"]);
    expect(rec!.counters["L2_RQSTS.MISS"]).toEqual({ value: 30, status: "counted", percentCounted: 40 });
  });

  it("an interval is emitted only when a new timestamp arrives", () => {
    const p = createPerfStatParser();
    expect(p.push("1.0;1;;instructions;1;100.00;;")).toEqual([]);
    expect(p.push("1.0;2;;cycles;1;100.00;;")).toEqual([]);
    expect(p.pendingEventCount).toBe(2);
    const r = p.push("2.0;3;;instructions;1;100.00;;");
    expect(r).toHaveLength(1);
    expect(r[0]!.timestampSec).toBe(1);
    expect(p.flush()[0]!.counters["instructions"]!.value).toBe(3);
    expect(p.flush()).toEqual([]);
    expect(p.pendingEventCount).toBe(0);
    expect(p.stats.intervals).toBe(2);
  });

  it("other separators", () => {
    const { rec } = one(["1.0,7,,instructions,1,100.00,,"], ",");
    expect(rec!.counters["instructions"]!.value).toBe(7);
  });

  it("rejects an empty separator", () => {
    expect(() => createPerfStatParser({ separator: "" })).toThrow(/separator/);
  });

  it.each([
    ["prose", "perf: some warning text"],
    ["bad timestamp", "x1.0;1;;instructions;1;100;;"],
    ["bad value", "1.0;1e;;instructions;1;100;;"],
    ["value without event", "1.0;12;;;;;"],
    ["truncated after value", "1.0;12"],
    ["bad percent", "1.0;12;;instructions;1;abc;;"],
  ])("%s -> parse error, skipped", (_name, line) => {
    const { rec, stats } = one([line]);
    expect(stats.parseErrors).toBe(1);
    expect(rec).toBeUndefined();
  });

  it("normaliseEventName", () => {
    expect(normaliseEventName("uncore_imc_3/event=0x05,umask=0xcf,name=UNC_M_CAS_COUNT.RD/")).toBe("UNC_M_CAS_COUNT.RD");
    expect(normaliseEventName("cpu/instructions/")).toBe("instructions");
    expect(normaliseEventName("msr/tsc/")).toBe("msr/tsc/");
    expect(normaliseEventName("cpu-clock")).toBe("cpu-clock");
    expect(normaliseEventName("instructions:u")).toBe("instructions");
    expect(normaliseEventName("cpu-clock:ukh")).toBe("cpu-clock");
    expect(normaliseEventName("foo:u")).toBe("foo:u");
  });
});
