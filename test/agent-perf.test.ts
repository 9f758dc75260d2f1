// The agent with the real `perf` of this machine, end to end: agent process -> perf child ->
// NodeStates on a real gRPC receiver. This machine has no hardware PMU: perf counts software
// events only, so every PMU feature must arrive absent with EVENT_NOT_SUPPORTED, CPU utilisation
// present (from /proc/stat busy time), the missing events listed in PmuFacts, and perf restarted when killed.
import { execFileSync } from "node:child_process";
import * as grpc from "@grpc/grpc-js";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { AgentServiceClient, type GetCapabilitiesResponse, type GetCurrentStateResponse } from "../gen/overseer/v1/agent_service.js";
import { FeatureState } from "../gen/overseer/v1/features.js";
import { CounterSource } from "../gen/overseer/v1/node_state.js";
import { featureIndex, FEATURE_NAMES } from "../lib/features/catalog.js";
import { spawnAgent, startReceiver, waitUntil, type AgentProcess, type Receiver } from "./agent-helpers.js";

let hasPerf = true;
try {
  execFileSync("perf", ["--version"], { stdio: "ignore" });
} catch {
  hasPerf = false;
}

describe.skipIf(!hasPerf)("agent --source perf on this machine (software events only)", () => {
  let receiver: Receiver;
  let agent: AgentProcess;
  let grpcPort = 0;
  let metricsPort = 0;

  beforeAll(async () => {
    receiver = await startReceiver();
    agent = spawnAgent(["--source", "perf", "--interval", "1s", "--scorer", `127.0.0.1:${receiver.port}`, "--node-name", "perf-test-node", "--listen", "127.0.0.1:0", "--metrics-listen", "127.0.0.1:0"]);
    const running = await agent.waitForLog((l) => l.msg === "agent running", 20_000, "agent start");
    grpcPort = running.grpc as number;
    metricsPort = running.metrics as number;
    await receiver.waitFor((s) => s.length >= 2, 15_000, "two NodeStates");
  }, 60_000);

  afterAll(async () => {
    await agent?.stop("SIGKILL");
    await receiver?.close();
  });

  it("publishes NodeStates whose PMU features are absent as not supported and CPU utilisation present", () => {
    const s = receiver.states.at(-1)!;
    expect(s.nodeName).toBe("perf-test-node");
    expect(s.source).toBe(CounterSource.COUNTER_SOURCE_PERF);
    const fv = s.features!;
    expect(fv.states).toHaveLength(FEATURE_NAMES.length);
    const cpu = featureIndex("cpu_utilization_fraction");
    expect(fv.states[cpu]).toBe(FeatureState.FEATURE_STATE_PRESENT);
    expect(fv.values[cpu]).toBeGreaterThan(0);
    expect(fv.values[cpu]).toBeLessThanOrEqual(1.05);
    for (const name of ["tma_retiring_fraction", "tma_memory_bound_fraction", "llc_misses_per_kilo_instr", "instructions_per_ref_cycle", "mem_read_bytes_per_sec", "dram_bound_stall_fraction"]) {
      expect(fv.states[featureIndex(name)], name).toBe(FeatureState.FEATURE_STATE_ABSENT_EVENT_NOT_SUPPORTED);
      expect(fv.values[featureIndex(name)]).toBe(0);
      expect(fv.absenceDetails[featureIndex(name)]).toMatch(/not supported/);
    }
    // resctrl is not mounted here: a source, not an event, is missing.
    expect(fv.states[featureIndex("llc_occupancy_fraction")]).toBe(FeatureState.FEATURE_STATE_ABSENT_SOURCE_UNAVAILABLE);
  });

  it("lists the missing events in PmuFacts and numbers states in sequence", () => {
    const s = receiver.states.at(-1)!;
    const missing = new Map(s.pmu!.missingEvents.map((m) => [m.event, m]));
    for (const e of ["instructions", "cycles", "ref-cycles", "slots", "UNC_M_CAS_COUNT.RD"]) {
      expect(missing.get(e)?.reason, e).toBe(FeatureState.FEATURE_STATE_ABSENT_EVENT_NOT_SUPPORTED);
    }
    expect(s.pmu!.availableEvents).toContain("cpu-clock");
    expect(s.pmu!.availableEvents).toContain("procfs.cpu_busy_ms");
    expect(s.pmu!.logicalCpus).toBeGreaterThan(0);
    const seqs = receiver.states.map((x) => x.sequence);
    expect(seqs).toEqual([...seqs].sort((a, b) => a - b));
    expect(new Set(seqs).size).toBe(seqs.length);
    expect(agent.logs.some((l) => l.msg === "events this node cannot count: their features are marked absent")).toBe(true);
  });

  it("serves the current state and capabilities over AgentService", async () => {
    const client = new AgentServiceClient(`127.0.0.1:${grpcPort}`, grpc.credentials.createInsecure());
    try {
      const cur = await new Promise<GetCurrentStateResponse>((res, rej) => client.getCurrentState({}, (e, r) => (e ? rej(e) : res(r!))));
      expect(cur.state?.nodeName).toBe("perf-test-node");
      const caps = await new Promise<GetCapabilitiesResponse>((res, rej) => client.getCapabilities({}, (e, r) => (e ? rej(e) : res(r!))));
      expect(caps.source).toBe(CounterSource.COUNTER_SOURCE_PERF);
      expect(caps.derivableFeatures).toContain("cpu_utilization_fraction");
      expect(caps.underivableFeatures.some((u) => u.startsWith("tma_retiring_fraction:"))).toBe(true);
      expect(caps.intervalMs).toBe(1000);
    } finally {
      client.close();
    }
  });

  it("counts missing events and intervals in its metrics", async () => {
    const text = await (await fetch(`http://127.0.0.1:${metricsPort}/metrics`)).text();
    const missing = Number(/^overseer_agent_missing_events (\d+)/m.exec(text)?.[1]);
    expect(missing).toBeGreaterThanOrEqual(20);
    expect(text).toMatch(/overseer_agent_event_missing\{event="instructions",reason="FEATURE_STATE_ABSENT_EVENT_NOT_SUPPORTED"\} 1/);
    expect(Number(/^overseer_agent_intervals_total\{source="perf"\} (\d+)/m.exec(text)?.[1])).toBeGreaterThanOrEqual(2);
  });

  it("restarts the perf child when it is killed and keeps publishing", async () => {
    const started = agent.logs.filter((l) => l.msg === "perf started");
    const pid = started.at(-1)!.pid as number;
    const before = receiver.states.length;
    process.kill(pid, "SIGKILL");
    await agent.waitForLog((l) => l.msg === "perf started" && l.run === 2, 15_000, "perf restart");
    await receiver.waitFor((s) => s.length >= before + 2, 15_000, "states after the restart");
    const text = await (await fetch(`http://127.0.0.1:${metricsPort}/metrics`)).text();
    expect(text).toMatch(/^overseer_agent_perf_restarts_total 1$/m);
    expect(agent.logs.some((l) => l.msg === "perf exited unexpectedly; restarting")).toBe(true);
  });

  it("shuts down cleanly on SIGTERM and flushes the last state", async () => {
    const n = receiver.states.length;
    const code = await agent.stop("SIGTERM");
    expect(code).toBe(0);
    const stopped = agent.logs.find((l) => l.msg === "agent stopped");
    expect(stopped).toBeDefined();
    // The last window (partial, printed by perf on SIGINT) reaches the receiver before exit.
    await waitUntil(() => receiver.states.length > n, 2000, "the flushed last state");
    expect(receiver.states.at(-1)!.sequence).toBe(stopped!.lastSequence);
  });
});
