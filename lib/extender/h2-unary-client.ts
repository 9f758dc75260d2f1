// A lean gRPC unary client over node:http2 (plaintext h2c), for the extender's hot path to
// scorer-svc. It speaks gRPC over HTTP/2 (grpc/grpc doc/PROTOCOL-HTTP2.md) for unary calls only:
// one long-lived session per target, request headers + one length-prefixed message, the answer's
// message reassembled from DATA frames and its status read from the trailers (or from a
// trailers-only answer). Everything grpc-js does per call beyond that (interceptors, retries,
// channelz, load balancing, compression, metadata objects) is left out; the extender never needs it.
// Failures reject with GrpcCallFailure (a gRPC code + message).
import * as http2 from "node:http2";
import {
  formatGrpcTimeout,
  frameMessage,
  GrpcCallFailure,
  GrpcCode,
  httpStatusToGrpcCode,
  parseGrpcStatus,
  rstCodeToGrpcCode,
  UnaryMessageReader,
} from "./grpc-wire.js";

const { NGHTTP2_CANCEL, NGHTTP2_NO_ERROR } = http2.constants;

export interface H2UnaryClientOptions {
  /** host:port of the server (IPv6 as [::1]:port). */
  address: string;
  /** Largest accepted response message (bytes); larger fails with RESOURCE_EXHAUSTED. */
  maxReceiveBytes?: number;
  /** After a failed connection attempt, calls fail at once (UNAVAILABLE) for this long, doubling up to maxBackoffMs. */
  initialBackoffMs?: number;
  maxBackoffMs?: number;
  /**
   * After a call misses its deadline the session is PINGed; no PING ACK within this long means the
   * connection is dead (e.g. the peer vanished without a FIN) and the session is dropped, so the
   * next call reconnects instead of waiting out its deadline on a black hole. Default 1000 ms.
   */
  pingTimeoutMs?: number;
  userAgent?: string;
}

export const DEFAULT_MAX_RECEIVE_BYTES = 16 * 1024 * 1024;
const USER_AGENT = `overseer-extender-h2/1 node/${process.versions.node}`;
/** Flow-control windows: a 5,000-node answer (~150 KB) arrives without waiting for WINDOW_UPDATEs. */
const STREAM_WINDOW = 1 << 20;
const SESSION_WINDOW = 4 << 20;

/** Connection-level error codes of node:net / node:http2: the server is unreachable or went away. */
const CONNECTION_ERRORS = new Set([
  "ECONNREFUSED",
  "ECONNRESET",
  "EPIPE",
  "ETIMEDOUT",
  "EHOSTUNREACH",
  "ENETUNREACH",
  "ENOTFOUND",
  "EAI_AGAIN",
  "ERR_HTTP2_GOAWAY_SESSION",
  "ERR_HTTP2_INVALID_SESSION",
  "ERR_HTTP2_SESSION_ERROR",
  "ERR_HTTP2_STREAM_CANCEL",
  "ERR_HTTP2_ERROR",
]);

type Headers = http2.IncomingHttpHeaders & http2.IncomingHttpStatusHeader;

export class H2UnaryClient {
  private readonly url: string;
  private readonly maxReceiveBytes: number;
  private readonly initialBackoffMs: number;
  private readonly maxBackoffMs: number;
  private readonly userAgent: string;
  private readonly pingTimeoutMs: number;
  /** Sessions with a liveness PING in flight (one at a time per session). */
  private readonly pinging = new WeakSet<http2.ClientHttp2Session>();
  private session: http2.ClientHttp2Session | undefined;
  /** Failed connection attempts in a row (reset by a successful connect). */
  private failures = 0;
  private retryAt = 0;
  private lastConnectError = "";
  private closed = false;

  constructor(opts: H2UnaryClientOptions) {
    this.url = `http://${opts.address}`;
    this.maxReceiveBytes = opts.maxReceiveBytes ?? DEFAULT_MAX_RECEIVE_BYTES;
    this.initialBackoffMs = opts.initialBackoffMs ?? 100;
    this.maxBackoffMs = opts.maxBackoffMs ?? 2000;
    this.userAgent = opts.userAgent ?? USER_AGENT;
    this.pingTimeoutMs = opts.pingTimeoutMs ?? 1000;
  }

  /**
   * One unary call: `path` is /package.Service/Method, `message` the serialized request. Resolves
   * with the serialized response message; rejects with GrpcCallFailure.
   */
  call(path: string, message: Uint8Array, deadlineMs: number, extraHeaders?: Record<string, string>): Promise<Buffer> {
    return new Promise<Buffer>((resolve, reject) => {
      let session: http2.ClientHttp2Session;
      let stream: http2.ClientHttp2Stream;
      try {
        session = this.connectedSession();
        stream = session.request(
          {
            ...extraHeaders,
            ":method": "POST",
            ":path": path,
            "content-type": "application/grpc",
            te: "trailers",
            "grpc-timeout": formatGrpcTimeout(deadlineMs),
            "user-agent": this.userAgent,
          },
          { endStream: false },
        );
      } catch (err) {
        reject(err instanceof GrpcCallFailure ? err : new GrpcCallFailure(GrpcCode.UNAVAILABLE, `${this.url}: ${errorText(err)}`, { cause: err }));
        return;
      }
      const reader = new UnaryMessageReader(this.maxReceiveBytes);
      let settled = false;
      let headers: Headers | undefined;
      let grpcBody = false;
      let status: { code: number; message: string } | undefined;
      let streamError: Error | undefined;
      const settle = (failure: GrpcCallFailure | undefined, msg?: Buffer) => {
        if (settled) return;
        settled = true;
        clearTimeout(timer);
        if (failure) reject(failure);
        else resolve(msg!);
      };
      /** Fails the call now and resets the stream (RST_STREAM CANCEL), so the server stops working on it. */
      const abort = (failure: GrpcCallFailure) => {
        settle(failure);
        if (!stream.closed) stream.close(NGHTTP2_CANCEL);
      };
      const timer = setTimeout(() => {
        abort(new GrpcCallFailure(GrpcCode.DEADLINE_EXCEEDED, `deadline of ${deadlineMs} ms exceeded`));
        this.checkLiveness(session);
      }, deadlineMs);
      stream.on("response", (h: Headers) => {
        headers = h;
        const ct = h["content-type"];
        grpcBody = h[":status"] === 200 && typeof ct === "string" && ct.startsWith("application/grpc");
        status = parseGrpcStatus(h); // a trailers-only answer carries the status here
      });
      stream.on("data", (chunk: Buffer) => {
        if (settled || !grpcBody) return;
        try {
          reader.push(chunk);
        } catch (err) {
          abort(err as GrpcCallFailure);
        }
      });
      stream.on("trailers", (t: http2.IncomingHttpHeaders) => {
        status = parseGrpcStatus(t) ?? status;
      });
      stream.on("error", (err: Error) => {
        streamError = err;
      });
      stream.on("close", () => {
        if (settled) return;
        const outcome = this.outcome(stream, session, headers, status, reader, streamError);
        if (outcome instanceof GrpcCallFailure) settle(outcome);
        else settle(undefined, outcome);
      });
      stream.end(frameMessage(message));
    });
  }

  /** Closes the session; calls after this fail with UNAVAILABLE. */
  close(): void {
    this.closed = true;
    this.session?.close();
    this.session = undefined;
  }

  private outcome(
    stream: http2.ClientHttp2Stream,
    session: http2.ClientHttp2Session,
    headers: Headers | undefined,
    status: { code: number; message: string } | undefined,
    reader: UnaryMessageReader,
    streamError: Error | undefined,
  ): Buffer | GrpcCallFailure {
    if (status) {
      if (status.code !== GrpcCode.OK) return new GrpcCallFailure(status.code, status.message || "(no grpc-message)");
      const msg = reader.message();
      if (msg) return msg;
      if (reader.partial()) return new GrpcCallFailure(GrpcCode.INTERNAL, "the response message was cut short before the end of the stream");
      return new GrpcCallFailure(GrpcCode.UNIMPLEMENTED, "status OK without a response message (a unary method answers exactly one)");
    }
    if (headers && headers[":status"] !== 200) {
      const http = headers[":status"] ?? 0;
      return new GrpcCallFailure(httpStatusToGrpcCode(http), `HTTP status ${http} without grpc-status (content-type ${String(headers["content-type"] ?? "none")})`);
    }
    if (headers && !headers["content-type"]?.startsWith("application/grpc")) {
      return new GrpcCallFailure(GrpcCode.UNKNOWN, `HTTP 200 with content-type ${String(headers["content-type"] ?? "none")}, not application/grpc`);
    }
    // The stream ended without a status: the connection went away, or the server reset the stream.
    const code = (streamError as NodeJS.ErrnoException | undefined)?.code;
    if (session.destroyed || session.closed || (code !== undefined && CONNECTION_ERRORS.has(code))) {
      return new GrpcCallFailure(GrpcCode.UNAVAILABLE, `connection to ${this.url} lost before the answer${streamError ? `: ${streamError.message}` : ""}`, { cause: streamError });
    }
    if (stream.rstCode !== undefined && stream.rstCode !== NGHTTP2_NO_ERROR) {
      return new GrpcCallFailure(rstCodeToGrpcCode(stream.rstCode), `stream reset by the server (RST_STREAM code ${stream.rstCode}) before a status`, { cause: streamError });
    }
    return new GrpcCallFailure(GrpcCode.INTERNAL, `the stream ended without grpc-status${streamError ? `: ${streamError.message}` : ""}`, { cause: streamError });
  }

  /** PINGs `session`; drops it (destroy: its in-flight calls fail UNAVAILABLE) unless the ACK comes in time. */
  private checkLiveness(session: http2.ClientHttp2Session): void {
    if (this.pinging.has(session) || session.destroyed || session.closed || !session.socket) return;
    this.pinging.add(session);
    const drop = () => {
      this.pinging.delete(session);
      if (this.session === session) this.session = undefined;
      session.destroy();
    };
    const timer = setTimeout(drop, this.pingTimeoutMs);
    timer.unref();
    try {
      const sent = session.ping((err) => {
        clearTimeout(timer);
        if (err && !session.destroyed) drop();
        else this.pinging.delete(session);
      });
      if (!sent) {
        clearTimeout(timer);
        this.pinging.delete(session);
      }
    } catch {
      clearTimeout(timer);
      this.pinging.delete(session);
    }
  }

  /** The live session, or a new one; inside the back-off after a failed connect, fails at once. */
  private connectedSession(): http2.ClientHttp2Session {
    const current = this.session;
    if (current && !current.closed && !current.destroyed) return current;
    if (this.closed) throw new GrpcCallFailure(GrpcCode.UNAVAILABLE, "the client is closed");
    const now = Date.now();
    if (now < this.retryAt) {
      throw new GrpcCallFailure(GrpcCode.UNAVAILABLE, `${this.url} unreachable (${this.lastConnectError}); next connection attempt in ${this.retryAt - now} ms`);
    }
    const session = http2.connect(this.url, { settings: { enablePush: false, initialWindowSize: STREAM_WINDOW } });
    let connected = false;
    const forget = () => {
      if (this.session === session) this.session = undefined;
    };
    session.once("connect", () => {
      connected = true;
      this.failures = 0;
      this.retryAt = 0;
      session.setLocalWindowSize(SESSION_WINDOW);
    });
    session.on("error", (err: Error) => {
      forget();
      if (!connected) {
        this.failures++;
        this.lastConnectError = errorText(err);
        this.retryAt = Date.now() + Math.min(this.maxBackoffMs, this.initialBackoffMs * 2 ** (this.failures - 1));
      }
    });
    session.on("goaway", forget); // in-flight streams finish; the next call opens a new session
    session.on("close", forget);
    // The session alone does not keep the process alive (a call's deadline timer does).
    session.unref();
    this.session = session;
    return session;
  }
}

function errorText(err: unknown): string {
  const e = err as NodeJS.ErrnoException;
  return e instanceof Error ? (e.code ? `${e.code}: ${e.message}` : e.message) : String(err);
}
