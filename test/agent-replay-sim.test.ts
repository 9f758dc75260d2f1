// The agent process with the replay source (a malformed synthetic recording) and the sim source
// against a receiver that is down at first (only the newest state is kept, then delivered).
import { mkdtempSync, readFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterEach, describe, expect, it } from "vitest";
import { FeatureState } from "../gen/overseer/v1/features.js";
import { CounterSource, NodeState } from "../gen/overseer/v1/node_state.js";
import { featureIndex } from "../lib/features/catalog.js";
import { REPO, spawnAgent, startReceiver, type AgentProcess, type Receiver } from "./agent-helpers.js";

const cleanups: (() => Promise<unknown>)[] = [];
afterEach(async () => {
  while (cleanups.length > 0) await cleanups.pop()!();
});

// The recording's node (a 2-socket SPR), so the plausibility bounds fit its counts.
const SPR_FACTS = ["--logical-cpus", "224", "--tsc-hz", "2e9", "--llc-bytes", String(210 * 1024 * 1024), "--memory-channels", "16"];

describe("agent --source replay on a malformed recording", () => {
  it("skips and counts the bad lines, publishes every good interval and exits at the end", async () => {
    const dir = mkdtempSync(join(tmpdir(), "agent-replay-"));
    const out = join(dir, "node_states.jsonl");
    const agent = spawnAgent([
      "--source", "replay", "--replay-file", join(REPO, "test/fixtures/perf/spr-malformed.perf.txt"), "--replay-pace", "0ms",
      "--scorer", "", "--listen", "", "--metrics-listen", "", "--record", out, "--node-name", "replay-node", ...SPR_FACTS,
    ]);
    cleanups.push(() => agent.stop("SIGKILL"));
    expect(await agent.exited).toBe(0);
    const states = readFileSync(out, "utf8").trim().split("\n").map((l) => NodeState.fromJSON(JSON.parse(l)));
    expect(states.map((s) => s.sequence)).toEqual([1, 2, 3]);
    expect(states[0]!.source).toBe(CounterSource.COUNTER_SOURCE_REPLAY);
    const skipped = agent.logs.filter((l) => l.msg === "unparsable perf output skipped").reduce((n, l) => n + (l.lines as number), 0);
    expect(skipped).toBe(4);
    const f0 = states[0]!.features!;
    expect(f0.states[featureIndex("tma_retiring_fraction")]).toBe(FeatureState.FEATURE_STATE_PRESENT);
    expect(f0.values[featureIndex("tma_retiring_fraction")]).toBeCloseTo(0.31, 2);
    expect(f0.states[featureIndex("mem_bandwidth_fraction_of_peak")]).toBe(FeatureState.FEATURE_STATE_PRESENT);
    expect(f0.states[featureIndex("llc_misses_per_kilo_instr")]).toBe(FeatureState.FEATURE_STATE_PRESENT); // ~50 % multiplexed, scaled
    // Interval 2 printed <not counted> for topdown-mem-bound.
    expect(states[1]!.features!.states[featureIndex("tma_memory_bound_fraction")]).toBe(FeatureState.FEATURE_STATE_ABSENT_EVENT_NOT_COUNTED);
    // resctrl is not in a perf recording.
    expect(f0.states[featureIndex("llc_occupancy_fraction")]).toBe(FeatureState.FEATURE_STATE_ABSENT_SOURCE_UNAVAILABLE);
  }, 30_000);

  it("refuses a file with no interval at all, with a clear error", async () => {
    const agent = spawnAgent(["--source", "replay", "--replay-file", join(REPO, "test/fixtures/perf/README.md"), "--scorer", "", "--listen", "", "--metrics-listen", ""]);
    cleanups.push(() => agent.stop("SIGKILL"));
    expect(await agent.exited).toBe(2);
    expect(agent.logs.find((l) => l.msg === "agent cannot start")?.error).toMatch(/holds no perf stat interval/);
  }, 30_000);

  it("rejects bad configuration before starting", async () => {
    const agent = spawnAgent(["--source", "replay"]);
    cleanups.push(() => agent.stop("SIGKILL"));
    expect(await agent.exited).toBe(2);
    expect(agent.stderr.join("\n")).toMatch(/--source replay needs --replay-file/);
  }, 30_000);
});

describe("agent --source sim with the receiver down, then up", () => {
  it("keeps only the newest state while down and delivers it when the receiver comes up", async () => {
    // Reserve a port, then close the receiver so the agent starts against a dead address.
    const probe = await startReceiver();
    const port = probe.port;
    await probe.close();
    const agent: AgentProcess = spawnAgent([
      "--source", "sim", "--sim-variant", "spr-full", "--sim-mix", "upf-64b", "--interval", "100ms",
      "--scorer", `127.0.0.1:${port}`, "--listen", "", "--metrics-listen", "127.0.0.1:0", "--node-name", "sim-node",
    ]);
    cleanups.push(() => agent.stop("SIGKILL"));
    const running = await agent.waitForLog((l) => l.msg === "agent running", 20_000, "agent start");
    // Let ~20 windows pass with nobody listening.
    await new Promise((r) => setTimeout(r, 2000));
    const metrics1 = await (await fetch(`http://127.0.0.1:${running.metrics as number}/metrics`)).text();
    const built = Number(/^overseer_agent_last_sequence (\d+)/m.exec(metrics1)?.[1]);
    expect(built).toBeGreaterThanOrEqual(5);
    expect(Number(/^overseer_agent_states_superseded_total\{publisher="grpc"\} (\d+)/m.exec(metrics1)?.[1])).toBeGreaterThanOrEqual(built - 2);
    const receiver: Receiver = await startReceiver(port);
    cleanups.push(() => receiver.close());
    await receiver.waitFor((s) => s.length >= 1, 15_000, "the first delivered state");
    // The first state delivered is a recent one, not the oldest of a backlog.
    expect(receiver.states[0]!.sequence).toBeGreaterThanOrEqual(built);
    expect(receiver.states[0]!.source).toBe(CounterSource.COUNTER_SOURCE_SIMULATOR);
    expect(receiver.states[0]!.pmu!.cpuid).toBe("GenuineIntel-6-8F");
    await receiver.waitFor((s) => s.length >= 5, 10_000, "states flowing again");
    const seqs = receiver.states.map((s) => s.sequence);
    expect(seqs).toEqual([...seqs].sort((a, b) => a - b));
    const metrics2 = await (await fetch(`http://127.0.0.1:${running.metrics as number}/metrics`)).text();
    expect(Number(/^overseer_agent_publish_failures_total\{publisher="grpc",reason="connect"\} (\d+)/m.exec(metrics2)?.[1])).toBeGreaterThanOrEqual(1);
    expect(await agent.stop("SIGTERM")).toBe(0);
  }, 60_000);
});
