// scorer-svc as the extender sees it: two unary calls with a deadline. The gRPC implementation
// wraps the generated ScorerServiceClient; tests and the benchmark can pass any ScorerBackend.
import * as grpc from "@grpc/grpc-js";
import {
  ScorerServiceService,
  type ScorerServiceClient,
  type FilterNodesRequest,
  type FilterNodesResponse,
  type ScoreNodesRequest,
  type ScoreNodesResponse,
} from "../../gen/overseer/v1/scorer_service.js";
import { decodeScoreNodesResponse, encodeNamesRequest } from "../scorer/score-nodes-codec.js";
import { CLIENT_RECEIVE_WINDOW_OPTIONS } from "../grpc/receive-windows.js";

/**
 * The generated client with the fast codecs of the hot path's big messages (wire-identical:
 * lib/scorer/score-nodes-codec.ts): thousands of node names out, thousands of scores back.
 */
const FastScorerServiceClient = grpc.makeGenericClientConstructor(
  {
    ...ScorerServiceService,
    scoreNodes: { ...ScorerServiceService.scoreNodes, requestSerialize: encodeNamesRequest, responseDeserialize: decodeScoreNodesResponse },
    filterNodes: { ...ScorerServiceService.filterNodes, requestSerialize: encodeNamesRequest },
  },
  "overseer.v1.ScorerService",
) as unknown as typeof ScorerServiceClient;

export interface ScorerBackend {
  scoreNodes(req: ScoreNodesRequest, deadlineMs: number): Promise<ScoreNodesResponse>;
  filterNodes(req: FilterNodesRequest, deadlineMs: number): Promise<FilterNodesResponse>;
  close(): void;
}

/** A failed backend call, with the gRPC status code (DEADLINE_EXCEEDED, UNAVAILABLE, ...). */
export class BackendCallError extends Error {
  constructor(
    readonly code: grpc.status,
    message: string,
    options?: { cause?: unknown },
  ) {
    super(message, options);
  }
  get codeName(): string {
    return grpc.status[this.code] ?? String(this.code);
  }
}

/**
 * Codes that say the backend is unhealthy (they count towards opening the circuit). Others
 * (INVALID_ARGUMENT, NOT_FOUND, ...) mean the backend is alive but refused this request.
 */
const BACKEND_DOWN_CODES = new Set<grpc.status>([
  grpc.status.UNAVAILABLE,
  grpc.status.DEADLINE_EXCEEDED,
  grpc.status.INTERNAL,
  grpc.status.UNKNOWN,
  grpc.status.RESOURCE_EXHAUSTED,
  grpc.status.CANCELLED,
]);

export function isBackendDown(err: unknown): boolean {
  return !(err instanceof BackendCallError) || BACKEND_DOWN_CODES.has(err.code);
}

/**
 * Per-call bookkeeping the extender does not use, measured as a large part of a small call's CPU:
 * the retry machinery (it buffers every request message; the extender never retries, a failed
 * call degrades the answer) and channelz call tracking (timestamps and counters per call).
 */
export const HOT_PATH_CHANNEL_OPTIONS = { "grpc.enable_retries": 0, "grpc.enable_channelz": 0 } as const;

export interface GrpcScorerBackendOptions {
  /** host:port of scorer-svc. */
  address: string;
  credentials?: grpc.ChannelCredentials;
}

function toBackendError(err: grpc.ServiceError): BackendCallError {
  return new BackendCallError(err.code, `scorer-svc: ${grpc.status[err.code] ?? err.code}: ${err.details || err.message}`, { cause: err });
}

export function createGrpcScorerBackend(opts: GrpcScorerBackendOptions): ScorerBackend {
  const client = new FastScorerServiceClient(opts.address, opts.credentials ?? grpc.credentials.createInsecure(), {
    // Reconnect quickly after scorer-svc restarts; the circuit breaker covers long outages.
    "grpc.initial_reconnect_backoff_ms": 200,
    "grpc.max_reconnect_backoff_ms": 2000,
    // 5,000 node scores are well below this; a bigger answer means something is wrong.
    "grpc.max_receive_message_length": 16 * 1024 * 1024,
    ...CLIENT_RECEIVE_WINDOW_OPTIONS,
    ...HOT_PATH_CHANNEL_OPTIONS,
  });
  const call = <Req, Res>(
    method: (req: Req, md: grpc.Metadata, options: Partial<grpc.CallOptions>, cb: (e: grpc.ServiceError | null, r: Res) => void) => grpc.ClientUnaryCall,
    req: Req,
    deadlineMs: number,
  ) =>
    new Promise<Res>((resolve, reject) => {
      method.call(client, req, new grpc.Metadata(), { deadline: Date.now() + deadlineMs }, (err, res) =>
        err ? reject(toBackendError(err)) : resolve(res),
      );
    });
  return {
    scoreNodes: (req, deadlineMs) => call<ScoreNodesRequest, ScoreNodesResponse>(client.scoreNodes, req, deadlineMs),
    filterNodes: (req, deadlineMs) => call<FilterNodesRequest, FilterNodesResponse>(client.filterNodes, req, deadlineMs),
    close: () => client.close(),
  };
}
