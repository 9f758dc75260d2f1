// The frames of one request (RFC 9113 6.1, 6.2, 6.10), written straight into one Buffer so a
// request goes out in one socket write: HEADERS (+ CONTINUATION when the header block is above the
// server's MAX_FRAME_SIZE) and DATA frames of at most that size. No I/O and no flow control here:
// h2-connection.ts decides how many body octets the windows allow.
import { Flag, FRAME_HEADER_BYTES, FrameType, writeFrameHeader } from "./h2-frames.js";

/** Octets of the HEADERS (+ CONTINUATION) frames carrying a `blockLen`-octet header block. */
export function headerFramesSize(blockLen: number, maxFrame: number): number {
  return FRAME_HEADER_BYTES * Math.max(1, Math.ceil(blockLen / maxFrame)) + blockLen;
}

/** Writes the header block `hb1` + `hb2` as HEADERS (+ CONTINUATION) frames at `pos`; returns the end. */
export function writeHeaderFrames(out: Buffer, pos: number, streamId: number, hb1: Buffer, hb2: Buffer | undefined, maxFrame: number): number {
  const blockLen = hb1.length + (hb2 ? hb2.length : 0);
  if (blockLen <= maxFrame) {
    writeFrameHeader(out, pos, blockLen, FrameType.HEADERS, Flag.END_HEADERS, streamId);
    pos += FRAME_HEADER_BYTES;
    out.set(hb1, pos);
    pos += hb1.length;
    if (hb2) {
      out.set(hb2, pos);
      pos += hb2.length;
    }
    return pos;
  }
  const block = hb2 ? Buffer.concat([hb1, hb2]) : hb1;
  for (let off = 0; off < block.length; off += maxFrame) {
    const n = Math.min(maxFrame, block.length - off);
    const last = off + n === block.length;
    writeFrameHeader(out, pos, n, off === 0 ? FrameType.HEADERS : FrameType.CONTINUATION, last ? Flag.END_HEADERS : 0, streamId);
    pos += FRAME_HEADER_BYTES;
    block.copy(out, pos, off, off + n);
    pos += n;
  }
  return pos;
}

/** Octets of the DATA frames carrying `n` body octets (one empty frame when n is 0 and `end`). */
export function dataFramesSize(n: number, end: boolean, maxFrame: number): number {
  if (n === 0) return end ? FRAME_HEADER_BYTES : 0;
  return FRAME_HEADER_BYTES * Math.ceil(n / maxFrame) + n;
}

/** Writes body[from, from + n) as DATA frames at `pos`, END_STREAM on the last when `end`; returns the end. */
export function writeDataFrames(out: Buffer, pos: number, streamId: number, body: Buffer, from: number, n: number, end: boolean, maxFrame: number): number {
  if (n === 0) {
    if (!end) return pos;
    writeFrameHeader(out, pos, 0, FrameType.DATA, Flag.END_STREAM, streamId);
    return pos + FRAME_HEADER_BYTES;
  }
  const stop = from + n;
  for (let at = from; at < stop; ) {
    const len = Math.min(maxFrame, stop - at);
    writeFrameHeader(out, pos, len, FrameType.DATA, end && at + len === stop ? Flag.END_STREAM : 0, streamId);
    pos += FRAME_HEADER_BYTES;
    body.copy(out, pos, at, at + len);
    pos += len;
    at += len;
  }
  return pos;
}
