import { context, INVALID_SPAN_CONTEXT, trace, type SpanContext } from "@opentelemetry/api";
import { AsyncLocalStorageContextManager } from "@opentelemetry/context-async-hooks";
import { BasicTracerProvider, InMemorySpanExporter, SimpleSpanProcessor } from "@opentelemetry/sdk-trace-base";
import { afterAll, beforeAll, beforeEach, describe, expect, it } from "vitest";
import { Regime } from "../../gen/overseer/v1/regime.js";
import type { ClassifyResponse } from "../../gen/overseer/v1/regime_service.js";
import { createDecisionClassifier, type DecisionClassifierOptions } from "./decision-classify.js";
import { NodeStateStore } from "./node-state-store.js";
import { featureIndex } from "../features/catalog.js";
import { AGENT_START, nodeState as plainNodeState, type NodeStateOptions } from "./testing/node-states.js";

// Each node's states carry their own cpu_utilization_fraction (a multiple of 1/256, exact in the
// float32 model row), so a row sent to Classify tells which node it belongs to.
const tags = new Map<string, number>();
const tagOf = (n: string): number => {
  if (!tags.has(n)) tags.set(n, (tags.size + 1) / 256);
  return tags.get(n)!;
};
const CPU = featureIndex("cpu_utilization_fraction");
const nodeState = (n: string, o: NodeStateOptions = {}) => plainNodeState(n, { ...o, features: { ...o.features, cpu_utilization_fraction: tagOf(n) } });

const NOW = Date.now();
const answer = (vs: readonly Float32Array[], regime = Regime.REGIME_QUIET): ClassifyResponse => ({
  assessments: vs.map(() => ({ regime, confidence: 0.8, probabilities: [{ regime, probability: 0.8 }], modelVersion: "v", classifiedAt: new Date() })),
  modelVersion: "v",
});
const assess = (regime: Regime) => answer([new Float32Array(0)], regime).assessments[0]!;

interface Harness {
  store: NodeStateStore;
  calls: string[][];
  outcomes: string[];
  requeued: number;
  clock: { ms: number };
  dc: ReturnType<typeof createDecisionClassifier>;
}

/** Store with the named nodes ingested (observed now, complete features) and pending. */
function harness(nodes: string[], o: Partial<DecisionClassifierOptions> & { respond?: (vs: readonly Float32Array[]) => Promise<ClassifyResponse> } = {}): Harness {
  const clock = { ms: NOW };
  const store = new NodeStateStore({ maxNodes: 100, now: () => clock.ms });
  for (const n of nodes) store.upsert(nodeState(n, { observedAt: new Date(NOW) }));
  const h: Harness = { store, calls: [], outcomes: [], requeued: 0, clock, dc: undefined as never };
  // Which node a vector belongs to (states ingested later included).
  const nameOf = (row: Float32Array) => [...tags].find(([, t]) => t === row[CPU])?.[0] ?? "?";
  h.dc = createDecisionClassifier({
    store,
    classify: (vs) => {
      h.calls.push(vs.map(nameOf));
      return o.respond ? o.respond(vs) : Promise.resolve(answer(vs));
    },
    timeoutMs: 50,
    maxNodes: 256,
    freshnessMs: () => 10_000,
    now: () => clock.ms,
    onOutcome: (outcome) => h.outcomes.push(outcome),
    onRequeued: () => h.requeued++,
    ...o,
  });
  return h;
}

describe("decision-time classification", () => {
  it("pending candidates: one Classify call in request order, regimes cached fresh, queue emptied", async () => {
    const h = harness(["a", "b", "c"]);
    const r = await h.dc.classifyCandidates(["c", "a", "unknown-node"]);
    expect(h.calls).toEqual([["c", "a"]]);
    expect(r).toEqual({ outcome: "ok", classified: 2, cached: 0, pendingLeft: 0 });
    for (const n of ["a", "c"]) expect(h.store.get(n)).toMatchObject({ regimeStale: false, regime: { regime: Regime.REGIME_QUIET } });
    expect(h.store.isPending("b")).toBe(true); // not a candidate: left to the background batcher
  });

  it("nothing pending: no call, the cached regimes are counted", async () => {
    const h = harness(["a", "b"]);
    for (const e of h.store.takePending(10)) h.store.setRegime(e.rec.name, e.sequence, e.startMs, assess(Regime.REGIME_MIXED));
    const r = await h.dc.classifyCandidates(["a", "b"]);
    expect(h.calls).toEqual([]);
    expect(r).toEqual({ outcome: "none", classified: 0, cached: 2, pendingLeft: 0 });
  });

  it("cap: at most maxNodes are taken, the rest stay pending", async () => {
    const h = harness(["a", "b", "c"], { maxNodes: 2 });
    const r = await h.dc.classifyCandidates(["a", "b", "c"]);
    expect(h.calls).toEqual([["a", "b"]]);
    expect(r.pendingLeft).toBe(1);
    expect(h.store.isPending("c")).toBe(true);
  });

  it("stale state and absent critical features: scored worst case anyway, left queued, no call", async () => {
    const h = harness([]);
    h.store.upsert(nodeState("old", { observedAt: new Date(NOW - 60_000) }));
    h.store.upsert(nodeState("blind", { observedAt: new Date(NOW), absent: ["mem_bandwidth_fraction_of_peak", "dram_bound_stall_fraction"] }));
    const r = await h.dc.classifyCandidates(["old", "blind"]);
    expect(h.calls).toEqual([]);
    expect(r).toMatchObject({ outcome: "none", pendingLeft: 2 });
  });

  it("duplicate candidate names: classified once", async () => {
    const h = harness(["a"]);
    const r = await h.dc.classifyCandidates(["a", "a", "a"]);
    expect(h.calls).toEqual([["a"]]);
    expect(r.classified).toBe(1);
  });

  it.each([
    ["enabled", 256, "none"],
    ["disabled", 0, "disabled"],
  ])("nothing pending (%s): the outcome is still reported, cached counted per candidate (duplicates and unknown nodes as before)", async (_n, maxNodes, outcome) => {
    const h = harness(["a", "b", "never"], { maxNodes });
    for (const e of h.store.takePending(10)) if (e.rec.name !== "never") h.store.setRegime(e.rec.name, e.sequence, e.startMs, assess(Regime.REGIME_MIXED));
    expect(h.store.pendingCount).toBe(0);
    const r = await h.dc.classifyCandidates(["a", "b", "a", "never", "unknown-node"]);
    expect(h.calls).toEqual([]);
    expect(r).toEqual({ outcome, classified: 0, cached: 3, pendingLeft: 0 });
    expect(h.outcomes).toEqual([outcome]);
  });

  it("disabled (max 0): no call, every pending node left to the batcher", async () => {
    const h = harness(["a"], { maxNodes: 0 });
    const r = await h.dc.classifyCandidates(["a"]);
    expect(h.calls).toEqual([]);
    expect(r).toMatchObject({ outcome: "disabled", pendingLeft: 1 });
  });

  it("timeout: nodes back in the queue, the cached regime kept (stale), never-classified left without one; the request is answered", async () => {
    const h = harness(["cached", "never"], { respond: () => new Promise(() => undefined) });
    const [c] = h.store.takePending(1);
    h.store.setRegime("cached", c!.sequence, c!.startMs, assess(Regime.REGIME_CORE_BOUND));
    h.store.upsert(nodeState("cached", { sequence: 2, observedAt: new Date(NOW) }));
    const r = await h.dc.classifyCandidates(["cached", "never"]);
    expect(r).toEqual({ outcome: "timeout", classified: 0, cached: 1, pendingLeft: 2 });
    expect(h.store.isPending("cached") && h.store.isPending("never")).toBe(true);
    expect(h.store.get("cached")).toMatchObject({ regimeStale: true, regime: { regime: Regime.REGIME_CORE_BOUND } });
    expect(h.store.get("never")!.regime).toBeUndefined();
    expect(h.requeued).toBe(1);
  });

  it("regime-svc's own DEADLINE_EXCEEDED (the gRPC deadline fired first) counts as a timeout", async () => {
    const h = harness(["a"], { respond: () => Promise.reject(Object.assign(new Error("regime-svc Classify: Deadline exceeded"), { code: 4 })) });
    expect((await h.dc.classifyCandidates(["a"])).outcome).toBe("timeout");
  });

  it("error, then cool-down: the next decisions skip regime-svc until the pause ends, then classify again", async () => {
    let fail = true;
    const h = harness(["a"], { respond: (vs) => (fail ? Promise.reject(new Error("regime-svc Classify: connection refused")) : Promise.resolve(answer(vs))) });
    expect((await h.dc.classifyCandidates(["a"])).outcome).toBe("error");
    fail = false;
    expect((await h.dc.classifyCandidates(["a"])).outcome).toBe("cooldown");
    expect(h.calls).toHaveLength(1);
    h.clock.ms += 1000;
    expect(await h.dc.classifyCandidates(["a"])).toMatchObject({ outcome: "ok", classified: 1 });
    expect(h.outcomes).toEqual(["error", "cooldown", "ok"]);
  });

  it("repeated failures double the cool-down (1 s, then 2 s)", async () => {
    const h = harness(["a"], { respond: () => Promise.reject(new Error("down")) });
    await h.dc.classifyCandidates(["a"]);
    h.clock.ms += 1000;
    expect((await h.dc.classifyCandidates(["a"])).outcome).toBe("error");
    h.clock.ms += 1000;
    expect((await h.dc.classifyCandidates(["a"])).outcome).toBe("cooldown");
    h.clock.ms += 1000;
    expect((await h.dc.classifyCandidates(["a"])).outcome).toBe("error");
  });

  it("an answer with the wrong number of assessments is an error (nodes requeued)", async () => {
    const h = harness(["a", "b"], { respond: (vs) => Promise.resolve(answer(vs.slice(1))) });
    const r = await h.dc.classifyCandidates(["a", "b"]);
    expect(r.outcome).toBe("error");
    expect(h.store.pendingCount).toBe(2);
  });

  it("interval: a decision within --decision-classify-interval of the previous one scores cached regimes (stale), leaves them queued and asks for a background flush", async () => {
    let flushes = 0;
    const h = harness(["a", "b"], { minIntervalMs: 100, requestFlush: () => flushes++ });
    expect((await h.dc.classifyCandidates(["a", "b"])).outcome).toBe("ok");
    // Both publish a newer state: pending again, their regime now belongs to the older state.
    for (const n of ["a", "b"]) h.store.upsert(nodeState(n, { sequence: 2, observedAt: new Date(NOW) }));
    h.clock.ms += 99;
    const r = await h.dc.classifyCandidates(["a", "b"]);
    expect(r).toEqual({ outcome: "throttled", classified: 0, cached: 2, pendingLeft: 2 });
    expect(h.calls).toEqual([["a", "b"]]);
    expect(flushes).toBe(1);
    expect(h.store.isPending("a") && h.store.isPending("b")).toBe(true);
    expect(h.store.get("a")).toMatchObject({ regimeStale: true, regime: { regime: Regime.REGIME_QUIET } });
    // Decisions keep coming within the interval of each other: no inline call, at most one flush request per interval.
    for (let i = 0; i < 4; i++) {
      h.clock.ms += 60;
      expect((await h.dc.classifyCandidates(["a", "b"])).outcome).toBe("throttled");
    }
    expect(flushes).toBe(3); // at +99, +219, +339 (60 ms apart, so every second one is 100 ms after the last request)
    expect(h.calls).toHaveLength(1);
    // A decision after a pause of an interval classifies its candidates itself.
    h.clock.ms += 100;
    expect(await h.dc.classifyCandidates(["b", "a"])).toEqual({ outcome: "ok", classified: 2, cached: 0, pendingLeft: 0 });
    expect(h.calls).toEqual([["a", "b"], ["b", "a"]]);
    expect(h.outcomes).toEqual(["ok", "throttled", "throttled", "throttled", "throttled", "throttled", "ok"]);
    expect(h.store.get("a")).toMatchObject({ regimeStale: false });
    expect(flushes).toBe(3);
  });

  it("interval: a never-classified candidate is classified inline even within the interval, the pending ones ride along", async () => {
    const h = harness(["a", "b"], { minIntervalMs: 100 });
    await h.dc.classifyCandidates(["a", "b"]);
    for (const n of ["a", "b"]) h.store.upsert(nodeState(n, { sequence: 2, observedAt: new Date(NOW) }));
    h.store.upsert(nodeState("new", { observedAt: new Date(NOW) }));
    h.clock.ms += 10;
    const r = await h.dc.classifyCandidates(["a", "new", "b"]);
    expect(h.calls).toEqual([["a", "b"], ["new", "a", "b"]]);
    expect(r).toEqual({ outcome: "ok", classified: 3, cached: 0, pendingLeft: 0 });
    expect(h.store.get("new")).toMatchObject({ regimeStale: false, regime: { regime: Regime.REGIME_QUIET } });
  });

  it("interval: the riders respect the cap; the ones left over stay queued with their cached regime", async () => {
    const h = harness(["a", "b"], { minIntervalMs: 100, maxNodes: 2 });
    await h.dc.classifyCandidates(["a", "b"]);
    for (const n of ["a", "b"]) h.store.upsert(nodeState(n, { sequence: 2, observedAt: new Date(NOW) }));
    h.store.upsert(nodeState("new", { observedAt: new Date(NOW) }));
    const r = await h.dc.classifyCandidates(["a", "b", "new"]);
    expect(h.calls[1]).toEqual(["new", "a"]);
    expect(r).toEqual({ outcome: "ok", classified: 2, cached: 1, pendingLeft: 1 });
    expect(h.store.isPending("b")).toBe(true);
  });

  it("interval: inside it, with no never-classified node waiting anywhere, the candidates are not looked at (counts on read)", async () => {
    const h = harness(["a", "b", "other"], { minIntervalMs: 100 });
    await h.dc.classifyCandidates(["a", "b", "other"]);
    h.store.upsert(nodeState("other", { sequence: 2, observedAt: new Date(NOW) })); // pending, not a candidate
    h.clock.ms += 1;
    const r = await h.dc.classifyCandidates(["a", "b"]);
    expect(r.outcome).toBe("throttled");
    expect([r.classified, r.cached, r.pendingLeft]).toEqual([0, 2, 0]);
    h.store.upsert(nodeState("a", { sequence: 2, observedAt: new Date(NOW) }));
    expect((await h.dc.classifyCandidates(["a", "b"])).pendingLeft).toBe(1);
    expect(h.calls).toHaveLength(1);
  });

  it("interval 0 (and absent): every decision with pending candidates classifies", async () => {
    for (const minIntervalMs of [0, undefined]) {
      const h = harness(["a"], minIntervalMs === undefined ? {} : { minIntervalMs });
      await h.dc.classifyCandidates(["a"]);
      h.store.upsert(nodeState("a", { sequence: 2, observedAt: new Date(NOW) }));
      expect((await h.dc.classifyCandidates(["a"])).outcome).toBe("ok");
      expect(h.calls).toEqual([["a"], ["a"]]);
    }
  });

  it("a newer state arriving during the call: the answer is cached as stale and the node stays pending", async () => {
    let release!: () => void;
    const h = harness(["a"], { respond: (vs) => new Promise((res) => (release = () => res(answer(vs)))) });
    const p = h.dc.classifyCandidates(["a"]);
    h.store.upsert(nodeState("a", { sequence: 2, observedAt: new Date(NOW) }));
    release();
    expect((await p).outcome).toBe("ok");
    expect(h.store.get("a")!.regimeStale).toBe(true);
    expect(h.store.isPending("a")).toBe(true);
  });
});

describe("decision-time classification: spans", () => {
  const exporter = new InMemorySpanExporter();
  const tracer = () => trace.getTracer("test");
  beforeAll(() => {
    trace.setGlobalTracerProvider(new BasicTracerProvider({ spanProcessors: [new SimpleSpanProcessor(exporter)] }));
    context.setGlobalContextManager(new AsyncLocalStorageContextManager().enable());
  });
  afterAll(() => {
    trace.disable();
    context.disable();
  });
  beforeEach(() => exporter.reset());

  it("the Classify call runs inside the decision span (child span), which gets the counts", async () => {
    let activeAtCall: SpanContext | undefined;
    const h = harness(["a", "b"], { respond: (vs) => ((activeAtCall = trace.getActiveSpan()?.spanContext()), Promise.resolve(answer(vs))) });
    await tracer().startActiveSpan("decision", async (span) => {
      await h.dc.classifyCandidates(["a", "b"]);
      span.end();
    });
    const spans = exporter.getFinishedSpans();
    const decision = spans.find((s) => s.name === "decision")!;
    const inline = spans.find((s) => s.name === "overseer.scorer.classify_inline")!;
    expect(inline.parentSpanContext?.spanId).toBe(decision.spanContext().spanId);
    expect(activeAtCall?.spanId).toBe(inline.spanContext().spanId);
    expect(inline.attributes["overseer.batch_size"]).toBe(2);
    expect(decision.attributes).toMatchObject({ "overseer.regime.classified_inline": 2, "overseer.regime.cached": 0, "overseer.regime.inline_failed": false, "overseer.regime.inline_outcome": "ok" });
    // The cached regimes remember the span that classified them.
    expect(h.store.get("a")!.regimeSpan?.spanId).toBe(inline.spanContext().spanId);
  });

  it("a failed inline call marks the decision span and the inline span's status", async () => {
    const h = harness(["a"], { respond: () => Promise.reject(new Error("boom")) });
    await tracer().startActiveSpan("decision", async (span) => {
      await h.dc.classifyCandidates(["a"]);
      span.end();
    });
    const spans = exporter.getFinishedSpans();
    expect(spans.find((s) => s.name === "decision")!.attributes["overseer.regime.inline_failed"]).toBe(true);
    expect(spans.find((s) => s.name === "overseer.scorer.classify_inline")!.status.message).toBe("boom");
  });

  it("nothing pending: the decision span links to the spans that classified its cached regimes (deduplicated)", async () => {
    const h = harness(["a", "b", "c"]);
    const batch = { traceId: "1".repeat(32), spanId: "2".repeat(16), traceFlags: 1 };
    const other = { traceId: "3".repeat(32), spanId: "4".repeat(16), traceFlags: 1 };
    const start = AGENT_START.getTime();
    h.store.takePending(10);
    h.store.setRegime("a", 1, start, assess(Regime.REGIME_QUIET), batch);
    h.store.setRegime("b", 1, start, assess(Regime.REGIME_QUIET), batch);
    h.store.setRegime("c", 1, start, assess(Regime.REGIME_QUIET), other);
    await tracer().startActiveSpan("decision", async (span) => {
      await h.dc.classifyCandidates(["a", "b", "c"]);
      span.end();
    });
    const decision = exporter.getFinishedSpans().find((s) => s.name === "decision")!;
    expect(decision.links.map((l) => l.context.spanId).sort()).toEqual([batch.spanId, other.spanId].sort());
    expect(decision.attributes).toMatchObject({ "overseer.regime.classified_inline": 0, "overseer.regime.cached": 3, "overseer.regime.inline_outcome": "none" });
  });

  it("no link to a regime classified while tracing was off (invalid span context)", async () => {
    const h = harness(["a"]);
    h.store.takePending(10);
    h.store.setRegime("a", 1, AGENT_START.getTime(), assess(Regime.REGIME_QUIET), INVALID_SPAN_CONTEXT);
    await tracer().startActiveSpan("decision", async (span) => {
      await h.dc.classifyCandidates(["a"]);
      span.end();
    });
    expect(exporter.getFinishedSpans().find((s) => s.name === "decision")!.links).toEqual([]);
  });
});
