// One HTTP/2 client connection (RFC 9113, cleartext h2c with prior knowledge) on one net.Socket,
// for the extender's unary gRPC client (h2-unary-client.ts). It knows HTTP/2, not gRPC: a stream
// is a request (a header block and a body, sent with END_STREAM) whose answer is handed to a
// StreamSink as header blocks, DATA payloads, and an end or an abort.
//
// What it does: preface + SETTINGS (push off, large stream window) and a connection WINDOW_UPDATE
// at start; waits for the server's SETTINGS before opening streams; a frame reader that copes with
// frames split over or packed into TCP chunks; HEADERS + CONTINUATION (+ padding, priority fields)
// decoded with HPACK (hpack.ts); DATA with padding; send flow control (the server's
// INITIAL_WINDOW_SIZE and connection window, WINDOW_UPDATE, DATA chunked by the server's
// MAX_FRAME_SIZE, writes queued while a window is exhausted); receive flow control (windows
// replenished as data arrives); PING answered, and our own liveness PING; GOAWAY (streams above
// the last stream id fail, the others may finish; the client opens a new connection for new
// calls); RST_STREAM; MAX_CONCURRENT_STREAMS (calls beyond it wait here); odd increasing stream
// ids (the connection stops taking streams before 2^31); protocol errors → GOAWAY to the server
// and every call failed with the reason.
import * as net from "node:net";
import {
  CLIENT_PREFACE,
  DEFAULT_INITIAL_WINDOW,
  DEFAULT_MAX_FRAME_SIZE,
  encodeFrame,
  encodeGoaway,
  encodePing,
  encodeRstStream,
  encodeSettings,
  encodeWindowUpdate,
  ErrorCode,
  errorCodeName,
  Flag,
  FrameType,
  H2ConnectionError,
  MAX_ALLOWED_FRAME_SIZE,
  MAX_WINDOW,
  SettingId,
} from "./h2-frames.js";
import { FrameReader, type FrameReaderStats } from "./h2-frame-reader.js";
import { HeaderBlockAssembler } from "./h2-header-block.js";
import { dataFramesSize, headerFramesSize, writeDataFrames, writeHeaderFrames } from "./h2-request-frames.js";
import { WriteBuffers } from "./write-buffers.js";
import { DEFAULT_MAX_HEADER_LIST_SIZE, HpackDecoder, HpackError, type HeaderList } from "./hpack.js";

/** Receives what happens on one stream. Exactly one of onEnd / onAbort is called, once. */
export interface StreamSink {
  /** A complete header block (response headers, or trailers when endStream). */
  onHeaders(headers: HeaderList, endStream: boolean): void;
  onData(chunk: Buffer): void;
  /** The server ended the stream (END_STREAM). */
  onEnd(): void;
  /**
   * The stream ended without END_STREAM: `reset` — RST_STREAM from the server with `code`;
   * `connection` — the connection failed, closed, or went away (GOAWAY) before the answer;
   * `unsent` — the connection was retired (GOAWAY, stream ids used up) before the request was sent:
   * nothing reached the server, the request may go on another connection.
   */
  onAbort(kind: "reset" | "connection" | "unsent", code: number, reason: string): void;
}

/** Per-stream state: a small plain object. */
interface Stream {
  id: number;
  sink: StreamSink;
  headerBlock: Buffer;
  headerBlock2: Buffer | undefined;
  body: Buffer;
  /** Body octets sent so far; body.length + 1 once END_STREAM went out. */
  sent: number;
  sendWindow: number;
  recvWindow: number;
  /** Octets received since the last stream WINDOW_UPDATE. */
  recvUnacked: number;
}

export interface H2ConnectionOptions {
  host: string;
  port: number;
  /** Our SETTINGS_INITIAL_WINDOW_SIZE (receive window of each stream). */
  streamWindow: number;
  /** Receive window of the connection (the default 65,535 is enlarged to this at start). */
  connectionWindow: number;
  /** The id of the first stream (odd); tests start near 2^31 to see the connection retire. */
  firstStreamId?: number;
  /** The connection is usable: the server's SETTINGS arrived. */
  onReady(): void;
  /** The connection takes no new streams (GOAWAY, ids exhausted, failure): open another for new calls. */
  onRetire(): void;
  /**
   * The connection is gone. `error`: why (undefined for a clean close). `everReady`: whether the
   * server's SETTINGS ever arrived (the client counts a connection that never got there as a
   * failed connection attempt).
   */
  onClose(error: Error | undefined, everReady: boolean): void;
}

/** Largest header block (all HEADERS/CONTINUATION fragments) accepted from the server. */
const MAX_HEADER_BLOCK = 256 * 1024;
/** HPACK dynamic table size update to 0 (RFC 7541 6.3). */
const TABLE_SIZE_ZERO = Buffer.from([0x20]);
/** Highest stream id we open before retiring the connection. */
const LAST_STREAM_ID = 0x7fffffff;

/** Counters of the connection's frame reader. */
export type H2ConnectionStats = FrameReaderStats;

export class H2Connection {
  private readonly socket: net.Socket;
  private readonly reader: FrameReader;
  private readonly decoder = new HpackDecoder();
  private readonly streams = new Map<number, Stream>();
  /** Streams waiting for a MAX_CONCURRENT_STREAMS slot (or for the server's SETTINGS). */
  private readonly waiting: Stream[] = [];
  /** Streams with body octets held back by flow control. */
  private readonly blocked: Stream[] = [];
  private nextStreamId: number;
  private ready = false;
  private retired = false;
  private dead = false;
  // peer settings
  private peerMaxConcurrent = Infinity;
  private peerInitialWindow = DEFAULT_INITIAL_WINDOW;
  private peerMaxFrame = DEFAULT_MAX_FRAME_SIZE;
  private connSendWindow = DEFAULT_INITIAL_WINDOW;
  /** The next header block starts with a dynamic table size update (to 0). */
  private tableSizeUpdate = false;
  // receive side
  private connRecvWindow: number;
  private connRecvUnacked = 0;
  private firstFrame = true;
  private readonly blocks = new HeaderBlockAssembler(MAX_HEADER_BLOCK);
  // liveness PING
  private pingTimer: NodeJS.Timeout | undefined;
  private pingData: Buffer | undefined;
  /** Request frames are written from reused memory. */
  private readonly out = new WriteBuffers();

  constructor(private readonly opts: H2ConnectionOptions) {
    this.nextStreamId = opts.firstStreamId ?? 1;
    this.connRecvWindow = opts.connectionWindow;
    this.reader = new FrameReader(DEFAULT_MAX_FRAME_SIZE, (buf, p, len, type, flags, streamId) => {
      this.onFrame(buf, p, len, type, flags, streamId);
      return !this.dead;
    });
    const socket = net.connect({ host: opts.host, port: opts.port, noDelay: true });
    this.socket = socket;
    socket.unref(); // the connection alone does not keep the process alive (a call's deadline timer does)
    socket.on("connect", () => {
      socket.cork();
      socket.write(CLIENT_PREFACE);
      socket.write(
        encodeSettings([
          [SettingId.ENABLE_PUSH, 0],
          [SettingId.INITIAL_WINDOW_SIZE, opts.streamWindow],
          [SettingId.MAX_HEADER_LIST_SIZE, DEFAULT_MAX_HEADER_LIST_SIZE],
        ]),
      );
      if (opts.connectionWindow > DEFAULT_INITIAL_WINDOW) socket.write(encodeWindowUpdate(0, opts.connectionWindow - DEFAULT_INITIAL_WINDOW));
      socket.uncork();
    });
    socket.on("data", (chunk: Buffer) => this.onSocketData(chunk));
    socket.on("error", (err) => this.fail(err));
    socket.on("end", () => this.fail(new Error(this.ready ? "the server closed the connection" : "the server closed the connection before its HTTP/2 SETTINGS")));
    socket.on("close", () => this.fail(new Error("connection closed")));
  }

  /** Counters of the frame reader (tests, debugging). */
  get stats(): H2ConnectionStats {
    return this.reader.stats;
  }

  /** Whether new streams may go here. */
  usable(): boolean {
    return !this.retired && !this.dead;
  }

  /**
   * Opens a stream for one request: `headerBlock` (+ `headerBlock2`, appended) and `body`, sent with
   * END_STREAM. Returns a handle for cancel(). The sink hears the answer.
   */
  request(sink: StreamSink, headerBlock: Buffer, headerBlock2: Buffer | undefined, body: Buffer): object {
    const s: Stream = { id: 0, sink, headerBlock, headerBlock2, body, sent: 0, sendWindow: 0, recvWindow: this.opts.streamWindow, recvUnacked: 0 };
    if (this.dead || this.retired) {
      // The client only hands streams to a usable connection; this is a race with a failure in the same tick.
      queueMicrotask(() => sink.onAbort("unsent", 0, "the connection is no longer usable"));
      return s;
    }
    if (this.ready && this.streams.size < this.peerMaxConcurrent && this.waiting.length === 0) this.start(s);
    else this.waiting.push(s);
    return s;
  }

  /** Ends a stream from our side (RST_STREAM `code`); its sink hears nothing more. */
  cancel(handle: object, code: number = ErrorCode.CANCEL): void {
    const s = handle as Stream;
    if (s.id === 0) {
      const i = this.waiting.indexOf(s);
      if (i >= 0) this.waiting.splice(i, 1);
      return;
    }
    if (this.streams.get(s.id) !== s) return;
    this.closeStream(s);
    if (!this.dead) this.socket.write(encodeRstStream(s.id, code));
    this.startWaiting();
    this.closeIfIdle();
  }

  /**
   * Liveness check: PINGs the server; no ACK within `timeoutMs` → the connection is dropped (its
   * calls fail). One at a time.
   */
  checkLiveness(timeoutMs: number): void {
    if (this.dead || this.pingTimer) return;
    this.pingData = Buffer.allocUnsafe(8);
    this.pingData.writeDoubleBE(Math.random());
    this.pingTimer = setTimeout(() => {
      this.pingTimer = undefined;
      this.fail(new Error(`no PING ACK within ${timeoutMs} ms (the connection is dead)`));
    }, timeoutMs);
    this.pingTimer.unref();
    this.socket.write(encodePing(this.pingData, false));
  }

  /** Graceful close: GOAWAY, then the socket ends once in-flight streams finish. Waiting streams are aborted. */
  close(): void {
    if (this.dead) return;
    this.retire();
    for (const s of this.waiting.splice(0)) s.sink.onAbort("connection", 0, "the client is closed");
    if (this.ready) this.socket.write(encodeGoaway(0, ErrorCode.NO_ERROR));
    this.closeIfIdle();
  }

  /** Drops the connection now: every stream is aborted with `err`. */
  destroy(err: Error): void {
    this.fail(err);
  }

  // ------------------------------------------------------------------ sending

  private start(s: Stream): void {
    if (this.nextStreamId > LAST_STREAM_ID) {
      this.retire();
      this.waiting.push(s);
      return;
    }
    s.id = this.nextStreamId;
    this.nextStreamId += 2;
    if (this.nextStreamId > LAST_STREAM_ID) this.retire();
    s.sendWindow = this.peerInitialWindow;
    this.streams.set(s.id, s);
    let hb1 = s.headerBlock;
    const hb2 = s.headerBlock2;
    if (this.tableSizeUpdate) {
      this.tableSizeUpdate = false;
      hb1 = Buffer.concat([TABLE_SIZE_ZERO, hb1]);
    }
    const hbLen = hb1.length + (hb2 ? hb2.length : 0);
    // How much body goes out now (windows permitting), in frames of at most peerMaxFrame.
    const bodyNow = Math.min(s.body.length, Math.max(0, Math.min(this.connSendWindow, s.sendWindow)));
    const endNow = bodyNow === s.body.length;
    const out = this.out.take(headerFramesSize(hbLen, this.peerMaxFrame) + dataFramesSize(bodyNow, endNow, this.peerMaxFrame));
    const pos = writeHeaderFrames(out, 0, s.id, hb1, hb2, this.peerMaxFrame);
    this.fillData(s, out, pos, bodyNow, endNow);
    this.out.write(this.socket, out);
    if (!endNow) this.blocked.push(s);
  }

  /** Writes DATA frames for the next `n` body octets of `s` into `out` at `pos` and charges the windows. */
  private fillData(s: Stream, out: Buffer, pos: number, n: number, end: boolean): void {
    writeDataFrames(out, pos, s.id, s.body, s.sent, n, end, this.peerMaxFrame);
    this.connSendWindow -= n;
    s.sendWindow -= n;
    s.sent = end ? s.body.length + 1 : s.sent + n;
  }

  /** Sends what the windows now allow for blocked streams, in order. */
  private flushBlocked(): void {
    while (this.blocked.length > 0 && this.connSendWindow > 0 && !this.dead) {
      let progressed = false;
      for (let i = 0; i < this.blocked.length && this.connSendWindow > 0; ) {
        const s = this.blocked[i]!;
        const left = s.body.length - s.sent;
        const n = Math.min(left, this.connSendWindow, s.sendWindow);
        if (n <= 0 && left > 0) {
          i++;
          continue;
        }
        const end = n === left;
        const out = this.out.take(dataFramesSize(n, end, this.peerMaxFrame));
        this.fillData(s, out, 0, n, end);
        this.out.write(this.socket, out);
        progressed = true;
        if (end) this.blocked.splice(i, 1);
        else i++;
      }
      if (!progressed) break;
    }
  }

  private startWaiting(): void {
    while (this.ready && !this.dead && this.waiting.length > 0 && this.streams.size < this.peerMaxConcurrent) {
      if (this.retired) {
        // GOAWAY or ids exhausted: waiting calls never reach this server; the client reroutes them.
        for (const s of this.waiting.splice(0)) s.sink.onAbort("unsent", ErrorCode.REFUSED_STREAM, "the connection was retired before the call started");
        return;
      }
      this.start(this.waiting.shift()!);
    }
  }

  // ------------------------------------------------------------------ receiving

  private onSocketData(chunk: Buffer): void {
    if (this.dead) return;
    try {
      this.reader.push(chunk);
    } catch (err) {
      if (err instanceof H2ConnectionError) this.protocolError(err);
      else if (err instanceof HpackError) this.protocolError(new H2ConnectionError(ErrorCode.COMPRESSION_ERROR, `bad header block: ${err.message}`));
      else this.fail(err as Error);
    }
  }

  private onFrame(buf: Buffer, p: number, len: number, type: number, flags: number, streamId: number): void {
    if (this.firstFrame) {
      this.firstFrame = false;
      if (type !== FrameType.SETTINGS || (flags & Flag.ACK) !== 0) {
        throw new H2ConnectionError(ErrorCode.PROTOCOL_ERROR, `the server's first frame is not SETTINGS (type ${type}); is it an HTTP/2 server?`);
      }
    }
    const open = this.blocks.openStreamId;
    if (open !== 0 && (type !== FrameType.CONTINUATION || streamId !== open)) {
      throw new H2ConnectionError(ErrorCode.PROTOCOL_ERROR, `frame type ${type} on stream ${streamId} inside a header block of stream ${open} (CONTINUATION expected)`);
    }
    switch (type) {
      case FrameType.DATA:
        return this.onDataFrame(buf, p, len, flags, streamId);
      case FrameType.HEADERS: {
        if (streamId === 0) throw new H2ConnectionError(ErrorCode.PROTOCOL_ERROR, "HEADERS on stream 0");
        if (streamId % 2 === 0 || streamId >= this.nextStreamId) throw new H2ConnectionError(ErrorCode.PROTOCOL_ERROR, `HEADERS on stream ${streamId}, which we never opened`);
        const block = this.blocks.headers(buf, p, len, flags, streamId);
        if (block) this.onHeaderBlock(block);
        return;
      }
      case FrameType.CONTINUATION: {
        const block = this.blocks.continuation(buf, p, len, flags);
        if (block) this.onHeaderBlock(block);
        return;
      }
      case FrameType.PRIORITY:
        if (streamId === 0) throw new H2ConnectionError(ErrorCode.PROTOCOL_ERROR, "PRIORITY on stream 0");
        if (len !== 5) throw new H2ConnectionError(ErrorCode.FRAME_SIZE_ERROR, `PRIORITY of ${len} octets`);
        return;
      case FrameType.RST_STREAM:
        return this.onRstStream(buf, p, len, streamId);
      case FrameType.SETTINGS:
        return this.onSettings(buf, p, len, flags, streamId);
      case FrameType.PUSH_PROMISE:
        throw new H2ConnectionError(ErrorCode.PROTOCOL_ERROR, "PUSH_PROMISE although we disabled push");
      case FrameType.PING:
        if (streamId !== 0) throw new H2ConnectionError(ErrorCode.PROTOCOL_ERROR, "PING on a stream");
        if (len !== 8) throw new H2ConnectionError(ErrorCode.FRAME_SIZE_ERROR, `PING of ${len} octets`);
        if (flags & Flag.ACK) {
          if (this.pingData && this.pingData.equals(buf.subarray(p, p + 8))) {
            clearTimeout(this.pingTimer);
            this.pingTimer = undefined;
            this.pingData = undefined;
          }
        } else {
          this.socket.write(encodePing(buf.subarray(p, p + 8), true));
        }
        return;
      case FrameType.GOAWAY:
        return this.onGoaway(buf, p, len, streamId);
      case FrameType.WINDOW_UPDATE:
        return this.onWindowUpdate(buf, p, len, streamId);
      default:
        return; // unknown frame types are ignored (RFC 9113 4.1)
    }
  }

  private onDataFrame(buf: Buffer, p: number, len: number, flags: number, streamId: number): void {
    if (streamId === 0) throw new H2ConnectionError(ErrorCode.PROTOCOL_ERROR, "DATA on stream 0");
    if (streamId >= this.nextStreamId) throw new H2ConnectionError(ErrorCode.PROTOCOL_ERROR, `DATA on stream ${streamId}, which was never opened`);
    if (len > this.connRecvWindow) throw new H2ConnectionError(ErrorCode.FLOW_CONTROL_ERROR, `DATA of ${len} octets beyond the connection window (${this.connRecvWindow})`);
    let start = p;
    let end = p + len;
    if (flags & Flag.PADDED) {
      if (len < 1) throw new H2ConnectionError(ErrorCode.FRAME_SIZE_ERROR, "padded DATA without a pad length");
      const pad = buf[p]!;
      if (pad >= len) throw new H2ConnectionError(ErrorCode.PROTOCOL_ERROR, `DATA padding ${pad} not smaller than the frame (${len})`);
      start = p + 1;
      end = p + len - pad;
    }
    // Connection flow control counts the whole frame payload, whatever becomes of the stream.
    this.connRecvWindow -= len;
    this.connRecvUnacked += len;
    if (this.connRecvUnacked >= this.opts.connectionWindow / 2) {
      this.socket.write(encodeWindowUpdate(0, this.connRecvUnacked));
      this.connRecvWindow += this.connRecvUnacked;
      this.connRecvUnacked = 0;
    }
    const s = this.streams.get(streamId);
    if (!s) return; // a stream we cancelled: frames already in flight
    if (len > s.recvWindow) {
      this.resetStream(s, ErrorCode.FLOW_CONTROL_ERROR, `the server sent ${len} octets beyond the stream window (${s.recvWindow})`);
      return;
    }
    s.recvWindow -= len;
    const endStream = (flags & Flag.END_STREAM) !== 0;
    if (end > start) s.sink.onData(buf.subarray(start, end));
    if (this.streams.get(streamId) !== s) return; // the sink cancelled the stream
    if (endStream) {
      this.endStream(s);
      return;
    }
    s.recvUnacked += len;
    if (s.recvUnacked >= this.opts.streamWindow / 2) {
      this.socket.write(encodeWindowUpdate(s.id, s.recvUnacked));
      s.recvWindow += s.recvUnacked;
      s.recvUnacked = 0;
    }
  }

  /** A complete header block: decoded (even for a stream we no longer track: HPACK state must stay in step), then delivered. */
  private onHeaderBlock(block: Buffer): void {
    const streamId = this.blocks.streamId;
    const endStream = this.blocks.endStream;
    const headers = this.decoder.decode(block);
    const s = this.streams.get(streamId);
    if (!s) return;
    s.sink.onHeaders(headers, endStream);
    if (endStream && this.streams.get(streamId) === s) this.endStream(s);
  }

  private onRstStream(buf: Buffer, p: number, len: number, streamId: number): void {
    if (streamId === 0) throw new H2ConnectionError(ErrorCode.PROTOCOL_ERROR, "RST_STREAM on stream 0");
    if (len !== 4) throw new H2ConnectionError(ErrorCode.FRAME_SIZE_ERROR, `RST_STREAM of ${len} octets`);
    if (streamId >= this.nextStreamId) throw new H2ConnectionError(ErrorCode.PROTOCOL_ERROR, `RST_STREAM on stream ${streamId}, which was never opened`);
    const s = this.streams.get(streamId);
    if (!s) return;
    const code = buf.readUInt32BE(p);
    this.closeStream(s);
    s.sink.onAbort("reset", code, `RST_STREAM ${errorCodeName(code)}`);
    this.startWaiting();
    this.closeIfIdle();
  }

  private onSettings(buf: Buffer, p: number, len: number, flags: number, streamId: number): void {
    if (streamId !== 0) throw new H2ConnectionError(ErrorCode.PROTOCOL_ERROR, "SETTINGS on a stream");
    if (flags & Flag.ACK) {
      if (len !== 0) throw new H2ConnectionError(ErrorCode.FRAME_SIZE_ERROR, "SETTINGS ACK with a payload");
      return;
    }
    if (len % 6 !== 0) throw new H2ConnectionError(ErrorCode.FRAME_SIZE_ERROR, `SETTINGS of ${len} octets (not a multiple of 6)`);
    for (let i = p; i < p + len; i += 6) {
      const id = buf.readUInt16BE(i);
      const value = buf.readUInt32BE(i + 2);
      switch (id) {
        case SettingId.ENABLE_PUSH:
          if (value > 1) throw new H2ConnectionError(ErrorCode.PROTOCOL_ERROR, `SETTINGS_ENABLE_PUSH ${value}`);
          break;
        case SettingId.MAX_CONCURRENT_STREAMS:
          this.peerMaxConcurrent = value;
          break;
        case SettingId.INITIAL_WINDOW_SIZE: {
          if (value > MAX_WINDOW) throw new H2ConnectionError(ErrorCode.FLOW_CONTROL_ERROR, `SETTINGS_INITIAL_WINDOW_SIZE ${value} above 2^31-1`);
          const delta = value - this.peerInitialWindow;
          this.peerInitialWindow = value;
          for (const s of this.streams.values()) {
            s.sendWindow += delta;
            if (s.sendWindow > MAX_WINDOW) throw new H2ConnectionError(ErrorCode.FLOW_CONTROL_ERROR, "a stream window above 2^31-1 after SETTINGS_INITIAL_WINDOW_SIZE");
          }
          break;
        }
        case SettingId.HEADER_TABLE_SIZE:
          // The server's HPACK decoder table for our header blocks changed: RFC 7541 4.2 wants a
          // size update at the start of our next block. We never index, so 0 always fits.
          this.tableSizeUpdate = true;
          break;
        case SettingId.MAX_FRAME_SIZE:
          if (value < DEFAULT_MAX_FRAME_SIZE || value > MAX_ALLOWED_FRAME_SIZE) throw new H2ConnectionError(ErrorCode.PROTOCOL_ERROR, `SETTINGS_MAX_FRAME_SIZE ${value} out of range`);
          this.peerMaxFrame = value;
          break;
        default:
          break; // MAX_HEADER_LIST_SIZE: our blocks are small; unknown: ignored
      }
    }
    this.socket.write(encodeFrame(FrameType.SETTINGS, Flag.ACK, 0));
    if (!this.ready) {
      this.ready = true;
      this.opts.onReady();
    }
    this.startWaiting();
    this.flushBlocked();
  }

  private onGoaway(buf: Buffer, p: number, len: number, streamId: number): void {
    if (streamId !== 0) throw new H2ConnectionError(ErrorCode.PROTOCOL_ERROR, "GOAWAY on a stream");
    if (len < 8) throw new H2ConnectionError(ErrorCode.FRAME_SIZE_ERROR, `GOAWAY of ${len} octets`);
    const lastId = buf.readUInt32BE(p) & 0x7fffffff;
    const code = buf.readUInt32BE(p + 4);
    const debug = len > 8 ? `: ${buf.toString("utf8", p + 8, p + len)}` : "";
    if (code !== ErrorCode.NO_ERROR) {
      // An error GOAWAY ends the connection: nothing more will come, whatever the last stream id.
      this.fail(new Error(`the server sent GOAWAY ${errorCodeName(code)}${debug}`));
      return;
    }
    this.retire();
    const reason = `the server sent GOAWAY ${errorCodeName(code)}${debug} before handling the call`;
    for (const s of [...this.streams.values()]) {
      if (s.id > lastId) {
        this.closeStream(s);
        s.sink.onAbort("connection", code, reason);
      }
    }
    for (const s of this.waiting.splice(0)) s.sink.onAbort("unsent", ErrorCode.REFUSED_STREAM, reason);
    this.closeIfIdle();
  }

  private onWindowUpdate(buf: Buffer, p: number, len: number, streamId: number): void {
    if (len !== 4) throw new H2ConnectionError(ErrorCode.FRAME_SIZE_ERROR, `WINDOW_UPDATE of ${len} octets`);
    const inc = buf.readUInt32BE(p) & 0x7fffffff;
    if (streamId === 0) {
      if (inc === 0) throw new H2ConnectionError(ErrorCode.PROTOCOL_ERROR, "WINDOW_UPDATE of 0 on the connection");
      this.connSendWindow += inc;
      if (this.connSendWindow > MAX_WINDOW) throw new H2ConnectionError(ErrorCode.FLOW_CONTROL_ERROR, "connection window above 2^31-1");
    } else {
      const s = this.streams.get(streamId);
      if (!s) return;
      if (inc === 0) return this.resetStream(s, ErrorCode.PROTOCOL_ERROR, "WINDOW_UPDATE of 0 on the stream");
      s.sendWindow += inc;
      if (s.sendWindow > MAX_WINDOW) return this.resetStream(s, ErrorCode.FLOW_CONTROL_ERROR, "stream window above 2^31-1");
    }
    this.flushBlocked();
  }

  // ------------------------------------------------------------------ stream and connection ends

  /** END_STREAM from the server. Our side has sent END_STREAM (or not: then we stop sending and reset). */
  private endStream(s: Stream): void {
    const unsent = s.sent <= s.body.length;
    this.closeStream(s);
    if (unsent) this.socket.write(encodeRstStream(s.id, ErrorCode.NO_ERROR));
    s.sink.onEnd();
    this.startWaiting();
    this.closeIfIdle();
  }

  /** A stream error on our side: RST_STREAM to the server and the sink aborted. */
  private resetStream(s: Stream, code: number, reason: string): void {
    this.closeStream(s);
    this.socket.write(encodeRstStream(s.id, code));
    s.sink.onAbort("reset", code, `${reason} (we reset the stream)`);
    this.startWaiting();
  }

  private closeStream(s: Stream): void {
    this.streams.delete(s.id);
    if (s.sent <= s.body.length) {
      const i = this.blocked.indexOf(s);
      if (i >= 0) this.blocked.splice(i, 1);
    }
  }

  private retire(): void {
    if (this.retired) return;
    this.retired = true;
    this.opts.onRetire();
  }

  private closeIfIdle(): void {
    if (this.retired && !this.dead && this.streams.size === 0 && this.waiting.length === 0) {
      this.dead = true;
      clearTimeout(this.pingTimer);
      if (this.ready) this.socket.end();
      else this.socket.destroy(); // still connecting: nothing to say to the server
      this.opts.onClose(undefined, this.ready);
    }
  }

  private protocolError(err: H2ConnectionError): void {
    if (this.dead) return;
    // Last stream id 0: we process no server-initiated streams.
    this.socket.write(encodeGoaway(0, err.code, err.message.slice(0, 200)));
    this.fail(new Error(`HTTP/2 protocol error (${errorCodeName(err.code)}): ${err.message}`), true);
  }

  /** The connection is over: every stream and waiting call aborted with `err`. `flush`: let queued writes (a GOAWAY) go out first. */
  private fail(err: Error, flush = false): void {
    if (this.dead) return;
    this.dead = true;
    clearTimeout(this.pingTimer);
    this.retire();
    const streams = [...this.streams.values(), ...this.waiting];
    this.streams.clear();
    this.waiting.length = 0;
    this.blocked.length = 0;
    if (flush) {
      this.socket.end();
      setTimeout(() => this.socket.destroy(), 1000).unref();
    } else {
      this.socket.destroy();
    }
    for (const s of streams) s.sink.onAbort("connection", 0, err.message);
    this.opts.onClose(err, this.ready);
  }
}
