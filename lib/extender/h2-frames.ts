// HTTP/2 framing facts (RFC 9113) for the extender's client (h2-connection.ts): frame types, flags,
// SETTINGS ids, error codes, the 9-octet frame header, and encoders of the few frames a client
// sends. No I/O here.

export const FrameType = {
  DATA: 0x0,
  HEADERS: 0x1,
  PRIORITY: 0x2,
  RST_STREAM: 0x3,
  SETTINGS: 0x4,
  PUSH_PROMISE: 0x5,
  PING: 0x6,
  GOAWAY: 0x7,
  WINDOW_UPDATE: 0x8,
  CONTINUATION: 0x9,
} as const;

export const Flag = {
  END_STREAM: 0x1,
  ACK: 0x1,
  END_HEADERS: 0x4,
  PADDED: 0x8,
  PRIORITY: 0x20,
} as const;

export const SettingId = {
  HEADER_TABLE_SIZE: 0x1,
  ENABLE_PUSH: 0x2,
  MAX_CONCURRENT_STREAMS: 0x3,
  INITIAL_WINDOW_SIZE: 0x4,
  MAX_FRAME_SIZE: 0x5,
  MAX_HEADER_LIST_SIZE: 0x6,
} as const;

export const ErrorCode = {
  NO_ERROR: 0x0,
  PROTOCOL_ERROR: 0x1,
  INTERNAL_ERROR: 0x2,
  FLOW_CONTROL_ERROR: 0x3,
  SETTINGS_TIMEOUT: 0x4,
  STREAM_CLOSED: 0x5,
  FRAME_SIZE_ERROR: 0x6,
  REFUSED_STREAM: 0x7,
  CANCEL: 0x8,
  COMPRESSION_ERROR: 0x9,
  CONNECT_ERROR: 0xa,
  ENHANCE_YOUR_CALM: 0xb,
  INADEQUATE_SECURITY: 0xc,
  HTTP_1_1_REQUIRED: 0xd,
} as const;

const ERROR_NAMES = Object.fromEntries(Object.entries(ErrorCode).map(([k, v]) => [v, k])) as Record<number, string>;

/** "CANCEL (8)", or "0x2a" for an unknown code. */
export function errorCodeName(code: number): string {
  const name = ERROR_NAMES[code];
  return name ? `${name} (${code})` : `0x${code.toString(16)}`;
}

/** The client connection preface (RFC 9113 3.4). */
export const CLIENT_PREFACE = Buffer.from("PRI * HTTP/2.0\r\n\r\nSM\r\n\r\n", "latin1");
export const FRAME_HEADER_BYTES = 9;
export const DEFAULT_MAX_FRAME_SIZE = 16_384;
export const MAX_ALLOWED_FRAME_SIZE = 16_777_215;
export const DEFAULT_INITIAL_WINDOW = 65_535;
export const MAX_WINDOW = 0x7fffffff;

/** Writes a 9-octet frame header at `off` of `out`. */
export function writeFrameHeader(out: Buffer, off: number, length: number, type: number, flags: number, streamId: number): void {
  out[off] = (length >>> 16) & 0xff;
  out[off + 1] = (length >>> 8) & 0xff;
  out[off + 2] = length & 0xff;
  out[off + 3] = type;
  out[off + 4] = flags;
  out.writeUInt32BE(streamId & 0x7fffffff, off + 5);
}

/** One whole frame with `payload`. */
export function encodeFrame(type: number, flags: number, streamId: number, payload?: Uint8Array): Buffer {
  const len = payload ? payload.length : 0;
  const out = Buffer.allocUnsafe(FRAME_HEADER_BYTES + len);
  writeFrameHeader(out, 0, len, type, flags, streamId);
  if (payload) out.set(payload, FRAME_HEADER_BYTES);
  return out;
}

export function encodeSettings(settings: readonly (readonly [number, number])[]): Buffer {
  const payload = Buffer.allocUnsafe(6 * settings.length);
  settings.forEach(([id, value], i) => {
    payload.writeUInt16BE(id, 6 * i);
    payload.writeUInt32BE(value, 6 * i + 2);
  });
  return encodeFrame(FrameType.SETTINGS, 0, 0, payload);
}

export function encodeWindowUpdate(streamId: number, increment: number): Buffer {
  const out = Buffer.allocUnsafe(FRAME_HEADER_BYTES + 4);
  writeFrameHeader(out, 0, 4, FrameType.WINDOW_UPDATE, 0, streamId);
  out.writeUInt32BE(increment & 0x7fffffff, FRAME_HEADER_BYTES);
  return out;
}

export function encodeRstStream(streamId: number, code: number): Buffer {
  const out = Buffer.allocUnsafe(FRAME_HEADER_BYTES + 4);
  writeFrameHeader(out, 0, 4, FrameType.RST_STREAM, 0, streamId);
  out.writeUInt32BE(code, FRAME_HEADER_BYTES);
  return out;
}

export function encodeGoaway(lastStreamId: number, code: number, debug = ""): Buffer {
  const dbg = Buffer.from(debug, "utf8");
  const payload = Buffer.allocUnsafe(8 + dbg.length);
  payload.writeUInt32BE(lastStreamId & 0x7fffffff, 0);
  payload.writeUInt32BE(code, 4);
  dbg.copy(payload, 8);
  return encodeFrame(FrameType.GOAWAY, 0, 0, payload);
}

export function encodePing(data: Uint8Array, ack: boolean): Buffer {
  return encodeFrame(FrameType.PING, ack ? Flag.ACK : 0, 0, data);
}

/** A connection error (RFC 9113 5.4.1): the connection is closed with GOAWAY `code`. */
export class H2ConnectionError extends Error {
  constructor(
    readonly code: number,
    message: string,
  ) {
    super(message);
  }
}
