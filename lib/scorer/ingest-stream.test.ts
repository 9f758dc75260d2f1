import { describe, expect, it } from "vitest";
import type { NodeState } from "../../gen/overseer/v1/node_state.js";
import { applyIngestRequest, type IngestCounts } from "./ingest-stream.js";
import { NodeStateStore } from "./node-state-store.js";
import { AGENT_START, nodeState } from "./testing/node-states.js";

const zero = (): IngestCounts => ({ accepted: 0, ignored: 0, rejected: 0 });
const apply = (store: NodeStateStore, req: { state?: NodeState; states?: NodeState[] }) => {
  const counts = zero();
  const firstReject = applyIngestRequest(store, { state: req.state, states: req.states ?? [] }, 1000, counts);
  return { counts, firstReject };
};
const withNaN = (name: string) => {
  const s = nodeState(name);
  s.features!.values[3] = NaN;
  return s;
};

describe("applyIngestRequest", () => {
  it("mixed valid and invalid states in one message: the valid ones are kept, the invalid ones rejected and counted", () => {
    const store = new NodeStateStore({ maxNodes: 100 });
    const r = apply(store, { states: [nodeState("a"), withNaN("bad-nan"), nodeState(""), nodeState("b"), { ...nodeState("no-time"), observedAt: undefined }] });
    expect(r.counts).toEqual({ accepted: 2, ignored: 0, rejected: 3 });
    expect([...store.values()].map((n) => n.name).sort()).toEqual(["a", "b"]);
    expect(r.firstReject).toEqual({ node: "bad-nan", reason: expect.stringContaining("must be finite") });
  });

  it("duplicate and out-of-order sequences inside one batch are ignored against the earlier states of the same batch", () => {
    const store = new NodeStateStore({ maxNodes: 100 });
    const seq = (n: number, node = "n") => nodeState(node, { sequence: n });
    const r = apply(store, { states: [seq(5), seq(5), seq(4), seq(7), seq(6), seq(1, "other"), seq(8)] });
    expect(r.counts).toEqual({ accepted: 4, ignored: 3, rejected: 0 });
    expect(store.get("n")!.sequence).toBe(8);
    expect(r.firstReject).toBeUndefined();
  });

  it("an agent restart inside a batch (newer agent_started_at) restarts the sequence", () => {
    const store = new NodeStateStore({ maxNodes: 100 });
    const later = new Date(AGENT_START.getTime() + 60_000);
    const r = apply(store, { states: [nodeState("n", { sequence: 9 }), nodeState("n", { sequence: 1, agentStartedAt: later }), nodeState("n", { sequence: 5 })] });
    expect(r.counts).toEqual({ accepted: 2, ignored: 1, rejected: 0 });
    expect(store.get("n")!.sequence).toBe(1);
  });

  it("state and states together: state is applied first, then states in order", () => {
    const store = new NodeStateStore({ maxNodes: 100 });
    const r = apply(store, { state: nodeState("n", { sequence: 7 }), states: [nodeState("n", { sequence: 6 }), nodeState("n", { sequence: 8 })] });
    expect(r.counts).toEqual({ accepted: 2, ignored: 1, rejected: 0 });
    expect(store.get("n")!.sequence).toBe(8);
  });

  it("the single-state form works alone, as before", () => {
    const store = new NodeStateStore({ maxNodes: 100 });
    expect(apply(store, { state: nodeState("n") }).counts).toEqual({ accepted: 1, ignored: 0, rejected: 0 });
  });

  it("a message with neither state nor states counts as one rejected state", () => {
    const store = new NodeStateStore({ maxNodes: 100 });
    const r = apply(store, {});
    expect(r.counts).toEqual({ accepted: 0, ignored: 0, rejected: 1 });
    expect(r.firstReject).toEqual({ node: "", reason: "state is required" });
  });

  it("the node limit applies per state inside a batch", () => {
    const store = new NodeStateStore({ maxNodes: 2 });
    const r = apply(store, { states: [nodeState("a"), nodeState("b"), nodeState("c"), nodeState("a", { sequence: 2 })] });
    expect(r.counts).toEqual({ accepted: 3, ignored: 0, rejected: 1 });
    expect(store.get("c")).toBeUndefined();
  });

  it("every state of a batch gets the message's receive time", () => {
    const store = new NodeStateStore({ maxNodes: 100, now: () => 5 });
    apply(store, { states: [nodeState("a"), nodeState("b")] });
    expect([...store.values()].map((n) => n.receivedAtMs)).toEqual([1000, 1000]);
  });
});
