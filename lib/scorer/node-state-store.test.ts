import { describe, expect, it } from "vitest";
import { NodeState } from "../../gen/overseer/v1/node_state.js";
import { Regime } from "../../gen/overseer/v1/regime.js";
import { FEATURE_COUNT } from "../features/catalog.js";
import { regimeAssessmentOf } from "./compact-regime.js";
import { nodeStateOf, NodeStateStore } from "./node-state-store.js";
import { AGENT_START, nodeState } from "./testing/node-states.js";

const store = () => new NodeStateStore({ maxNodes: 3, now: () => 1_000_000 });
const assess = (regime: Regime) => ({ regime, confidence: 0.9, probabilities: [{ regime, probability: 0.9 }], modelVersion: "v", classifiedAt: new Date() });

describe("NodeStateStore.upsert", () => {
  it.each([
    ["a newer sequence is accepted", [1, 2], ["accepted", "accepted"]],
    ["a duplicate sequence is ignored", [5, 5], ["accepted", "ignored"]],
    ["an older sequence (out of order) is ignored", [5, 4], ["accepted", "ignored"]],
  ])("%s", (_n, seqs, outcomes) => {
    const s = store();
    expect(seqs.map((q) => s.upsert(nodeState("n1", { sequence: q })).outcome)).toEqual(outcomes);
  });

  it("a restarted agent (later agent_started_at) restarts the sequence", () => {
    const s = store();
    s.upsert(nodeState("n1", { sequence: 100 }));
    const later = new Date(AGENT_START.getTime() + 60_000);
    expect(s.upsert(nodeState("n1", { sequence: 1, agentStartedAt: later })).outcome).toBe("accepted");
    expect(s.get("n1")!.sequence).toBe(1);
    // A late message from the previous run is ignored even with a higher sequence.
    expect(s.upsert(nodeState("n1", { sequence: 101 })).outcome).toBe("ignored");
  });

  it.each([
    ["missing state", () => undefined, /state is required/],
    ["empty node name", () => nodeState(""), /node_name is empty/],
    ["no observed_at", () => ({ ...nodeState("n1"), observedAt: undefined }), /observed_at/],
    ["wrong schema version", () => { const st = nodeState("n1"); st.features!.schemaVersion = 9; return st; }, /state\.features\.schema_version/],
    ["NaN in a present feature", () => { const st = nodeState("n1"); st.features!.values[2] = NaN; return st; }, /state\.features\.values\[2\]/],
    ["short feature vector", () => { const st = nodeState("n1"); st.features!.values.pop(); return st; }, /state\.features\.values has/],
  ])("rejects %s", (_n, make, reason) => {
    const r = store().upsert(make() as never);
    expect(r.outcome).toBe("rejected");
    expect(r.reason).toMatch(reason);
  });

  it("rejects new nodes beyond --max-nodes but keeps updating known ones", () => {
    const s = store();
    for (const n of ["a", "b", "c"]) s.upsert(nodeState(n));
    expect(s.upsert(nodeState("d")).outcome).toBe("rejected");
    expect(s.upsert(nodeState("a", { sequence: 2 })).outcome).toBe("accepted");
  });

  it("encodes the model row (absent -> 0 with presence 0) and finds missing critical groups", () => {
    const s = store();
    s.upsert(nodeState("n1", { absent: ["mem_bandwidth_fraction_of_peak", "dram_bound_stall_fraction"] }));
    const rec = s.get("n1")!;
    expect(rec.row.length).toBe(2 * FEATURE_COUNT);
    expect(rec.missingGroups).toEqual(["memory bandwidth pressure"]);
    expect(rec.row[FEATURE_COUNT]).toBe(1);
  });
});

describe("NodeStateStore regime cache", () => {
  it("queues accepted nodes once, keeps the cached regime on a new state and marks it stale", () => {
    const s = store();
    s.upsert(nodeState("n1", { sequence: 1 }));
    s.upsert(nodeState("n1", { sequence: 2 }));
    const batch = s.takePending(10);
    expect(batch.map((b) => [b.rec.name, b.sequence])).toEqual([["n1", 2]]);
    s.setRegime("n1", 2, AGENT_START.getTime(), assess(Regime.REGIME_QUIET));
    expect(s.get("n1")!.regimeStale).toBe(false);
    expect(s.get("n1")!.regimeProbs![Regime.REGIME_QUIET]).toBeCloseTo(0.9);
    s.upsert(nodeState("n1", { sequence: 3 }));
    expect(s.get("n1")!.regime?.regime).toBe(Regime.REGIME_QUIET);
    expect(s.get("n1")!.regimeStale).toBe(true);
  });

  it("a regime classified for a state that was replaced meanwhile stays marked stale", () => {
    const s = store();
    s.upsert(nodeState("n1", { sequence: 1 }));
    const [b] = s.takePending(10);
    s.upsert(nodeState("n1", { sequence: 2 }));
    s.setRegime("n1", b!.sequence, b!.startMs, assess(Regime.REGIME_MIXED));
    expect(s.get("n1")!.regimeStale).toBe(true);
    expect(s.pendingCount).toBe(1);
  });

  it("requeue puts failed nodes back", () => {
    const s = store();
    s.upsert(nodeState("n1"));
    s.takePending(10);
    expect(s.pendingCount).toBe(0);
    s.requeue(["n1", "gone"]);
    expect(s.pendingCount).toBe(1);
  });

  it("claimPending takes one waiting node out of the queue, once; a node not waiting gives undefined", () => {
    const s = store();
    s.upsert(nodeState("n1", { sequence: 4 }));
    s.upsert(nodeState("n2"));
    expect(s.isPending("n1")).toBe(true);
    const c = s.claimPending("n1");
    expect(c && [c.rec.name, c.sequence]).toEqual(["n1", 4]);
    expect(s.isPending("n1")).toBe(false);
    expect(s.claimPending("n1")).toBeUndefined();
    expect(s.claimPending("never-seen")).toBeUndefined();
    expect(s.takePending(10).map((b) => b.rec.name)).toEqual(["n2"]);
  });

  it("an answer for an older state than the cached regime's is dropped (a slow call lost the race)", () => {
    const s = store();
    const start = AGENT_START.getTime();
    s.upsert(nodeState("n1", { sequence: 1 }));
    s.upsert(nodeState("n1", { sequence: 2 }));
    expect(s.setRegime("n1", 2, start, assess(Regime.REGIME_QUIET))).toBe(true);
    expect(s.setRegime("n1", 1, start, assess(Regime.REGIME_MIXED))).toBe(false);
    expect(s.get("n1")!.regime?.regime).toBe(Regime.REGIME_QUIET);
    expect(s.get("n1")!.regimeStale).toBe(false);
    // An answer for the same state again, or a newer agent run, is kept.
    expect(s.setRegime("n1", 2, start, assess(Regime.REGIME_CORE_BOUND))).toBe(true);
    expect(s.get("n1")!.regimeOf).toEqual({ startMs: start, sequence: 2 });
  });

  it("remembers the span that classified the cached regime, across newer states", () => {
    const s = store();
    s.upsert(nodeState("n1", { sequence: 1 }));
    const span = { traceId: "a".repeat(32), spanId: "b".repeat(16), traceFlags: 1 };
    s.setRegime("n1", 1, AGENT_START.getTime(), assess(Regime.REGIME_QUIET), span);
    s.upsert(nodeState("n1", { sequence: 2 }));
    expect(s.get("n1")!.regimeSpan).toEqual(span);
  });
});

describe("NodeStateStore: pending nodes never classified", () => {
  it("counts pending nodes without any cached regime through upsert, claim, take, requeue, setRegime and delete", () => {
    const s = new NodeStateStore({ maxNodes: 10 });
    const start = AGENT_START.getTime();
    s.upsert(nodeState("a"));
    s.upsert(nodeState("b"));
    expect([s.pendingCount, s.pendingUnclassifiedCount]).toEqual([2, 2]);
    const a = s.claimPending("a")!;
    expect([s.pendingCount, s.pendingUnclassifiedCount]).toEqual([1, 1]);
    s.requeue(["a"]); // classification failed: waiting again, still never classified
    expect(s.pendingUnclassifiedCount).toBe(2);
    s.claimPending("a");
    s.setRegime("a", a.sequence, a.startMs, assess(Regime.REGIME_QUIET));
    expect([s.pendingCount, s.pendingUnclassifiedCount]).toEqual([1, 1]);
    // A new state of a classified node waits again, but it has a (stale) regime.
    s.upsert(nodeState("a", { sequence: 2 }));
    expect([s.pendingCount, s.pendingUnclassifiedCount]).toEqual([2, 1]);
    s.requeue(["a"]);
    expect(s.pendingUnclassifiedCount).toBe(1);
    // A regime for a state that was replaced meanwhile still gives the node a regime.
    const [b] = s.takePending(1).filter((e) => e.rec.name === "b");
    expect(s.pendingUnclassifiedCount).toBe(0);
    s.requeue(["b"]);
    s.upsert(nodeState("b", { sequence: 2 }));
    s.setRegime("b", b?.sequence ?? 1, start, assess(Regime.REGIME_MIXED));
    expect(s.isPending("b")).toBe(true);
    expect(s.pendingUnclassifiedCount).toBe(0);
    s.upsert(nodeState("c"));
    expect(s.pendingUnclassifiedCount).toBe(1);
    s.delete("c");
    expect([s.pendingCount, s.pendingUnclassifiedCount]).toEqual([2, 0]);
  });
});

describe("NodeStateStore slab rows", () => {
  it("moves the slot's version when the row or the regime probabilities are written", () => {
    const s = store();
    s.upsert(nodeState("n1", { sequence: 1 }));
    const slot = s.get("n1")!.slot;
    const v0 = s.slab.version(slot);
    s.upsert(nodeState("n1", { sequence: 2 }));
    const v1 = s.slab.version(slot);
    expect(v1).toBeGreaterThan(v0);
    s.upsert(nodeState("n1", { sequence: 2 })); // ignored: nothing written
    expect(s.slab.version(slot)).toBe(v1);
    s.setRegime("n1", 2, AGENT_START.getTime(), assess(Regime.REGIME_QUIET));
    expect(s.slab.version(slot)).toBeGreaterThan(v1);
  });

  it("keeps a node's slot across states and writes the new state's row in place", () => {
    const s = store();
    s.upsert(nodeState("n1", { sequence: 1 }));
    const first = s.get("n1")!;
    s.upsert(nodeState("n1", { sequence: 2, features: { mem_bandwidth_fraction_of_peak: 0.77 } }));
    const second = s.get("n1")!;
    expect(second.slot).toBe(first.slot);
    expect(second.row).toBe(first.row);
    const chunk = s.slab.chunk(second.slot);
    const off = s.slab.offset(second.slot);
    expect([...chunk.subarray(off, off + 2 * FEATURE_COUNT)]).toEqual([...second.row]);
  });

  it("stores the regime probabilities in the slot after the row", () => {
    const s = store();
    s.upsert(nodeState("n1", { sequence: 1 }));
    s.setRegime("n1", 1, AGENT_START.getTime(), assess(Regime.REGIME_QUIET));
    const rec = s.get("n1")!;
    expect(rec.regimeProbs).toBe(rec.probsSlot);
    expect(s.slab.chunk(rec.slot)[s.slab.offset(rec.slot) + 2 * FEATURE_COUNT + Regime.REGIME_QUIET]).toBeCloseTo(0.9);
  });

  it("gives a deleted node's slot to the next new node, zeroed, without the old regime", () => {
    const s = store();
    s.upsert(nodeState("n1", { sequence: 1 }));
    s.setRegime("n1", 1, AGENT_START.getTime(), assess(Regime.REGIME_QUIET));
    const slot = s.get("n1")!.slot;
    expect(s.delete("n1")).toBe(true);
    expect(s.delete("n1")).toBe(false);
    s.upsert(nodeState("n2", { sequence: 1 }));
    const n2 = s.get("n2")!;
    expect(n2.slot).toBe(slot);
    expect(n2.regimeProbs).toBeUndefined();
    expect([...n2.probsSlot]).toEqual(new Array(8).fill(0));
    expect(n2.row[FEATURE_COUNT]).toBe(1);
  });
});

describe("NodeStateStore: per-slot facts for planning", () => {
  it("mirror each slot's record through new states, regimes (fresh, stale, unspecified), absent groups, deletion and growth", () => {
    const s = new NodeStateStore({ maxNodes: 5000 });
    const start = AGENT_START.getTime();
    const check = (name: string) => {
      const r = s.get(name)!;
      const f = s.facts.flags[r.slot]!;
      expect({ observed: s.facts.observedAtMs[r.slot], regime: s.facts.regime[r.slot], hasRegime: (f & 1) !== 0, stale: (f & 2) !== 0, probs: (f & 4) !== 0, missing: (f & 8) !== 0 }).toEqual({
        observed: r.observedAtMs,
        regime: r.regime?.regime ?? 0,
        hasRegime: r.regime !== undefined,
        stale: r.regimeStale,
        probs: r.regimeProbs !== undefined,
        missing: r.missingGroups.length > 0,
      });
      expect(s.recordAt(r.slot)).toBe(r);
    };
    s.upsert(nodeState("a", { observedAt: new Date(1_000) }));
    check("a");
    s.setRegime("a", 1, start, assess(Regime.REGIME_MIXED));
    check("a");
    s.upsert(nodeState("a", { sequence: 2, observedAt: new Date(2_000), absent: ["mem_bandwidth_fraction_of_peak", "dram_bound_stall_fraction"] }));
    check("a"); // stale regime, missing groups
    s.setRegime("a", 2, start, assess(Regime.REGIME_UNSPECIFIED));
    check("a"); // a regime without probabilities
    const slot = s.get("a")!.slot;
    s.delete("a");
    expect([s.facts.flags[slot], s.facts.observedAtMs[slot], s.recordAt(slot)]).toEqual([0, 0, undefined]);
    for (let i = 0; i < 3000; i++) s.upsert(nodeState(`n${i}`, { observedAt: new Date(i) })); // past the first 1,024 slots
    check("n2999");
    check("n0");
  });
});

describe("what a record keeps of its state", () => {
  const withResidents = () => {
    const st = nodeState("n1", { sequence: 7, features: { cpu_utilization_fraction: 0.3, mem_bandwidth_fraction_of_peak: 0.123456789 }, absent: ["dram_bound_stall_fraction"] });
    st.residents = [{ podUid: "u-1", podNamespace: "ns", podName: "p", workloadClass: "upf", isCnf: true, placedAt: new Date(AGENT_START.getTime() + 5_000) }];
    return st;
  };

  it("nodeStateOf gives back the accepted state, field for field; the record holds bytes, not the decoded object", () => {
    const s = store();
    const st = withResidents();
    s.upsert(st);
    const rec = s.get("n1")!;
    expect(rec).not.toHaveProperty("state");
    expect(rec.stateBytes).toBeInstanceOf(Uint8Array);
    expect(nodeStateOf(rec)).toEqual(NodeState.fromPartial(st));
    expect(rec.capacity).toEqual({
      peakMemoryBandwidthBytesPerSec: st.pmu!.peakMemoryBandwidthBytesPerSec,
      logicalCpus: st.pmu!.logicalCpus,
      llcBytes: st.pmu!.llcBytes,
    });
  });

  it("a state without PMU facts charges with zero capacity", () => {
    const s = store();
    const st = nodeState("n1");
    st.pmu = undefined;
    s.upsert(st);
    expect(s.get("n1")!.capacity).toEqual({ peakMemoryBandwidthBytesPerSec: 0, logicalCpus: 0, llcBytes: 0 });
  });
});

describe("what a record keeps of its regime", () => {
  const batchTime = new Date(AGENT_START.getTime() + 1_000);
  const assessment = (probabilities: { regime: Regime; probability: number }[]) => ({
    regime: probabilities[0]!.regime,
    confidence: probabilities[0]!.probability,
    probabilities,
    modelVersion: `v-${"x".repeat(3)}`,
    classifiedAt: new Date(batchTime.getTime()),
  });
  // Float32-exact probabilities, in an order that is not the enum's, as regime-svc lists the manifest's regimes.
  const listed = [
    { regime: Regime.REGIME_MEMORY_BANDWIDTH_SATURATED, probability: 0.625 },
    { regime: Regime.REGIME_QUIET, probability: 0.25 },
    { regime: Regime.REGIME_MIXED, probability: 0.125 },
  ];

  it("keeps the probabilities in the slot and rebuilds the assessment as it came, in its order", () => {
    const s = store();
    s.upsert(nodeState("n1"));
    s.setRegime("n1", 1, AGENT_START.getTime(), assessment(listed));
    const rec = s.get("n1")!;
    expect(rec.regime).not.toHaveProperty("probabilities");
    expect(rec.regimeListed).toBeUndefined();
    expect(regimeAssessmentOf(rec)).toEqual(assessment(listed));
  });

  it("nodes classified in one batch share the model version, the time and the order", () => {
    const s = store();
    for (const n of ["a", "b"]) {
      s.upsert(nodeState(n));
      s.setRegime(n, 1, AGENT_START.getTime(), assessment(listed));
    }
    const [a, b] = [s.get("a")!, s.get("b")!];
    expect(a.regime!.classifiedAt).toBe(b.regime!.classifiedAt);
    expect(a.regime!.modelVersion).toBe(b.regime!.modelVersion);
    expect(a.regimeOrder).toBe(b.regimeOrder);
  });

  it.each([
    ["a regime outside the slot", [{ regime: 99 as Regime, probability: 0.5 }, { regime: Regime.REGIME_QUIET, probability: 0.5 }]],
    ["a regime listed twice", [{ regime: Regime.REGIME_QUIET, probability: 0.5 }, { regime: Regime.REGIME_QUIET, probability: 0.5 }]],
  ])("an assessment the slot cannot hold exactly (%s) is kept as it came", (_n, probabilities) => {
    const s = store();
    s.upsert(nodeState("n1"));
    const a = assessment(probabilities);
    s.setRegime("n1", 1, AGENT_START.getTime(), a);
    expect(s.get("n1")!.regimeOrder).toBeUndefined();
    expect(regimeAssessmentOf(s.get("n1")!)).toEqual(a);
  });
});
