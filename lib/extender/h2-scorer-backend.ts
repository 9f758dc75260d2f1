// ScorerBackend over the lean HTTP/2 unary client (h2-unary-client.ts): the extender's default
// transport to scorer-svc. Same codecs as the grpc-js backend (lib/scorer/score-nodes-codec.ts for
// the big messages, the generated decoder for FilterNodesResponse) and the same errors
// (BackendCallError with the gRPC code), so the service and the circuit breaker cannot tell them
// apart. grpc-js is not on this path, so its OpenTelemetry instrumentation sees nothing: this file
// makes the CLIENT span the instrumentation would have made (same name and rpc.* attributes) and
// injects the W3C traceparent into the request headers.
import { context, propagation, trace, SpanKind, SpanStatusCode, type Span } from "@opentelemetry/api";
import { FilterNodesResponse } from "../../gen/overseer/v1/scorer_service.js";
import { decodeScoreNodesResponse, encodeNamesRequest } from "../scorer/score-nodes-codec.js";
import { GrpcCallFailure, GrpcCode } from "./grpc-wire.js";
import { DEFAULT_MAX_RECEIVE_BYTES, H2UnaryClient } from "./h2-unary-client.js";
import { BackendCallError, type ScorerBackend } from "./scorer-backend.js";

const SERVICE = "overseer.v1.ScorerService";
const CODE_NAMES = Object.fromEntries(Object.entries(GrpcCode).map(([k, v]) => [v, k])) as Record<number, string>;

export interface H2ScorerBackendOptions {
  /** host:port of scorer-svc (plaintext). */
  address: string;
  maxReceiveBytes?: number;
  /** See H2UnaryClientOptions.pingTimeoutMs. */
  pingTimeoutMs?: number;
}

const tracer = () => trace.getTracer("overseer-extender-scorer-client");

function toBackendError(f: GrpcCallFailure): BackendCallError {
  return new BackendCallError(f.code, `scorer-svc: ${CODE_NAMES[f.code] ?? f.code}: ${f.details}`, { cause: f });
}

export function createH2ScorerBackend(opts: H2ScorerBackendOptions): ScorerBackend {
  const client = new H2UnaryClient({ address: opts.address, maxReceiveBytes: opts.maxReceiveBytes ?? DEFAULT_MAX_RECEIVE_BYTES, pingTimeoutMs: opts.pingTimeoutMs });
  const sep = opts.address.lastIndexOf(":");
  const serverAddress = opts.address.slice(0, sep).replace(/^\[|\]$/g, "");
  const serverPort = Number(opts.address.slice(sep + 1));

  /** `framed`: the request behind its gRPC prefix (encodeNamesRequest(req, true)). */
  async function call<Res>(method: string, framed: Buffer, deadlineMs: number, decode: (b: Buffer) => Res): Promise<Res> {
    const parent = context.active();
    const span: Span = tracer().startSpan(`grpc.${SERVICE}/${method}`, { kind: SpanKind.CLIENT }, parent);
    const recording = span.isRecording();
    let headers: Record<string, string> | undefined;
    if (recording) span.setAttributes({ "rpc.system": "grpc", "rpc.service": SERVICE, "rpc.method": method, "server.address": serverAddress, "server.port": serverPort });
    // A sampled-out span is not recording but still carries the trace: propagate it like grpc-js does.
    if (trace.isSpanContextValid(span.spanContext())) {
      headers = {};
      propagation.inject(trace.setSpan(parent, span), headers);
    }
    try {
      const bytes = await client.callFramed(`/${SERVICE}/${method}`, framed, deadlineMs, headers);
      let res: Res;
      try {
        res = decode(bytes);
      } catch (err) {
        throw new GrpcCallFailure(GrpcCode.INTERNAL, `response message does not parse: ${err instanceof Error ? err.message : String(err)}`, { cause: err });
      }
      if (recording) span.setAttribute("rpc.grpc.status_code", GrpcCode.OK);
      return res;
    } catch (err) {
      const f = err instanceof GrpcCallFailure ? err : new GrpcCallFailure(GrpcCode.INTERNAL, err instanceof Error ? err.message : String(err), { cause: err });
      if (recording) {
        span.setAttribute("rpc.grpc.status_code", f.code);
        span.setStatus({ code: SpanStatusCode.ERROR, message: f.details });
      }
      throw toBackendError(f);
    } finally {
      span.end();
    }
  }

  return {
    scoreNodes: (req, deadlineMs) => call("ScoreNodes", encodeNamesRequest(req, true), deadlineMs, decodeScoreNodesResponse),
    filterNodes: (req, deadlineMs) => call("FilterNodes", encodeNamesRequest(req, true), deadlineMs, (b) => FilterNodesResponse.decode(b)),
    close: () => client.close(),
  };
}
