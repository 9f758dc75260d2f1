// A lean gRPC unary client over HTTP/2 (plaintext h2c), for the extender's hot path to scorer-svc.
// It speaks gRPC over HTTP/2 (grpc/grpc doc/PROTOCOL-HTTP2.md) for unary calls only: one long-lived
// connection per target, request headers + one length-prefixed message, the answer's message
// reassembled from DATA frames and its status read from the trailers (or from a trailers-only
// answer). HTTP/2 itself is implemented in TypeScript on one net.Socket (h2-connection.ts, with
// h2-frames.ts and hpack.ts), not on node:http2: node:http2 makes several native, weakly held
// handles per call, which V8 treats as roots in scavenges, so every call's stream graph was promoted
// to old space (docs/extender.md, "scorer-svc client"). Everything grpc-js does per call beyond
// that (interceptors, retries, channelz, load balancing, compression, metadata objects) is left
// out; the extender never needs it. Failures reject with GrpcCallFailure (a gRPC code + message).
import { encodeHeaderBlock, type HeaderList } from "./hpack.js";
import { ErrorCode } from "./h2-frames.js";
import { H2Connection, type H2ConnectionStats, type StreamSink } from "./h2-connection.js";
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

export interface H2UnaryClientOptions {
  /** host:port of the server (IPv6 as [::1]:port). */
  address: string;
  /** Largest accepted response message (bytes); larger fails with RESOURCE_EXHAUSTED. */
  maxReceiveBytes?: number;
  /** After a failed connection attempt, calls fail at once (UNAVAILABLE) for this long, doubling up to maxBackoffMs. */
  initialBackoffMs?: number;
  maxBackoffMs?: number;
  /**
   * After a call misses its deadline the connection is PINGed; no PING ACK within this long means
   * the connection is dead (e.g. the peer vanished without a FIN) and it is dropped, so the next
   * call reconnects instead of waiting out its deadline on a black hole. Default 1000 ms.
   */
  pingTimeoutMs?: number;
  userAgent?: string;
  /** Tests only: the first stream id of each connection (odd), to exercise the 2^31 roll-over. */
  firstStreamId?: number;
}

export const DEFAULT_MAX_RECEIVE_BYTES = 16 * 1024 * 1024;
const USER_AGENT = `overseer-extender-h2/1 node/${process.versions.node}`;
/** Flow-control windows: a 5,000-node answer (~150 KB) arrives without waiting for WINDOW_UPDATEs. */
const STREAM_WINDOW = 1 << 20;
const CONNECTION_WINDOW = 4 << 20;

export class H2UnaryClient {
  readonly url: string;
  readonly maxReceiveBytes: number;
  private readonly host: string;
  private readonly port: number;
  private readonly authority: string;
  private readonly initialBackoffMs: number;
  private readonly maxBackoffMs: number;
  private readonly userAgent: string;
  readonly pingTimeoutMs: number;
  private readonly firstStreamId: number | undefined;
  /** The constant part of the request header block, per path. */
  private readonly pathBlocks = new Map<string, Buffer>();
  /** The grpc-timeout field alone, per deadline (the extender uses one deadline). */
  private readonly timeoutBlocks = new Map<number, Buffer>();
  private conn: H2Connection | undefined;
  /** Failed connection attempts in a row (reset by a connection that gets the server's SETTINGS). */
  private failures = 0;
  private retryAt = 0;
  private lastConnectError = "";
  private closed = false;

  constructor(opts: H2UnaryClientOptions) {
    this.url = `http://${opts.address}`;
    const sep = opts.address.lastIndexOf(":");
    if (sep <= 0) throw new Error(`address ${JSON.stringify(opts.address)} is not host:port`);
    this.host = opts.address.slice(0, sep).replace(/^\[(.*)\]$/, "$1");
    this.port = Number(opts.address.slice(sep + 1));
    if (!Number.isInteger(this.port) || this.port <= 0 || this.port > 65535) throw new Error(`address ${JSON.stringify(opts.address)} has no valid port`);
    this.authority = opts.address;
    this.maxReceiveBytes = opts.maxReceiveBytes ?? DEFAULT_MAX_RECEIVE_BYTES;
    this.initialBackoffMs = opts.initialBackoffMs ?? 100;
    this.maxBackoffMs = opts.maxBackoffMs ?? 2000;
    this.userAgent = opts.userAgent ?? USER_AGENT;
    this.pingTimeoutMs = opts.pingTimeoutMs ?? 1000;
    this.firstStreamId = opts.firstStreamId;
  }

  /**
   * One unary call: `path` is /package.Service/Method, `message` the serialized request. Resolves
   * with the serialized response message; rejects with GrpcCallFailure.
   */
  call(path: string, message: Uint8Array, deadlineMs: number, extraHeaders?: Record<string, string>): Promise<Buffer> {
    return this.callWithBody(path, frameMessage(message), deadlineMs, extraHeaders);
  }

  /** call() with the message already behind its 5-byte gRPC prefix (sent as is: no copy). */
  callFramed(path: string, framed: Buffer, deadlineMs: number, extraHeaders?: Record<string, string>): Promise<Buffer> {
    if (framed.length < 5 || framed[0] !== 0 || framed.readUInt32BE(1) !== framed.length - 5) {
      return Promise.reject(new GrpcCallFailure(GrpcCode.INTERNAL, `callFramed: not one uncompressed gRPC message (${framed.length} octets)`));
    }
    return this.callWithBody(path, framed, deadlineMs, extraHeaders);
  }

  private callWithBody(path: string, body: Buffer, deadlineMs: number, extraHeaders: Record<string, string> | undefined): Promise<Buffer> {
    return new Promise<Buffer>((resolve, reject) => {
      let conn: H2Connection;
      try {
        conn = this.connection();
      } catch (err) {
        reject(err instanceof GrpcCallFailure ? err : new GrpcCallFailure(GrpcCode.UNAVAILABLE, `${this.url}: ${errorText(err)}`, { cause: err }));
        return;
      }
      const call = new UnaryCall(this, resolve, reject, deadlineMs);
      call.headerBlock = this.pathBlock(path);
      call.headerBlock2 = this.variableBlock(deadlineMs, extraHeaders);
      call.body = body;
      call.start(conn);
    });
  }

  /** Closes the connection (in-flight calls may finish); calls after this fail with UNAVAILABLE. */
  close(): void {
    this.closed = true;
    this.conn?.close();
    this.conn = undefined;
  }

  /** Reader counters of the current connection (tests, debugging); undefined when there is none. */
  connectionStats(): H2ConnectionStats | undefined {
    return this.conn?.stats;
  }

  /** The usable connection, or a new one; inside the back-off after a failed connect, throws UNAVAILABLE. */
  connection(): H2Connection {
    const current = this.conn;
    if (current && current.usable()) return current;
    if (this.closed) throw new GrpcCallFailure(GrpcCode.UNAVAILABLE, "the client is closed");
    const now = Date.now();
    if (now < this.retryAt) {
      throw new GrpcCallFailure(GrpcCode.UNAVAILABLE, `${this.url} unreachable (${this.lastConnectError}); next connection attempt in ${this.retryAt - now} ms`);
    }
    const conn: H2Connection = new H2Connection({
      host: this.host,
      port: this.port,
      streamWindow: STREAM_WINDOW,
      connectionWindow: CONNECTION_WINDOW,
      firstStreamId: this.firstStreamId,
      onReady: () => {
        this.failures = 0;
        this.retryAt = 0;
      },
      // GOAWAY or stream ids used up: in-flight streams finish there, new calls go to a new connection.
      onRetire: () => {
        if (this.conn === conn) this.conn = undefined;
      },
      onClose: (err, everReady) => {
        if (this.conn === conn) this.conn = undefined;
        if (err && !everReady) {
          this.failures++;
          this.lastConnectError = errorText(err);
          this.retryAt = Date.now() + Math.min(this.maxBackoffMs, this.initialBackoffMs * 2 ** (this.failures - 1));
        }
      },
    });
    this.conn = conn;
    return conn;
  }

  /** Literal header fields that are the same for every call on `path`, encoded once. */
  private pathBlock(path: string): Buffer {
    let block = this.pathBlocks.get(path);
    if (!block) {
      block = encodeHeaderBlock([
        [":method", "POST"],
        [":scheme", "http"],
        [":path", path],
        [":authority", this.authority],
        ["content-type", "application/grpc"],
        ["te", "trailers"],
        ["user-agent", this.userAgent],
      ]);
      if (this.pathBlocks.size < 64) this.pathBlocks.set(path, block);
    }
    return block;
  }

  /** grpc-timeout and the caller's extra headers; without extra headers the block is cached per deadline. */
  private variableBlock(deadlineMs: number, extraHeaders: Record<string, string> | undefined): Buffer {
    let hasExtra = false;
    if (extraHeaders) for (const _ in extraHeaders) hasExtra = true;
    if (!hasExtra) {
      let block = this.timeoutBlocks.get(deadlineMs);
      if (!block) {
        block = encodeHeaderBlock([["grpc-timeout", formatGrpcTimeout(deadlineMs)]]);
        if (this.timeoutBlocks.size < 64) this.timeoutBlocks.set(deadlineMs, block);
      }
      return block;
    }
    const fields: [string, string][] = [["grpc-timeout", formatGrpcTimeout(deadlineMs)]];
    for (const name in extraHeaders) fields.push([name.toLowerCase(), extraHeaders[name]!]);
    return encodeHeaderBlock(fields);
  }
}

function fireDeadline(call: UnaryCall): void {
  call.deadline();
}

/** One call in flight: the sink of its stream. */
class UnaryCall implements StreamSink {
  headerBlock: Buffer = EMPTY;
  headerBlock2: Buffer | undefined;
  body: Buffer = EMPTY;
  private conn: H2Connection | undefined;
  private handle: object | undefined;
  private readonly timer: NodeJS.Timeout;
  private readonly reader: UnaryMessageReader;
  private settled = false;
  private resent = false;
  private gotHeaders = false;
  private httpStatus = 0;
  private contentType: string | undefined;
  private grpcBody = false;
  private status: { code: number; message: string } | undefined;

  constructor(
    private readonly client: H2UnaryClient,
    private readonly resolve: (b: Buffer) => void,
    private readonly reject: (e: GrpcCallFailure) => void,
    private readonly deadlineMs: number,
  ) {
    this.reader = new UnaryMessageReader(client.maxReceiveBytes);
    this.timer = setTimeout(fireDeadline, deadlineMs, this);
  }

  start(conn: H2Connection): void {
    this.conn = conn;
    this.handle = conn.request(this, this.headerBlock, this.headerBlock2, this.body);
  }

  deadline(): void {
    this.abort(new GrpcCallFailure(GrpcCode.DEADLINE_EXCEEDED, `deadline of ${this.deadlineMs} ms exceeded`));
    this.conn?.checkLiveness(this.client.pingTimeoutMs);
  }

  onHeaders(headers: HeaderList, endStream: boolean): void {
    let status: string | undefined;
    let message: string | undefined;
    let http = 0;
    let ct: string | undefined;
    for (let i = 0; i < headers.length; i += 2) {
      const name = headers[i]!;
      if (name === "grpc-status") status = headers[i + 1];
      else if (name === "grpc-message") message = headers[i + 1];
      else if (name === ":status") http = Number(headers[i + 1]);
      else if (name === "content-type") ct = headers[i + 1];
    }
    if (!this.gotHeaders) {
      if (http >= 100 && http < 200 && !endStream) return; // informational: the real headers follow
      this.gotHeaders = true;
      this.httpStatus = http;
      this.contentType = ct;
      this.grpcBody = http === 200 && ct !== undefined && ct.startsWith("application/grpc");
    }
    if (status !== undefined) this.status = parseGrpcStatus(message === undefined ? { "grpc-status": status } : { "grpc-status": status, "grpc-message": message });
  }

  onData(chunk: Buffer): void {
    if (this.settled || !this.grpcBody) return;
    try {
      this.reader.push(chunk);
    } catch (err) {
      this.abort(err as GrpcCallFailure);
    }
  }

  onEnd(): void {
    if (this.settled) return;
    const outcome = this.outcome(undefined, 0, "");
    if (outcome instanceof GrpcCallFailure) this.settle(outcome);
    else this.settle(undefined, outcome);
  }

  onAbort(kind: "reset" | "connection" | "unsent", code: number, reason: string): void {
    if (this.settled) return;
    if (kind === "unsent" && !this.resent) {
      // Nothing reached the server (its connection was retired first): once more on a new connection.
      this.resent = true;
      try {
        this.start(this.client.connection());
        return;
      } catch (err) {
        this.settle(err instanceof GrpcCallFailure ? err : new GrpcCallFailure(GrpcCode.UNAVAILABLE, errorText(err)));
        return;
      }
    }
    const outcome = this.outcome(kind, code, reason);
    this.settle(outcome instanceof GrpcCallFailure ? outcome : undefined, outcome instanceof GrpcCallFailure ? undefined : outcome);
  }

  private outcome(kind: "reset" | "connection" | "unsent" | undefined, code: number, reason: string): Buffer | GrpcCallFailure {
    const status = this.status;
    if (status) {
      if (status.code !== GrpcCode.OK) return new GrpcCallFailure(status.code, status.message || "(no grpc-message)");
      const msg = this.reader.message();
      if (msg) return msg;
      if (this.reader.partial()) return new GrpcCallFailure(GrpcCode.INTERNAL, "the response message was cut short before the end of the stream");
      return new GrpcCallFailure(GrpcCode.UNIMPLEMENTED, "status OK without a response message (a unary method answers exactly one)");
    }
    if (this.gotHeaders && this.httpStatus !== 200) {
      return new GrpcCallFailure(httpStatusToGrpcCode(this.httpStatus), `HTTP status ${this.httpStatus} without grpc-status (content-type ${this.contentType ?? "none"})`);
    }
    if (this.gotHeaders && !this.contentType?.startsWith("application/grpc")) {
      return new GrpcCallFailure(GrpcCode.UNKNOWN, `HTTP 200 with content-type ${this.contentType ?? "none"}, not application/grpc`);
    }
    // The stream ended without a status: the connection went away, or the stream was reset.
    if (kind === "connection" || kind === "unsent") return new GrpcCallFailure(GrpcCode.UNAVAILABLE, `connection to ${this.client.url} lost before the answer: ${reason}`);
    if (kind === "reset" && code !== ErrorCode.NO_ERROR) return new GrpcCallFailure(rstCodeToGrpcCode(code), `stream reset before a status: ${reason}`);
    return new GrpcCallFailure(GrpcCode.INTERNAL, `the stream ended without grpc-status${reason ? `: ${reason}` : ""}`);
  }

  private settle(failure: GrpcCallFailure | undefined, msg?: Buffer): void {
    if (this.settled) return;
    this.settled = true;
    clearTimeout(this.timer);
    if (failure) this.reject(failure);
    else this.resolve(msg!);
  }

  /** Fails the call now and resets the stream (RST_STREAM CANCEL), so the server stops working on it. */
  private abort(failure: GrpcCallFailure): void {
    this.settle(failure);
    if (this.conn && this.handle) this.conn.cancel(this.handle, ErrorCode.CANCEL);
  }
}

const EMPTY = Buffer.alloc(0);

function errorText(err: unknown): string {
  const e = err as NodeJS.ErrnoException;
  return e instanceof Error ? (e.code ? `${e.code}: ${e.message}` : e.message) : String(err);
}
