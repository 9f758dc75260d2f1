// Pure pieces of the gRPC-over-HTTP/2 wire protocol (grpc/grpc doc/PROTOCOL-HTTP2.md) used by the
// extender's lean unary client (h2-unary-client.ts): the grpc-timeout header, grpc-message
// percent-decoding, the HTTP-status -> gRPC-code table for answers without grpc-status
// (doc/http-grpc-status-mapping.md), RST_STREAM codes -> gRPC codes, and the 5-byte
// length-prefixed message framing (encode, and reassembly across DATA frames). No I/O here.
import { ErrorCode } from "./h2-frames.js";

/** gRPC status codes (the numbers are the wire values; same as grpc-js's `status`). */
export const GrpcCode = {
  OK: 0,
  CANCELLED: 1,
  UNKNOWN: 2,
  INVALID_ARGUMENT: 3,
  DEADLINE_EXCEEDED: 4,
  NOT_FOUND: 5,
  ALREADY_EXISTS: 6,
  PERMISSION_DENIED: 7,
  RESOURCE_EXHAUSTED: 8,
  FAILED_PRECONDITION: 9,
  ABORTED: 10,
  OUT_OF_RANGE: 11,
  UNIMPLEMENTED: 12,
  INTERNAL: 13,
  UNAVAILABLE: 14,
  DATA_LOSS: 15,
  UNAUTHENTICATED: 16,
} as const;

/** A failed call as the wire reports it: a gRPC code and a human-readable message. */
export class GrpcCallFailure extends Error {
  constructor(
    readonly code: number,
    readonly details: string,
    options?: { cause?: unknown },
  ) {
    super(details, options);
  }
}

const TIMEOUT_UNITS: readonly [number, string][] = [
  [1e-3, "u"],
  [1, "m"],
  [1e3, "S"],
  [60e3, "M"],
  [3600e3, "H"],
];

/**
 * grpc-timeout for a deadline `ms` from now: at most 8 digits and a unit (H M S m u n). The value
 * is rounded up so the server never sees a shorter deadline than the client's: whole milliseconds
 * as `NNNm`, fractions in the finest unit that fits 8 digits (microseconds first). Minimum 1 unit.
 */
export function formatGrpcTimeout(ms: number): string {
  if (!Number.isFinite(ms) || ms <= 0) return "1n";
  if (Number.isInteger(ms) && ms < 1e8) return `${ms}m`;
  for (const [unitMs, unit] of TIMEOUT_UNITS) {
    const v = Math.ceil(ms / unitMs);
    if (v < 1e8) return `${Math.max(1, v)}${unit}`;
  }
  return "99999999H";
}

const hexValue = (c: number) => (c >= 48 && c <= 57 ? c - 48 : c >= 65 && c <= 70 ? c - 55 : c >= 97 && c <= 102 ? c - 87 : -1);

/**
 * grpc-message is percent-encoded UTF-8. Decodes %XX sequences; a malformed sequence (a `%` not
 * followed by two hex digits) is kept as written, as the spec asks ("MUST NOT error or throw away
 * the message"). Invalid UTF-8 after decoding becomes U+FFFD.
 */
export function decodeGrpcMessage(raw: string): string {
  if (!raw.includes("%")) return raw;
  const bytes: number[] = [];
  for (let i = 0; i < raw.length; i++) {
    const c = raw.charCodeAt(i);
    if (c === 37 /* % */ && i + 2 < raw.length && hexValue(raw.charCodeAt(i + 1)) >= 0 && hexValue(raw.charCodeAt(i + 2)) >= 0) {
      bytes.push(hexValue(raw.charCodeAt(i + 1)) * 16 + hexValue(raw.charCodeAt(i + 2)));
      i += 2;
    } else if (c < 0x100) {
      bytes.push(c); // header values arrive as latin1 characters, one per octet
    } else {
      for (const b of Buffer.from(raw[i]!, "utf8")) bytes.push(b);
    }
  }
  return Buffer.from(bytes).toString("utf8");
}

/** Percent-encodes a status message as a server would (for tests and symmetry). */
export function encodeGrpcMessage(text: string): string {
  let out = "";
  for (const b of Buffer.from(text, "utf8")) out += b >= 0x20 && b <= 0x7e && b !== 0x25 ? String.fromCharCode(b) : `%${b.toString(16).toUpperCase().padStart(2, "0")}`;
  return out;
}

/** An answer without grpc-status: its HTTP status decides (used only when grpc-status is absent). */
export function httpStatusToGrpcCode(httpStatus: number): number {
  switch (httpStatus) {
    case 400:
    case 431:
      return GrpcCode.INTERNAL;
    case 401:
      return GrpcCode.UNAUTHENTICATED;
    case 403:
      return GrpcCode.PERMISSION_DENIED;
    case 404:
      return GrpcCode.UNIMPLEMENTED;
    case 429:
    case 502:
    case 503:
    case 504:
      return GrpcCode.UNAVAILABLE;
    default:
      return httpStatus >= 100 && httpStatus < 200 ? GrpcCode.INTERNAL : GrpcCode.UNKNOWN;
  }
}

/** A stream reset by the server before any status (PROTOCOL-HTTP2.md, "Errors"). */
export function rstCodeToGrpcCode(rstCode: number): number {
  switch (rstCode) {
    case ErrorCode.REFUSED_STREAM:
      return GrpcCode.UNAVAILABLE;
    case ErrorCode.CANCEL:
      return GrpcCode.CANCELLED;
    case ErrorCode.ENHANCE_YOUR_CALM:
      return GrpcCode.RESOURCE_EXHAUSTED;
    case ErrorCode.INADEQUATE_SECURITY:
      return GrpcCode.PERMISSION_DENIED;
    default:
      return GrpcCode.INTERNAL;
  }
}

/** The status carried by grpc-status / grpc-message headers, or undefined when there is none. */
export function parseGrpcStatus(headers: Record<string, string | string[] | number | undefined>): { code: number; message: string } | undefined {
  const raw = headers["grpc-status"];
  if (raw === undefined) return undefined;
  const text = String(Array.isArray(raw) ? raw[0] : raw);
  const code = /^\d{1,2}$/.test(text) ? Number(text) : NaN;
  const msgRaw = headers["grpc-message"];
  const message = msgRaw === undefined ? "" : decodeGrpcMessage(String(Array.isArray(msgRaw) ? msgRaw[0] : msgRaw));
  // A status that does not parse is itself an error: UNKNOWN (statuscodes.md, "Error parsing returned status").
  if (!(code >= 0 && code <= 16)) return { code: GrpcCode.UNKNOWN, message: `malformed grpc-status ${JSON.stringify(text)}${message ? `: ${message}` : ""}` };
  return { code, message };
}

/** One message framed for the wire: compressed flag 0, 4-byte big-endian length, the bytes. */
export function frameMessage(message: Uint8Array): Buffer {
  const out = Buffer.allocUnsafe(5 + message.length);
  out[0] = 0;
  out.writeUInt32BE(message.length, 1);
  out.set(message, 5);
  return out;
}

/**
 * Reassembles the one message of a unary answer from DATA chunks split anywhere (inside the
 * 5-byte prefix too). Fails (throws GrpcCallFailure) on a compressed message (this client
 * advertises no grpc-accept-encoding), a second message (a unary method answers exactly one), or a
 * declared length above `maxBytes` — checked from the prefix, before the body is buffered.
 */
export class UnaryMessageReader {
  /** Only needed when a prefix arrives split over chunks: allocated then. */
  private prefix: Buffer | undefined;
  private prefixFill = 0;
  private body: Buffer | undefined;
  private bodyFill = 0;
  private done: Buffer | undefined;

  constructor(private readonly maxBytes: number) {}

  push(chunk: Buffer): void {
    let off = 0;
    while (off < chunk.length) {
      if (this.done) throw new GrpcCallFailure(GrpcCode.UNIMPLEMENTED, "more than one response message for a unary method");
      if (this.body === undefined) {
        // Fast path: a whole message in this chunk is sliced, not copied.
        if (this.prefixFill === 0 && chunk.length - off >= 5) {
          const len = this.checkPrefix(chunk[off]!, chunk.readUInt32BE(off + 1));
          if (chunk.length - off - 5 >= len) {
            this.done = chunk.subarray(off + 5, off + 5 + len);
            off += 5 + len;
            continue;
          }
          this.body = Buffer.allocUnsafe(len);
          off += 5;
          continue;
        }
        const take = Math.min(5 - this.prefixFill, chunk.length - off);
        const prefix = (this.prefix ??= Buffer.alloc(5));
        chunk.copy(prefix, this.prefixFill, off, off + take);
        this.prefixFill += take;
        off += take;
        if (this.prefixFill < 5) return;
        const len = this.checkPrefix(prefix[0]!, prefix.readUInt32BE(1));
        this.prefixFill = 0;
        this.body = Buffer.allocUnsafe(len);
        if (len === 0) this.finishBody();
        continue;
      }
      const take = Math.min(this.body.length - this.bodyFill, chunk.length - off);
      chunk.copy(this.body, this.bodyFill, off, off + take);
      this.bodyFill += take;
      off += take;
      if (this.bodyFill === this.body.length) this.finishBody();
    }
  }

  /** The message once complete; undefined while none or only part of one has arrived. */
  message(): Buffer | undefined {
    return this.done;
  }

  /** True when bytes of an unfinished message are buffered (the stream ended mid-message). */
  partial(): boolean {
    return this.prefixFill > 0 || this.body !== undefined;
  }

  private finishBody(): void {
    this.done = this.body;
    this.body = undefined;
    this.bodyFill = 0;
  }

  private checkPrefix(flag: number, len: number): number {
    if (flag === 1) throw new GrpcCallFailure(GrpcCode.INTERNAL, "compressed response message (flag 1) but this client accepts no compression (it sends no grpc-accept-encoding)");
    if (flag !== 0) throw new GrpcCallFailure(GrpcCode.INTERNAL, `malformed response message: compressed flag ${flag} (expected 0 or 1)`);
    if (len > this.maxBytes) throw new GrpcCallFailure(GrpcCode.RESOURCE_EXHAUSTED, `response message of ${len} bytes exceeds the maximum of ${this.maxBytes} bytes`);
    return len;
  }
}
