// Client helper for scorer-svc (the extender and tools use it): promise calls with deadlines.
import * as grpc from "@grpc/grpc-js";
import {
  ScorerServiceClient,
  type ExplainScoresRequest,
  type ExplainScoresResponse,
  type FilterNodesRequest,
  type FilterNodesResponse,
  type ReportPlacementRequest,
  type ScoreNodesRequest,
  type ScoreNodesResponse,
} from "../../gen/overseer/v1/scorer_service.js";
import { CLIENT_RECEIVE_WINDOW_OPTIONS } from "../grpc/receive-windows.js";

export interface ScorerClientOptions {
  /** Default deadline of each call, ms. */
  timeoutMs?: number;
  credentials?: grpc.ChannelCredentials;
  channelOptions?: grpc.ChannelOptions;
}

export interface ScorerClient {
  raw: ScorerServiceClient;
  scoreNodes(req: ScoreNodesRequest, timeoutMs?: number): Promise<ScoreNodesResponse>;
  filterNodes(req: FilterNodesRequest, timeoutMs?: number): Promise<FilterNodesResponse>;
  explainScores(req: ExplainScoresRequest, timeoutMs?: number): Promise<ExplainScoresResponse>;
  reportPlacement(req: ReportPlacementRequest, timeoutMs?: number): Promise<void>;
  close(): void;
}

type Unary<Req, Res> = (req: Req, md: grpc.Metadata, opts: Partial<grpc.CallOptions>, cb: (e: grpc.ServiceError | null, r: Res) => void) => grpc.ClientUnaryCall;

export function createScorerClient(address: string, opts: ScorerClientOptions = {}): ScorerClient {
  const raw = new ScorerServiceClient(address, opts.credentials ?? grpc.credentials.createInsecure(), {
    "grpc.max_receive_message_length": 64 * 1024 * 1024,
    ...CLIENT_RECEIVE_WINDOW_OPTIONS,
    ...opts.channelOptions,
  });
  const def = opts.timeoutMs ?? 2000;
  const call =
    <Req, Res>(fn: Unary<Req, Res>) =>
    (req: Req, timeoutMs = def) =>
      new Promise<Res>((resolve, reject) => {
        fn.call(raw, req, new grpc.Metadata(), { deadline: Date.now() + timeoutMs }, (e, r) => (e ? reject(e) : resolve(r)));
      });
  const report = call<ReportPlacementRequest, object>(raw.reportPlacement as unknown as Unary<ReportPlacementRequest, object>);
  return {
    raw,
    scoreNodes: call(raw.scoreNodes as unknown as Unary<ScoreNodesRequest, ScoreNodesResponse>),
    filterNodes: call(raw.filterNodes as unknown as Unary<FilterNodesRequest, FilterNodesResponse>),
    explainScores: call(raw.explainScores as unknown as Unary<ExplainScoresRequest, ExplainScoresResponse>),
    reportPlacement: async (req, timeoutMs) => {
      await report(req, timeoutMs);
    },
    close: () => raw.close(),
  };
}
