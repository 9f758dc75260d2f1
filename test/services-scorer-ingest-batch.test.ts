// In-process gRPC tests of batched NodeState ingest (IngestNodeStatesRequest.states): a real
// scorer-svc server on an ephemeral port, regime classification replaced by a recording function.
import * as grpc from "@grpc/grpc-js";
import { rm } from "node:fs/promises";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import type { NodeState } from "../gen/overseer/v1/node_state.js";
import { Regime } from "../gen/overseer/v1/regime.js";
import { ScorerServiceClient, type IngestNodeStatesRequest, type IngestNodeStatesResponse } from "../gen/overseer/v1/scorer_service.js";
import { makeBundleDir } from "../lib/bundle/testing/fixture-dir.js";
import { startScorerService, type RunningScorerService } from "../lib/scorer/scorer-server.js";
import { nodeState } from "../lib/scorer/testing/node-states.js";
import { scorerConfig, waitFor } from "../lib/scorer/testing/service-configs.js";

const MAX_MESSAGE_BYTES = 64 * 1024;

function ingest(c: ScorerServiceClient, messages: IngestNodeStatesRequest[]): Promise<IngestNodeStatesResponse> {
  return new Promise((resolve, reject) => {
    const stream = c.ingestNodeStates((e, r) => (e ? reject(e) : resolve(r!)));
    for (const m of messages) stream.write(m);
    stream.end();
  });
}

const withNaN = (name: string): NodeState => {
  const s = nodeState(name);
  s.features!.values[0] = NaN;
  return s;
};

describe("scorer-svc batched ingest over gRPC", () => {
  let bundle: Awaited<ReturnType<typeof makeBundleDir>>;
  let scorer: RunningScorerService;
  let raw: ScorerServiceClient;
  const classified: (readonly Float32Array[])[] = [];

  beforeAll(async () => {
    bundle = await makeBundleDir({ synthetic: true });
    scorer = await startScorerService({
      ...scorerConfig(bundle.dir, ""),
      maxMessageBytes: MAX_MESSAGE_BYTES,
      classify: async (vectors) => {
        classified.push(vectors);
        const a = { regime: Regime.REGIME_QUIET, confidence: 1, probabilities: [], modelVersion: "fake", classifiedAt: new Date() };
        return { assessments: vectors.map(() => a), modelVersion: "fake" };
      },
    });
    raw = new ScorerServiceClient(`127.0.0.1:${scorer.grpcPort}`, grpc.credentials.createInsecure(), { "grpc.max_send_message_length": 16 << 20 });
  });
  afterAll(async () => {
    raw?.close();
    await scorer?.stop();
    if (bundle) await rm(bundle.root, { recursive: true, force: true });
  });

  const counted = async () => {
    const m = await scorer.registry.getSingleMetric("overseer_scorer_ingested_states_total")!.get();
    return Object.fromEntries(m.values.filter((v) => v.labels.source === "grpc").map((v) => [v.labels.outcome, v.value]));
  };

  it("keeps the valid states of a mixed message, rejects and counts the invalid ones, and classifies the kept ones", async () => {
    const before = await counted();
    const r = await ingest(raw, [{ states: [nodeState("mix-a"), withNaN("mix-bad"), nodeState(""), nodeState("mix-b")] }]);
    expect(r).toEqual({ accepted: 2, ignored: 0, rejected: 2 });
    expect(scorer.store.get("mix-a")).toBeDefined();
    expect(scorer.store.get("mix-b")).toBeDefined();
    expect(scorer.store.get("mix-bad")).toBeUndefined();
    const after = await counted();
    expect((after.accepted ?? 0) - (before.accepted ?? 0)).toBe(2);
    expect((after.rejected ?? 0) - (before.rejected ?? 0)).toBe(2);
    await waitFor(() => scorer.store.get("mix-a")!.regime !== undefined && scorer.store.get("mix-b")!.regime !== undefined, "regimes of the batch");
    expect(scorer.store.get("mix-a")!.regime!.regime).toBe(Regime.REGIME_QUIET);
  });

  it("ignores duplicate and out-of-order sequences inside one batch and across messages of the stream", async () => {
    const s = (n: number) => nodeState("seq-node", { sequence: n });
    const r = await ingest(raw, [{ states: [s(5), s(5), s(3), s(6)] }, { state: s(6), states: [s(7), s(2)] }]);
    expect(r).toEqual({ accepted: 3, ignored: 4, rejected: 0 });
    expect(scorer.store.get("seq-node")!.sequence).toBe(7);
  });

  it("accepts the single-state form and batched messages on one stream", async () => {
    const r = await ingest(raw, [{ state: nodeState("single-1"), states: [] }, { states: [nodeState("batch-1"), nodeState("batch-2")] }, { state: undefined, states: [] }]);
    expect(r).toEqual({ accepted: 3, ignored: 0, rejected: 1 });
  });

  it("refuses a message above the receive limit with RESOURCE_EXHAUSTED and applies nothing from it", async () => {
    const states = Array.from({ length: 400 }, (_, i) => nodeState(`big-${i}`));
    const err = await ingest(raw, [{ states }]).then(
      () => undefined,
      (e: grpc.ServiceError) => e,
    );
    expect(err?.code).toBe(grpc.status.RESOURCE_EXHAUSTED);
    expect(err?.details).toMatch(/larger than max/);
    expect(scorer.store.get("big-0")).toBeUndefined();
    // The server keeps serving: a message under the limit on a new stream is applied.
    expect(await ingest(raw, [{ states: states.slice(0, 10) }])).toEqual({ accepted: 10, ignored: 0, rejected: 0 });
  });
});
