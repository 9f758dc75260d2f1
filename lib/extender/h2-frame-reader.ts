// Cuts the bytes of an HTTP/2 connection into frames (RFC 9113 4.1) for h2-connection.ts, whatever
// the TCP chunking: a frame split over several socket chunks is put together once (one concat when
// its last byte arrives), frames packed into one chunk are handed out in place (payload offsets
// into that chunk, no copy). A frame above our MAX_FRAME_SIZE is a connection error.
import { ErrorCode, FRAME_HEADER_BYTES, H2ConnectionError } from "./h2-frames.js";

/** Counters of what the reader saw (cheap; for tests and debugging). */
export interface FrameReaderStats {
  /** Frames received, by frame type (0..9; unknown types not counted). */
  framesByType: Uint32Array;
  socketChunks: number;
  /** Joins of bytes from two or more socket chunks (a frame, or first its header, that arrived split). */
  splitFrames: number;
  /** Most frames parsed out of one socket chunk. */
  maxFramesPerChunk: number;
}

/**
 * Called per complete frame: the payload is buf[payloadStart, payloadStart + length). Returns false
 * to stop reading (the connection is gone). May throw (an H2ConnectionError, say): push() passes it on.
 */
export type FrameHandler = (buf: Buffer, payloadStart: number, length: number, type: number, flags: number, streamId: number) => boolean;

export class FrameReader {
  readonly stats: FrameReaderStats = { framesByType: new Uint32Array(10), socketChunks: 0, splitFrames: 0, maxFramesPerChunk: 0 };
  /** Bytes of an incomplete frame, in arrival order. */
  private chunks: Buffer[] = [];
  private chunkBytes = 0;
  /** Bytes needed before the next frame (or its header) is complete. */
  private need = FRAME_HEADER_BYTES;
  private framesSeen = 0;

  constructor(
    private readonly maxFrameSize: number,
    private readonly onFrame: FrameHandler,
  ) {}

  push(chunk: Buffer): void {
    this.stats.socketChunks++;
    let buf: Buffer;
    if (this.chunkBytes === 0) {
      if (chunk.length < this.need) {
        this.chunks.push(chunk);
        this.chunkBytes = chunk.length;
        return;
      }
      buf = chunk;
    } else {
      this.chunks.push(chunk);
      this.chunkBytes += chunk.length;
      if (this.chunkBytes < this.need) return;
      buf = Buffer.concat(this.chunks, this.chunkBytes);
      this.chunks = [];
      this.chunkBytes = 0;
      this.stats.splitFrames++;
    }
    let off = 0;
    let frames = 0;
    while (buf.length - off >= FRAME_HEADER_BYTES) {
      const len = (buf[off]! << 16) | (buf[off + 1]! << 8) | buf[off + 2]!;
      if (len > this.maxFrameSize) {
        throw new H2ConnectionError(
          ErrorCode.FRAME_SIZE_ERROR,
          this.framesSeen === 0 ? `the server's first bytes are not an HTTP/2 frame (a frame of ${len} octets; is it an HTTP/2 server?)` : `frame of ${len} octets above our MAX_FRAME_SIZE ${this.maxFrameSize}`,
        );
      }
      if (buf.length - off < FRAME_HEADER_BYTES + len) break;
      const type = buf[off + 3]!;
      if (type < 10) this.stats.framesByType[type]!++;
      this.framesSeen++;
      frames++;
      if (!this.onFrame(buf, off + FRAME_HEADER_BYTES, len, type, buf[off + 4]!, buf.readUInt32BE(off + 5) & 0x7fffffff)) return;
      off += FRAME_HEADER_BYTES + len;
    }
    if (frames > this.stats.maxFramesPerChunk) this.stats.maxFramesPerChunk = frames;
    if (off < buf.length) {
      // The header of a kept remainder of 9+ bytes was checked above, so its length is valid.
      const rest = buf.subarray(off);
      this.chunks.push(rest);
      this.chunkBytes = rest.length;
      this.need = rest.length >= FRAME_HEADER_BYTES ? FRAME_HEADER_BYTES + ((rest[0]! << 16) | (rest[1]! << 8) | rest[2]!) : FRAME_HEADER_BYTES;
    } else {
      this.need = FRAME_HEADER_BYTES;
    }
  }
}
