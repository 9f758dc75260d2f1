// The transport alone, for bench/score-nodes.ts: a grpc-js server on the calling thread (where
// scorer-svc runs in that bench) with scorer-svc's own ScoreNodes codecs, answering every call at
// once with an answer of the same size as scorer-svc's (one packed score per candidate, or one
// NodeScore per candidate without scores_only) and no scoring at all. A ScoreNodes call can be no
// faster than this round trip, whatever the service does: when its p99 alone is above twice the
// inference floor's, the 2x target cannot be met at that size on this machine.
import type * as grpc from "@grpc/grpc-js";
import { NodeScore, type ScoreNodesRequest, type ScoreNodesResponse } from "../gen/overseer/v1/scorer_service.js";
import { startGrpcServer } from "../lib/grpc/server.js";
import { FAST_SCORER_SERVICE_DEFINITION } from "../lib/scorer/wire.js";

export interface TransportOnlyServer {
  port: number;
  stop(): Promise<void>;
}

/** The answer of the transport-only server: sized like scorer-svc's, every score 0. */
export function cannedAnswer(req: ScoreNodesRequest, modelVersion: string): ScoreNodesResponse {
  const n = req.nodeNames.length;
  if (req.scoresOnly) return { scores: [], modelVersion, packedScores: Buffer.alloc(n) };
  return { scores: req.nodeNames.map((nodeName) => NodeScore.fromPartial({ nodeName })), modelVersion, packedScores: Buffer.alloc(0) };
}

export async function startTransportOnly(modelVersion: string): Promise<TransportOnlyServer> {
  const scoreNodes = (call: grpc.ServerUnaryCall<ScoreNodesRequest, ScoreNodesResponse>, done: grpc.sendUnaryData<ScoreNodesResponse>) => done(null, cannedAnswer(call.request, modelVersion));
  const s = await startGrpcServer({
    address: "127.0.0.1:0",
    services: [{ name: "overseer.v1.ScorerService", definition: FAST_SCORER_SERVICE_DEFINITION as unknown as grpc.ServiceDefinition, implementation: { scoreNodes } }],
    maxReceiveMessageBytes: 64 << 20,
  });
  s.setServing("overseer.v1.ScorerService", true);
  return { port: s.port, stop: () => s.shutdown(500) };
}
