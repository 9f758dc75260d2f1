// The gRPC publisher against a real in-process grpc-js receiver.
import { afterEach, describe, expect, it } from "vitest";
import type { NodeState } from "../../../gen/overseer/v1/node_state.js";
import { startReceiver, waitUntil, type Receiver } from "../../../test/agent-helpers.js";
import { createGrpcPublisher } from "./grpc-publisher.js";
import { createLatestSlot } from "./latest-slot.js";

const state = (sequence: number): NodeState => ({ nodeName: "n1", agentId: "a", sequence, residents: [], source: 0 }) as NodeState;

const cleanups: (() => Promise<unknown>)[] = [];
afterEach(async () => {
  while (cleanups.length > 0) await cleanups.pop()!();
});

describe("latest slot", () => {
  it("holds at most the newest value", async () => {
    const s = createLatestSlot<number>();
    expect(s.put(1)).toBeUndefined();
    expect(s.put(2)).toBe(1);
    expect(s.size).toBe(1);
    expect(s.take()).toBe(2);
    expect(s.take()).toBeUndefined();
    const w = s.wait();
    s.put(3);
    await w;
    expect(s.peek()).toBe(3);
  });
});

describe("grpc publisher", () => {
  it("streams states in order to a live receiver", async () => {
    const rx = await startReceiver();
    cleanups.push(() => rx.close());
    const published: number[] = [];
    const pub = createGrpcPublisher({ address: `127.0.0.1:${rx.port}`, hooks: { onPublished: (_p, sec) => published.push(sec) } });
    cleanups.push(() => pub.close(1000));
    await waitUntil(() => pub.connected, 5000, "connection");
    for (let i = 1; i <= 3; i++) {
      pub.publish(state(i));
      await waitUntil(() => rx.states.length >= i, 5000, `state ${i}`);
    }
    expect(rx.states.map((s) => s.sequence)).toEqual([1, 2, 3]);
    expect(published).toHaveLength(3);
    expect(published.every((s) => s >= 0)).toBe(true);
  });

  it("receiver down: keeps one state (the newest) and delivers it when the receiver comes up", async () => {
    const probe = await startReceiver();
    const port = probe.port;
    await probe.close();
    let superseded = 0;
    let failures = 0;
    const pub = createGrpcPublisher({ address: `127.0.0.1:${port}`, initialBackoffMs: 50, maxBackoffMs: 200, connectTimeoutMs: 200, hooks: { onSuperseded: () => superseded++, onFailure: () => failures++ } });
    cleanups.push(() => pub.close(1000));
    for (let i = 1; i <= 1000; i++) pub.publish(state(i));
    expect(pub.pendingCount).toBe(1);
    expect(superseded).toBe(999);
    await waitUntil(() => failures >= 1, 5000, "a failed connection attempt");
    const rx = await startReceiver(port);
    cleanups.push(() => rx.close());
    await waitUntil(() => rx.states.length >= 1, 10_000, "delivery after the receiver came up");
    expect(rx.states.map((s) => s.sequence)).toEqual([1000]);
    pub.publish(state(1001));
    await waitUntil(() => rx.states.length >= 2, 5000, "the next state");
    expect(rx.states.map((s) => s.sequence)).toEqual([1000, 1001]);
  });

  it("receiver dies mid-stream: reconnects and keeps publishing", async () => {
    const rx1 = await startReceiver();
    const port = rx1.port;
    const pub = createGrpcPublisher({ address: `127.0.0.1:${port}`, initialBackoffMs: 50, maxBackoffMs: 200, connectTimeoutMs: 300 });
    cleanups.push(() => pub.close(1000));
    pub.publish(state(1));
    await waitUntil(() => rx1.states.length === 1, 5000, "first state");
    await rx1.close();
    await waitUntil(() => !pub.connected, 5000, "the publisher noticing");
    pub.publish(state(2));
    pub.publish(state(3));
    const rx2 = await startReceiver(port);
    cleanups.push(() => rx2.close());
    await waitUntil(() => rx2.states.length >= 1, 10_000, "delivery to the new receiver");
    expect(rx2.states.at(-1)!.sequence).toBe(3);
    expect(rx2.states.map((s) => s.sequence)).not.toContain(2);
  });

  it("close() flushes the pending state and ends the stream", async () => {
    const rx = await startReceiver();
    cleanups.push(() => rx.close());
    const pub = createGrpcPublisher({ address: `127.0.0.1:${rx.port}` });
    await waitUntil(() => pub.connected, 5000, "connection");
    pub.publish(state(7));
    await pub.close(2000);
    expect(rx.states.map((s) => s.sequence)).toEqual([7]);
  });
});
