// The pipeline in-process: sources -> states -> publishers, AgentService handlers, config checks.
import { mkdtempSync, readFileSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import { describe, expect, it } from "vitest";
import { FeatureState } from "../../gen/overseer/v1/features.js";
import { CounterSource, NodeState } from "../../gen/overseer/v1/node_state.js";
import { featureIndex } from "../features/catalog.js";
import { parseFlags } from "../config/flags.js";
import { FailedPreconditionError } from "../grpc/errors.js";
import { startAgent } from "./agent.js";
import { getCapabilities, getCurrentState } from "./agent-service.js";
import { AGENT_FLAGS, AgentConfigError, checkAgentConfig } from "./config.js";
import { createAgentMetrics } from "./metrics.js";
import { buildNodeFacts, parseCpuinfo } from "./node-facts.js";
import { createJsonlRecorder } from "./publishers/jsonl-recorder.js";
import type { Publisher } from "./publishers/publisher.js";
import { createReplaySource, ReplayFileError } from "./sources/replay-source.js";
import { createSimSource, parseMix, SimConfigError } from "./sources/sim-source.js";

const fixture = (n: string) => fileURLToPath(new URL(`../../test/fixtures/perf/${n}`, import.meta.url));
const sprFacts = () => buildNodeFacts(parseCpuinfo(""), 210 * 1024 * 1024, { logicalCpus: 224, tscHz: 2e9, memoryChannels: 16 });
const silent = () => undefined;

function collector(): Publisher & { states: NodeState[]; closed: boolean } {
  const p = {
    name: "test",
    states: [] as NodeState[],
    closed: false,
    publish(s: NodeState) {
      p.states.push(s);
    },
    async close() {
      p.closed = true;
    },
  };
  return p;
}

describe("agent pipeline with the replay source", () => {
  it("turns each recorded interval into a numbered NodeState and closes publishers at the end", async () => {
    const pub = collector();
    const metrics = createAgentMetrics();
    const agent = await startAgent({ source: createReplaySource({ path: fixture("spr-2s-interval.perf.txt"), paceMs: 0 }), localFacts: sprFacts, nodeName: "n1", agentId: "a1", intervalMs: 1000, publishers: [pub], metrics, log: silent });
    await agent.done;
    expect(pub.closed).toBe(true);
    expect(pub.states.map((s) => s.sequence)).toEqual([1, 2, 3]);
    const s = pub.states[0]!;
    expect(s.source).toBe(CounterSource.COUNTER_SOURCE_REPLAY);
    expect(s.agentStartedAt).toBeInstanceOf(Date);
    expect(s.features!.window).toEqual({ seconds: 1, nanos: 137000 });
    expect(s.features!.values[featureIndex("tma_backend_bound_fraction")]).toBeCloseTo(0.52, 2);
    // The recording has no resctrl and <not supported> TOPDOWN.MEMORY_BOUND_SLOTS.
    expect(s.pmu!.missingEvents.map((m) => m.event)).toEqual(expect.arrayContaining(["TOPDOWN.MEMORY_BOUND_SLOTS", "TOPDOWN.SLOTS_P"]));
    expect(s.pmu!.logicalCpus).toBe(224);
    expect(await metrics.registry.getSingleMetricAsString("overseer_agent_intervals_total")).toMatch(/source="replay"} 3/);
    expect(getCurrentState({ current: agent.current, pmu: agent.pmu, source: agent.sourceKind, intervalMs: 1000 }).state?.sequence).toBe(3);
  });

  it("a counter that went backwards makes only the affected features absent", async () => {
    const dir = mkdtempSync(join(tmpdir(), "replay-"));
    const f = join(dir, "rec.txt");
    writeFileSync(f, ["1.0;2000;msec;cpu-clock;1;100.00;;", "1.0;-5;;instructions;1;100.00;;", "1.0;100;;ref-cycles;1;100.00;;", ""].join("\n"));
    const pub = collector();
    const agent = await startAgent({ source: createReplaySource({ path: f, paceMs: 0 }), localFacts: () => buildNodeFacts(parseCpuinfo(""), 0, { logicalCpus: 2, tscHz: 1e9 }), nodeName: "n1", agentId: "a", intervalMs: 1000, publishers: [pub], metrics: createAgentMetrics(), log: silent });
    await agent.done;
    const fv = pub.states[0]!.features!;
    expect(fv.states[featureIndex("instructions_per_ref_cycle")]).toBe(FeatureState.FEATURE_STATE_ABSENT_COUNTER_INVALID);
    expect(fv.states[featureIndex("cpu_utilization_fraction")]).toBe(FeatureState.FEATURE_STATE_PRESENT);
  });

  it("replay refuses a missing file and a file without intervals", async () => {
    await expect(createReplaySource({ path: "/nonexistent/rec.txt", paceMs: 0 }).init()).rejects.toBeInstanceOf(ReplayFileError);
    const dir = mkdtempSync(join(tmpdir(), "replay-"));
    writeFileSync(join(dir, "junk.txt"), "hello\nworld\n");
    await expect(createReplaySource({ path: join(dir, "junk.txt"), paceMs: 0 }).init()).rejects.toThrow(/no perf stat interval \(2 unparsable lines/);
  });

  it("JSONL recording writes corpus node_states lines that parse back", async () => {
    const dir = mkdtempSync(join(tmpdir(), "rec-"));
    const out = join(dir, "sub", "node_states.jsonl");
    const agent = await startAgent({ source: createReplaySource({ path: fixture("spr-2s-interval.perf.txt"), paceMs: 0 }), localFacts: sprFacts, nodeName: "n1", agentId: "a", intervalMs: 1000, publishers: [createJsonlRecorder(out)], metrics: createAgentMetrics(), log: silent });
    await agent.done;
    const lines = readFileSync(out, "utf8").trim().split("\n");
    expect(lines).toHaveLength(3);
    const first = JSON.parse(lines[0]!) as Record<string, unknown>;
    expect(first.source).toBe("COUNTER_SOURCE_REPLAY");
    expect(NodeState.fromJSON(first).sequence).toBe(1);
  });
});

describe("agent pipeline with the sim source", () => {
  it("uses the simulated node's facts and stops after max intervals", async () => {
    const pub = collector();
    const src = createSimSource({ variant: "spr-vm", seed: 3, nodeName: "sim-1", mix: "upf-64b", windowSec: 1, paceMs: 0 });
    const agent = await startAgent({ source: src, localFacts: () => { throw new Error("local facts must not be read for sim"); }, nodeName: "sim-1", agentId: "a", intervalMs: 1000, publishers: [pub], metrics: createAgentMetrics(), log: silent, maxIntervals: 5 });
    await agent.done;
    expect(pub.states.length).toBeGreaterThanOrEqual(5);
    const s = pub.states[0]!;
    expect(s.source).toBe(CounterSource.COUNTER_SOURCE_SIMULATOR);
    expect(s.pmu!.cpuid).toBe("GenuineIntel-6-8F");
    expect(s.residents).toEqual([expect.objectContaining({ workloadClass: "upf-64b", isCnf: true, podName: "upf-64b-0" })]);
    const caps = getCapabilities({ current: agent.current, pmu: agent.pmu, source: agent.sourceKind, intervalMs: 1000 });
    expect(caps.derivableFeatures.length + caps.underivableFeatures.length).toBe(17);
  });

  it("parseMix", () => {
    expect(parseMix("")).toEqual([]);
    expect(parseMix("upf-64b, mem-bw-streamer:32")).toEqual([{ workloadClass: "upf-64b" }, { workloadClass: "mem-bw-streamer", cores: 32 }]);
    expect(() => parseMix("a:0")).toThrow(SimConfigError);
    expect(() => parseMix("a:b:c")).toThrow(/bad mix entry/);
  });

  it("an unknown variant or workload is a clear start-up error", async () => {
    await expect(createSimSource({ variant: "nope", seed: 1, nodeName: "x", mix: "", windowSec: 1, paceMs: 0 }).init()).rejects.toThrow(/unknown node variant/);
    await expect(createSimSource({ variant: "spr-full", seed: 1, nodeName: "x", mix: "no-such-workload", windowSec: 1, paceMs: 0 }).init()).rejects.toThrow(SimConfigError);
  });
});

describe("AgentService handlers", () => {
  it("GetCurrentState before the first window -> FAILED_PRECONDITION", () => {
    expect(() => getCurrentState({ current: () => undefined, pmu: () => ({}) as never, source: CounterSource.COUNTER_SOURCE_PERF, intervalMs: 1000 })).toThrow(FailedPreconditionError);
  });
});

describe("agent config", () => {
  const parse = (argv: string[]) => checkAgentConfig(parseFlags(argv, {}, AGENT_FLAGS));
  it("defaults", () => {
    const c = parse([]);
    expect(c).toMatchObject({ source: "perf", interval: 1000, scorer: "127.0.0.1:50053" });
  });
  it.each([
    [["--source", "bogus"], /must be one of perf, replay, sim/],
    [["--interval", "50ms"], /must be >= 100ms/],
    [["--interval", "soon"], /not a duration/],
    [["--scorer", "nohost"], /host:port/],
    [["--source", "replay"], /needs --replay-file/],
    [["--replay-file", "x"], /only used with --source replay/],
    [["--kubeconfig", "k", "--in-cluster"], /either --kubeconfig or --in-cluster/],
    [["--node-name", "Not_A_Node"], /DNS-1123/],
    [["--min-percent-counted", "120"], /0..100/],
  ])("%j is rejected", (argv, msg) => {
    expect(() => parse(argv)).toThrow(msg);
  });
  it("config errors are AgentConfigError", () => {
    expect(() => parse(["--source", "replay"])).toThrow(AgentConfigError);
  });
});
