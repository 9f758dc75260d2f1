import { describe, expect, it } from "vitest";
import { Regime } from "../../gen/overseer/v1/regime.js";
import type { ClassifyResponse } from "../../gen/overseer/v1/regime_service.js";
import { NodeStateStore } from "./node-state-store.js";
import { RegimeBatcher } from "./regime-batcher.js";
import { nodeState } from "./testing/node-states.js";

const answer = (vs: readonly Float32Array[]): ClassifyResponse => ({
  assessments: vs.map(() => ({ regime: Regime.REGIME_QUIET, confidence: 0.8, probabilities: [{ regime: Regime.REGIME_QUIET, probability: 0.8 }], modelVersion: "v", classifiedAt: new Date() })),
  modelVersion: "v",
});

describe("RegimeBatcher", () => {
  it("sends at most maxBatch vectors per call and classifies each node's newest state once", async () => {
    const store = new NodeStateStore({ maxNodes: 100 });
    const sizes: number[] = [];
    const b = new RegimeBatcher({ store, flushIntervalMs: 1_000_000, maxBatch: 3, classify: async (vs) => (sizes.push(vs.length), answer(vs)) });
    for (let seq = 1; seq <= 3; seq++) for (const n of ["a", "b", "c", "d"]) store.upsert(nodeState(n, { sequence: seq }));
    await b.flush();
    await b.flush();
    expect(sizes).toEqual([3, 1]);
    expect([...store.values()].every((r) => r.regime?.regime === Regime.REGIME_QUIET && !r.regimeStale)).toBe(true);
    await b.stop();
  });

  it("flushNow classifies the queue at once, but not while a batch is in flight or failures are backed off", async () => {
    const store = new NodeStateStore({ maxNodes: 100 });
    let calls = 0;
    let fail = false;
    let release: () => void = () => undefined;
    const b = new RegimeBatcher({
      store,
      flushIntervalMs: 1_000_000,
      maxBatch: 100,
      classify: (vs) => {
        calls++;
        if (fail) return Promise.reject(new Error("regime-svc down"));
        return new Promise((resolve) => (release = () => resolve(answer(vs))));
      },
    });
    store.upsert(nodeState("a"));
    b.notify(); // its timer is 1,000 s away
    b.flushNow();
    expect(calls).toBe(1);
    store.upsert(nodeState("b"));
    b.flushNow(); // a batch is in flight
    expect(calls).toBe(1);
    release();
    await new Promise((r) => setImmediate(r));
    expect(store.get("a")!.regime).toBeDefined();
    fail = true;
    b.flushNow(); // "b" now: fails, backs off
    await new Promise((r) => setImmediate(r));
    expect(calls).toBe(2);
    b.flushNow(); // backing off: the scheduled retry stands
    expect(calls).toBe(2);
    expect(store.isPending("b")).toBe(true);
    await b.stop();
  });

  it("flushes at once when maxBatch nodes wait, without waiting for the interval", async () => {
    const store = new NodeStateStore({ maxNodes: 100 });
    let calls = 0;
    const b = new RegimeBatcher({ store, flushIntervalMs: 1_000_000, maxBatch: 2, classify: async (vs) => (calls++, answer(vs)) });
    store.upsert(nodeState("a"));
    b.notify();
    expect(calls).toBe(0);
    store.upsert(nodeState("b"));
    b.notify();
    await new Promise((r) => setImmediate(r));
    expect(calls).toBe(1);
    await b.stop();
  });

  it("on failure requeues the nodes, keeps cached regimes (marked stale) and reports it", async () => {
    const store = new NodeStateStore({ maxNodes: 100 });
    let fail = false;
    const results: boolean[] = [];
    const b = new RegimeBatcher({ store, flushIntervalMs: 1_000_000, maxBatch: 10, classify: async (vs) => { if (fail) throw new Error("UNAVAILABLE"); return answer(vs); }, onResult: (ok) => results.push(ok) });
    store.upsert(nodeState("a", { sequence: 1 }));
    await b.flush();
    fail = true;
    store.upsert(nodeState("a", { sequence: 2 }));
    await b.flush();
    expect(results).toEqual([true, false]);
    expect(store.pendingCount).toBe(1);
    expect(store.get("a")!.regime?.regime).toBe(Regime.REGIME_QUIET);
    expect(store.get("a")!.regimeStale).toBe(true);
    fail = false;
    await b.flush();
    expect(store.get("a")!.regimeStale).toBe(false);
    await b.stop();
  });

  it("treats an answer of the wrong length as a failure", async () => {
    const store = new NodeStateStore({ maxNodes: 100 });
    const results: (string | undefined)[] = [];
    const b = new RegimeBatcher({ store, flushIntervalMs: 1_000_000, maxBatch: 10, classify: async () => answer([]), onResult: (_ok, e) => results.push(e) });
    store.upsert(nodeState("a"));
    await b.flush();
    expect(results[0]).toMatch(/answered 0 assessments for 1 vectors/);
    await b.stop();
  });
});
