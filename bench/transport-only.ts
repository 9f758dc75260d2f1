// The transport alone, for bench/score-nodes.ts: a grpc-js server in a worker thread of its own
// with scorer-svc's own ScoreNodes codecs, answering every call at once with an answer of the same
// size as scorer-svc's (one packed score per candidate, or one NodeScore per candidate without
// scores_only) and no scoring at all. A ScoreNodes call can be no faster than this round trip,
// whatever the service does: when its p99 alone is above twice the inference floor's, the 2x
// target cannot be met at that size on this machine. Its own thread (and heap): on scorer-svc's
// thread its garbage made that thread's young collections longer, in the calls being measured.
import type * as grpc from "@grpc/grpc-js";
import { Worker, isMainThread, parentPort, workerData } from "node:worker_threads";
import { NodeScore, type ScoreNodesRequest, type ScoreNodesResponse } from "../gen/overseer/v1/scorer_service.js";
import { startGrpcServer } from "../lib/grpc/server.js";
import { FAST_SCORER_SERVICE_DEFINITION } from "../lib/scorer/wire.js";

export interface TransportOnlyServer {
  port: number;
  stop(): Promise<void>;
}

/** The answer of the transport-only server: sized like scorer-svc's, every score 0. */
function cannedAnswer(req: ScoreNodesRequest, modelVersion: string): ScoreNodesResponse {
  const n = req.nodeNames.length;
  if (req.scoresOnly) return { scores: [], modelVersion, packedScores: Buffer.alloc(n) };
  return { scores: req.nodeNames.map((nodeName) => NodeScore.fromPartial({ nodeName })), modelVersion, packedScores: Buffer.alloc(0) };
}

async function serve(modelVersion: string): Promise<TransportOnlyServer> {
  const scoreNodes = (call: grpc.ServerUnaryCall<ScoreNodesRequest, ScoreNodesResponse>, done: grpc.sendUnaryData<ScoreNodesResponse>) => done(null, cannedAnswer(call.request, modelVersion));
  const s = await startGrpcServer({
    address: "127.0.0.1:0",
    services: [{ name: "overseer.v1.ScorerService", definition: FAST_SCORER_SERVICE_DEFINITION as unknown as grpc.ServiceDefinition, implementation: { scoreNodes } }],
    maxReceiveMessageBytes: 64 << 20,
  });
  s.setServing("overseer.v1.ScorerService", true);
  return { port: s.port, stop: () => s.shutdown(500) };
}

/** Starts the server in a worker thread; stop() ends the thread. */
export async function startTransportOnly(modelVersion: string): Promise<TransportOnlyServer> {
  const worker = new Worker(new URL(import.meta.url), { workerData: { role: "transport-only", modelVersion } });
  const port = await new Promise<number>((resolve, reject) => {
    worker.once("message", (m: { port: number }) => resolve(m.port));
    worker.once("error", reject);
  });
  return {
    port,
    stop: async () => {
      await worker.terminate();
    },
  };
}

if (!isMainThread && workerData?.role === "transport-only") {
  const s = await serve((workerData as { modelVersion: string }).modelVersion);
  parentPort!.postMessage({ port: s.port });
}
