import { mkdtempSync, readFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { NodeState } from "../../gen/overseer/v1/node_state.js";
import { FeatureState } from "../../gen/overseer/v1/features.js";
import { ConfigError } from "../config/flags.js";
import { FEATURE_NAMES } from "../features/catalog.js";
import { validateFeatureVector } from "../features/feature-vector.js";
import { loadWorkloadCatalog } from "./catalog.js";
import { parseCorpusArgs, validateMix, type CorpusConfig } from "./corpus-config.js";
import { writeCorpus } from "./corpus-writer.js";
import { PROBE_CLASS_PREFIX, PROBE_RANGES, probeSuite } from "./probe-suite.js";

const catalog = loadWorkloadCatalog();
const FILES = ["manifest.json", "node_states.jsonl", "ground_truth.jsonl", "performance.jsonl", "solo_profiles.json"];

function gen(args: string[]): { dir: string; files: Record<string, string> } {
  const dir = mkdtempSync(join(tmpdir(), "corpus-"));
  const cfg = parseCorpusArgs(["--out", dir, "--nodes", "4", "--intervals", "6", "--interval-sec", "30", ...args]) as CorpusConfig;
  writeCorpus(cfg, catalog);
  return { dir, files: Object.fromEntries(FILES.map((f) => [f, readFileSync(join(dir, f), "utf8")])) };
}

describe("corpus options", () => {
  it("defaults: 100 nodes x 60 windows of 10 s, every variant", () => {
    const c = parseCorpusArgs(["--out", "/tmp/x"]) as CorpusConfig;
    expect(c).toMatchObject({ nodes: 100, intervals: 60, intervalSec: 10, seed: 1, probeFraction: 1 });
    expect(c.variants).toEqual(["spr-full", "spr-vm", "spr-old-kernel", "spr-mixed"]);
    expect(parseCorpusArgs(["--help"])).toEqual({ help: true });
  });

  it.each([
    ["missing --out", [], /--out is required/],
    ["unknown flag", ["--out", "d", "--nodez", "3"], /unknown flag --nodez/],
    ["zero nodes", ["--out", "d", "--nodes", "0"], /--nodes.*must be 1\.\.100000/],
    ["non-integer seed", ["--out", "d", "--seed", "1.5"], /not an integer/],
    ["negative interval", ["--out", "d", "--interval-sec", "-1"], /--interval-sec.*0\.01\.\.3600/],
    ["unknown variant", ["--out", "d", "--variants", "spr-full,spr-cloud"], /unknown variant "spr-cloud"/],
    ["empty variants", ["--out", "d", "--variants", ","], /at least one variant/],
    ["malformed mix", ["--out", "d", "--mix", "streamer:2"], /not class=weight/],
    ["repeated mix class", ["--out", "d", "--mix", "upf-64b=1,upf-64b=2"], /given twice/],
    ["probe fraction 0", ["--out", "d", "--probe-fraction", "0"], /in \(0, 1\]/],
  ])("rejects %s", (_n, argv, msg) => {
    expect(() => parseCorpusArgs(argv)).toThrow(ConfigError);
    expect(() => parseCorpusArgs(argv)).toThrow(msg);
  });

  it("rejects mix classes the catalog does not have", () => {
    expect(() => validateMix(new Map([["warp-drive", 1]]), catalog)).toThrow(/unknown workload class "warp-drive"/);
  });
});

describe("calibration probe suite", () => {
  it("is seeded, distinct per class and inside the documented ranges", () => {
    const a = probeSuite(40, 5);
    expect(probeSuite(40, 5)).toEqual(a);
    expect(probeSuite(40, 6)).not.toEqual(a);
    expect(new Set(a.map((w) => w.class)).size).toBe(40);
    for (const w of a) {
      expect(w.class.startsWith(PROBE_CLASS_PREFIX)).toBe(true);
      expect(PROBE_RANGES.cores).toContain(w.cores);
      expect(w.llcWorkingSetBytes).toBeGreaterThanOrEqual(PROBE_RANGES.llcWorkingSetBytes[0]!);
      expect(w.llcWorkingSetBytes).toBeLessThanOrEqual(PROBE_RANGES.llcWorkingSetBytes[1]!);
      expect(w.l2MissesPerKiloInstr).toBeGreaterThanOrEqual(PROBE_RANGES.l2MissesPerKiloInstr[0]!);
      expect(w.l2MissesPerKiloInstr).toBeLessThanOrEqual(PROBE_RANGES.l2MissesPerKiloInstr[1]!);
      expect(w.memoryLevelParallelism).toBeGreaterThanOrEqual(PROBE_RANGES.memoryLevelParallelism[0]!);
    }
    expect(() => probeSuite(-1, 1)).toThrow(/non-negative integer/);
  });

  it("--probe-suite 0 writes no probe rows and no probe profiles", () => {
    const { files } = gen(["--seed", "3", "--probe-suite", "0"]);
    const perf = files["performance.jsonl"]!.trim().split("\n").map((l) => JSON.parse(l));
    expect(perf).toHaveLength(24 * catalog.cnfs.length);
    expect(Object.keys(JSON.parse(files["solo_profiles.json"]!))).toEqual(catalog.workloads.map((w) => w.class));
  });

  it.each([
    ["negative suite", ["--out", "d", "--probe-suite", "-1"], /--probe-suite.*0\.\.10000/],
    ["negative per window", ["--out", "d", "--probes-per-window", "-2"], /--probes-per-window.*0\.\.10000/],
  ])("rejects %s", (_n, argv, msg) => {
    expect(() => parseCorpusArgs(argv)).toThrow(msg);
  });
});

describe("corpus writer", () => {
  it("same seed, same bytes; a different seed differs", () => {
    const a = gen(["--seed", "7"]).files;
    const b = gen(["--seed", "7"]).files;
    expect(b).toEqual(a);
    const c = gen(["--seed", "8"]).files;
    expect(c["node_states.jsonl"]).not.toEqual(a["node_states.jsonl"]);
    expect(c["performance.jsonl"]).not.toEqual(a["performance.jsonl"]);
  });

  it("writes the documented format: manifest, node states via the real derivation, ground truth and probes in order", () => {
    const { files } = gen(["--seed", "3"]);
    const m = JSON.parse(files["manifest.json"]!);
    expect(m).toMatchObject({ format: "overseer-corpus", format_version: 1, schema_version: 1, synthetic: true, seed: 3, node_count: 4, intervals: 6, interval_sec: 30 });
    expect(m.feature_names).toEqual(FEATURE_NAMES);
    expect(m.regimes).toEqual(["REGIME_QUIET", "REGIME_CORE_BOUND", "REGIME_LLC_CONTENDED", "REGIME_MEMORY_BANDWIDTH_SATURATED", "REGIME_MIXED"]);
    const states = files["node_states.jsonl"]!.trim().split("\n").map((l) => NodeState.fromJSON(JSON.parse(l)));
    expect(states).toHaveLength(24);
    expect(states[0]!.observedAt!.toISOString()).toBe("2026-01-01T00:00:30.000Z");
    for (const s of states) validateFeatureVector(s.features);
    // Node 1 is spr-vm: its memory-bandwidth features are absent with a reason.
    const vm = states.find((s) => s.nodeName === "sim-node-001")!;
    expect(vm.features!.states[FEATURE_NAMES.indexOf("mem_read_bytes_per_sec")]).toBe(FeatureState.FEATURE_STATE_ABSENT_SOURCE_UNAVAILABLE);
    expect(vm.pmu!.resctrlAvailable).toBe(false);
    const keys = states.map((s) => `${s.nodeName}/${String(s.sequence).padStart(4, "0")}`);
    expect([...keys].sort()).toEqual(keys);
    const truth = files["ground_truth.jsonl"]!.trim().split("\n").map((l) => JSON.parse(l));
    expect(truth.map((t) => `${t.nodeName}/${t.sequence}`)).toEqual(states.map((s) => `${s.nodeName}/${s.sequence}`));
    const perf = files["performance.jsonl"]!.trim().split("\n").map((l) => JSON.parse(l));
    // Every CNF class, then 8 distinct calibration probes (the default --probes-per-window) per window.
    expect(perf).toHaveLength(24 * (catalog.cnfs.length + 8));
    expect(m.probe_classes).toHaveLength(64);
    for (let i = 0; i < 24; i++) {
      const win = perf.slice(i * (catalog.cnfs.length + 8), (i + 1) * (catalog.cnfs.length + 8));
      expect(win.slice(0, catalog.cnfs.length).map((p) => p.workloadClass)).toEqual(catalog.cnfs.map((w) => w.class));
      const probes = win.slice(catalog.cnfs.length).map((p) => p.workloadClass as string);
      expect(new Set(probes).size).toBe(8);
      for (const c of probes) expect(m.probe_classes).toContain(c);
    }
    for (const p of perf) {
      expect(Object.keys(p)).toEqual(["nodeName", "sequence", "workloadClass", "slowdown", "throughputSolo", "throughput"]);
      expect(p.slowdown).toBeGreaterThanOrEqual(1 - 1e-9);
      expect(p.slowdown).toBeCloseTo(p.throughputSolo / p.throughput, 9);
    }
    const solo = JSON.parse(files["solo_profiles.json"]!);
    expect(Object.keys(solo)).toEqual([...catalog.workloads.map((w) => w.class), ...m.probe_classes]);
    expect(solo["upf-64b"].isCnf).toBe(true);
    expect(solo["upf-64b"].isProbe).toBeUndefined();
    expect(solo["probe-00"]).toMatchObject({ isCnf: false, isProbe: true });
    // The profile carries the LLC access rate and the split of memory stalls (LLC hits vs DRAM).
    const upf = solo["upf-64b"].profile;
    expect(upf.l2MissesPerKiloInstr).toBe(catalog.byClass.get("upf-64b")!.l2MissesPerKiloInstr);
    expect(upf.l3BoundStallFraction + upf.dramBoundStallFraction).toBeCloseTo(upf.tmaMemoryBoundFraction, 9);
    // The second solo run under CAT (a quarter of the working set): the catalog's hit curve at f = 1/4.
    const w = catalog.byClass.get("upf-64b")!;
    expect(upf.llcHitRatioAtQuarterWorkingSet).toBeCloseTo(w.llcReuseFraction * 0.25 ** w.hitCurveExponent, 12);
    expect(solo["probe-00"].profile.llcHitRatioAtQuarterWorkingSet).toBeGreaterThan(0);
    expect(solo["upf-64b"].profile.instructionsPerSec).toBeGreaterThan(0);
    expect(m.files["performance.jsonl"].lines).toBe(perf.length);
  });

  it("--probe-fraction writes a seeded sample of the probes", () => {
    const { files } = gen(["--seed", "3", "--probe-fraction", "0.25", "--probes-per-window", "0"]);
    const n = files["performance.jsonl"]!.trim().split("\n").length;
    expect(n).toBeGreaterThan(0);
    expect(n).toBeLessThan(24 * catalog.cnfs.length * 0.5);
  });
});
