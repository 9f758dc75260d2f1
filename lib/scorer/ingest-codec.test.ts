import { describe, expect, it } from "vitest";
import { NodeState } from "../../gen/overseer/v1/node_state.js";
import { IngestNodeStatesRequest } from "../../gen/overseer/v1/scorer_service.js";
import { decodeIngestRequest } from "./ingest-codec.js";
import { applyIngestRequest } from "./ingest-stream.js";
import { nodeState } from "./testing/node-states.js";
import { NodeStateStore, nodeStateOf } from "./node-state-store.js";

const encode = (r: IngestNodeStatesRequest) => Buffer.from(IngestNodeStatesRequest.encode(r).finish());
const strip = (r: ReturnType<typeof decodeIngestRequest>) => ({ state: r.state, states: r.states });

describe("decodeIngestRequest", () => {
  const a = nodeState("a", { sequence: 3, features: { cpu_utilization_fraction: 0.25 } });
  const b = nodeState("b", { absent: ["mem_bandwidth_fraction_of_peak"] });

  it.each([
    ["one state", { state: a, states: [] }],
    ["many states", { state: undefined, states: [a, b, a] }],
    ["state and states", { state: b, states: [a] }],
    ["nothing", { state: undefined, states: [] }],
  ])("%s: the generated decoder's result, with each state's own bytes", (_n, req: IngestNodeStatesRequest) => {
    const bytes = encode(req);
    const got = decodeIngestRequest(bytes);
    expect(strip(got)).toEqual(IngestNodeStatesRequest.decode(bytes));
    if (got.state) expect(NodeState.decode(got.stateBytes!)).toEqual(got.state);
    expect(got.statesBytes).toHaveLength(got.states.length);
    got.states.forEach((s, i) => expect(NodeState.decode(got.statesBytes![i]!)).toEqual(s));
  });

  it("a message it does not expect (another field, state twice) goes to the generated decoder, without bytes", () => {
    const twice = Buffer.concat([encode({ state: a, states: [] }), encode({ state: b, states: [] })]);
    const got = decodeIngestRequest(twice);
    expect(strip(got)).toEqual(IngestNodeStatesRequest.decode(twice));
    expect(got.stateBytes).toBeUndefined();
    const unknownField = Buffer.concat([encode({ state: undefined, states: [a] }), Buffer.from([0x18, 0x01])]);
    expect(strip(decodeIngestRequest(unknownField))).toEqual(IngestNodeStatesRequest.decode(unknownField));
  });

  it.each([
    ["a truncated length", Buffer.from([0x12, 0x80])],
    ["a length past the end", Buffer.from([0x12, 0x05, 0x0a])],
  ])("%s fails like the generated decoder", (_n, bytes) => {
    expect(() => decodeIngestRequest(bytes)).toThrow();
    expect(() => IngestNodeStatesRequest.decode(bytes)).toThrow();
  });

  it("the store keeps the received bytes (a copy): Query gives back the state as sent", () => {
    const store = new NodeStateStore({ maxNodes: 10 });
    const bytes = encode({ state: undefined, states: [a, b] });
    const req = decodeIngestRequest(bytes);
    applyIngestRequest(store, req, Date.now(), { accepted: 0, ignored: 0, rejected: 0 });
    bytes.fill(0); // the message buffer is reused by the transport: the store must not point into it
    expect(nodeStateOf(store.get("a")!)).toEqual(NodeState.fromPartial(a));
    expect(nodeStateOf(store.get("b")!)).toEqual(NodeState.fromPartial(b));
  });
});
