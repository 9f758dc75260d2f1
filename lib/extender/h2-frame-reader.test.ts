// h2-frame-reader.ts, h2-request-frames.ts and h2-header-block.ts without a network: frames cut at
// every split point and packed together come out whole and in order; a request's frames parse back
// to its header block and body for any MAX_FRAME_SIZE; a header block spread over CONTINUATIONs,
// with padding and priority fields, comes out whole.
import { describe, expect, it } from "vitest";
import { FrameReader } from "./h2-frame-reader.js";
import { encodeFrame, Flag, FrameType, H2ConnectionError } from "./h2-frames.js";
import { HeaderBlockAssembler } from "./h2-header-block.js";
import { dataFramesSize, headerFramesSize, writeDataFrames, writeHeaderFrames } from "./h2-request-frames.js";

interface Seen {
  type: number;
  flags: number;
  streamId: number;
  payload: string;
}

function collect(maxFrame = 16_384): { reader: FrameReader; seen: Seen[] } {
  const seen: Seen[] = [];
  const reader = new FrameReader(maxFrame, (buf, p, len, type, flags, streamId) => {
    seen.push({ type, flags, streamId, payload: buf.toString("hex", p, p + len) });
    return true;
  });
  return { reader, seen };
}

const frames = [
  encodeFrame(FrameType.SETTINGS, 0, 0, Buffer.from("000400100000", "hex")),
  encodeFrame(FrameType.HEADERS, Flag.END_HEADERS, 1, Buffer.from("88", "hex")),
  encodeFrame(FrameType.DATA, 0, 1, Buffer.alloc(300, 7)),
  encodeFrame(FrameType.DATA, Flag.END_STREAM, 1, Buffer.alloc(0)),
  encodeFrame(FrameType.PING, 0, 0, Buffer.from("0102030405060708", "hex")),
];
const wire = Buffer.concat(frames);

describe("FrameReader", () => {
  it("all frames in one chunk: handed out in order", () => {
    const { reader, seen } = collect();
    reader.push(wire);
    expect(seen.map((f) => f.type)).toEqual([FrameType.SETTINGS, FrameType.HEADERS, FrameType.DATA, FrameType.DATA, FrameType.PING]);
    expect(seen[2]!.payload).toBe(Buffer.alloc(300, 7).toString("hex"));
    expect(reader.stats.maxFramesPerChunk).toBe(5);
  });

  it("split into two chunks at every position, and into 1-byte chunks: the same frames", () => {
    const { reader: whole, seen: expected } = collect();
    whole.push(wire);
    for (let cut = 0; cut <= wire.length; cut++) {
      const { reader, seen } = collect();
      reader.push(wire.subarray(0, cut));
      reader.push(wire.subarray(cut));
      expect(seen, `cut at ${cut}`).toEqual(expected);
    }
    const { reader, seen } = collect();
    for (let i = 0; i < wire.length; i++) reader.push(wire.subarray(i, i + 1));
    expect(seen).toEqual(expected);
    expect(reader.stats.splitFrames).toBe(2 * frames.length - 1); // header, then payload; the empty DATA frame once
  });

  it("a frame above MAX_FRAME_SIZE throws FRAME_SIZE_ERROR, as the first frame with a hint that the peer is not HTTP/2", () => {
    const { reader } = collect(16_384);
    expect(() => reader.push(Buffer.from("HTTP/1.1 400 Bad Request\r\n"))).toThrow(/not an HTTP\/2 frame/);
    const second = collect(16_384);
    second.reader.push(frames[0]!);
    expect(() => second.reader.push(encodeFrame(FrameType.DATA, 0, 1, Buffer.alloc(16_385)))).toThrow(H2ConnectionError);
  });

  it("returning false from the handler stops reading", () => {
    const seen: number[] = [];
    const reader = new FrameReader(16_384, (_b, _p, _l, type) => {
      seen.push(type);
      return false;
    });
    reader.push(wire);
    expect(seen).toEqual([FrameType.SETTINGS]);
  });
});

describe("request frames", () => {
  it.each([16_384, 100, 7])("header block and body parse back (MAX_FRAME_SIZE %i)", (maxFrame) => {
    const hb1 = Buffer.alloc(250, 1);
    const hb2 = Buffer.alloc(40, 2);
    const body = Buffer.from(Array.from({ length: 1000 }, (_, i) => i & 0xff));
    const out = Buffer.alloc(headerFramesSize(290, maxFrame) + dataFramesSize(600, false, maxFrame) + dataFramesSize(400, true, maxFrame));
    let pos = writeHeaderFrames(out, 0, 5, hb1, hb2, maxFrame);
    pos = writeDataFrames(out, pos, 5, body, 0, 600, false, maxFrame);
    pos = writeDataFrames(out, pos, 5, body, 600, 400, true, maxFrame);
    expect(pos).toBe(out.length);
    const { reader, seen } = collect(Math.max(maxFrame, 16_384));
    reader.push(out);
    const blocks = new HeaderBlockAssembler(1 << 20);
    let block: Buffer | undefined;
    let data = "";
    for (const f of seen) {
      expect(f.streamId).toBe(5);
      const payload = Buffer.from(f.payload, "hex");
      if (f.type === FrameType.HEADERS) block = blocks.headers(payload, 0, payload.length, f.flags, f.streamId);
      else if (f.type === FrameType.CONTINUATION) block = blocks.continuation(payload, 0, payload.length, f.flags);
      else data += f.payload;
    }
    expect(block?.equals(Buffer.concat([hb1, hb2]))).toBe(true);
    expect(data).toBe(body.toString("hex"));
    expect(seen.filter((f) => f.flags & Flag.END_STREAM)).toHaveLength(1);
    expect(seen.at(-1)!.flags & Flag.END_STREAM).toBeTruthy();
  });

  it("an empty body is one empty DATA frame with END_STREAM", () => {
    const out = Buffer.alloc(dataFramesSize(0, true, 16_384));
    writeDataFrames(out, 0, 3, Buffer.alloc(0), 0, 0, true, 16_384);
    expect(out.toString("hex")).toBe("000000" + "00" + "01" + "00000003");
  });
});

describe("HeaderBlockAssembler", () => {
  it("strips padding and priority fields; keeps END_STREAM of the HEADERS", () => {
    const blocks = new HeaderBlockAssembler(1000);
    const payload = Buffer.concat([Buffer.from([2]), Buffer.from([0, 0, 0, 0, 9]), Buffer.from("abc"), Buffer.alloc(2)]);
    const block = blocks.headers(payload, 0, payload.length, Flag.PADDED | Flag.PRIORITY | Flag.END_HEADERS | Flag.END_STREAM, 7);
    expect(block?.toString()).toBe("abc");
    expect(blocks).toMatchObject({ streamId: 7, endStream: true, openStreamId: 0 });
  });

  it("a block above the limit is ENHANCE_YOUR_CALM; padding longer than the frame is PROTOCOL_ERROR", () => {
    const blocks = new HeaderBlockAssembler(10);
    expect(blocks.headers(Buffer.alloc(8), 0, 8, 0, 1)).toBeUndefined();
    expect(() => blocks.continuation(Buffer.alloc(8), 0, 8, Flag.END_HEADERS)).toThrow(/above 10 octets/);
    expect(() => new HeaderBlockAssembler(10).headers(Buffer.from([9, 1]), 0, 2, Flag.PADDED, 1)).toThrow(/longer than the frame/);
    expect(() => new HeaderBlockAssembler(10).continuation(Buffer.alloc(1), 0, 1, 0)).toThrow(/without a HEADERS/);
  });
});
