// Puts together one header block from a HEADERS frame and its CONTINUATION frames (RFC 9113 6.2,
// 6.10) for h2-connection.ts: strips HEADERS padding and priority fields, checks the size, and
// hands out the whole block once END_HEADERS arrives (in place when it came in one frame).
import { ErrorCode, Flag, H2ConnectionError } from "./h2-frames.js";

export class HeaderBlockAssembler {
  /** The stream whose block is open (a CONTINUATION must come next), 0 when none. */
  openStreamId = 0;
  /** Of the block handed out last: its stream and whether its HEADERS carried END_STREAM. */
  streamId = 0;
  endStream = false;
  private fragments: Buffer[] = [];
  private bytes = 0;

  constructor(private readonly maxBlockBytes: number) {}

  /** A HEADERS frame's payload buf[p, p + len). Returns the block when END_HEADERS is set. */
  headers(buf: Buffer, p: number, len: number, flags: number, streamId: number): Buffer | undefined {
    let start = p;
    let end = p + len;
    if (flags & Flag.PADDED) {
      if (len < 1) throw new H2ConnectionError(ErrorCode.FRAME_SIZE_ERROR, "padded HEADERS without a pad length");
      start++;
      end -= buf[p]!;
    }
    if (flags & Flag.PRIORITY) start += 5;
    if (start > end) throw new H2ConnectionError(ErrorCode.PROTOCOL_ERROR, "HEADERS padding/priority fields longer than the frame");
    this.openStreamId = streamId;
    this.endStream = (flags & Flag.END_STREAM) !== 0;
    return this.add(buf.subarray(start, end), (flags & Flag.END_HEADERS) !== 0);
  }

  /** A CONTINUATION frame's payload (the caller checked it belongs to the open block). */
  continuation(buf: Buffer, p: number, len: number, flags: number): Buffer | undefined {
    if (this.openStreamId === 0) throw new H2ConnectionError(ErrorCode.PROTOCOL_ERROR, "CONTINUATION without a HEADERS before it");
    return this.add(buf.subarray(p, p + len), (flags & Flag.END_HEADERS) !== 0);
  }

  private add(fragment: Buffer, endHeaders: boolean): Buffer | undefined {
    this.bytes += fragment.length;
    if (this.bytes > this.maxBlockBytes) throw new H2ConnectionError(ErrorCode.ENHANCE_YOUR_CALM, `header block above ${this.maxBlockBytes} octets`);
    if (!endHeaders) {
      this.fragments.push(fragment); // a view into a socket chunk: node never reuses those
      return undefined;
    }
    let block = fragment;
    if (this.fragments.length > 0) {
      this.fragments.push(fragment);
      block = Buffer.concat(this.fragments);
      this.fragments = [];
    }
    this.streamId = this.openStreamId;
    this.openStreamId = 0;
    this.bytes = 0;
    return block;
  }
}
