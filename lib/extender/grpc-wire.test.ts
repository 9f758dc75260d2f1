import { constants as h2 } from "node:http2";
import { describe, expect, it } from "vitest";
import {
  decodeGrpcMessage,
  encodeGrpcMessage,
  formatGrpcTimeout,
  frameMessage,
  GrpcCallFailure,
  GrpcCode,
  httpStatusToGrpcCode,
  parseGrpcStatus,
  rstCodeToGrpcCode,
  UnaryMessageReader,
} from "./grpc-wire.js";

describe("formatGrpcTimeout", () => {
  it("whole milliseconds as NNNm", () => {
    expect(formatGrpcTimeout(2000)).toBe("2000m");
    expect(formatGrpcTimeout(1)).toBe("1m");
    expect(formatGrpcTimeout(99_999_999)).toBe("99999999m");
  });
  it("at most 8 digits: coarser units above, rounded up", () => {
    expect(formatGrpcTimeout(100_000_000)).toBe("100000S");
    expect(formatGrpcTimeout(100_000_000_500)).toBe("1666667M");
  });
  it("fractions in microseconds, rounded up; non-positive or non-finite as the smallest value", () => {
    expect(formatGrpcTimeout(0.25)).toBe("250u");
    expect(formatGrpcTimeout(1.0004)).toBe("1001u");
    expect(formatGrpcTimeout(0)).toBe("1n");
    expect(formatGrpcTimeout(-5)).toBe("1n");
    expect(formatGrpcTimeout(Number.NaN)).toBe("1n");
  });
  it("every output matches the spec's grammar", () => {
    for (const ms of [0.001, 0.5, 1, 7.5, 1e3, 1e8, 1e11, 1e15, 1e20]) expect(formatGrpcTimeout(ms)).toMatch(/^\d{1,8}[HMSmun]$/);
  });
});

describe("grpc-message percent-decoding", () => {
  it("plain text is unchanged", () => expect(decodeGrpcMessage("no model loaded")).toBe("no model loaded"));
  it("decodes %XX to UTF-8, either hex case", () => {
    expect(decodeGrpcMessage("100%25 %e2%9c%97%0Aok")).toBe("100% ✗\nok");
  });
  it("keeps malformed sequences as written", () => {
    expect(decodeGrpcMessage("50% off")).toBe("50% off");
    expect(decodeGrpcMessage("end %4")).toBe("end %4");
    expect(decodeGrpcMessage("%zz")).toBe("%zz");
  });
  it("invalid UTF-8 after decoding becomes U+FFFD instead of failing", () => {
    expect(decodeGrpcMessage("a%FFb")).toBe("a\uFFFDb");
  });
  it("round-trips with the encoder", () => {
    const text = "bad workload: 100% over 50 µs\nline 2 ✓";
    expect(encodeGrpcMessage(text)).toMatch(/^[\x20-\x7e]*$/);
    expect(decodeGrpcMessage(encodeGrpcMessage(text))).toBe(text);
  });
});

describe("status mapping", () => {
  it("HTTP status without grpc-status (http-grpc-status-mapping.md)", () => {
    expect([400, 401, 403, 404, 429, 502, 503, 504, 500, 302, 101].map(httpStatusToGrpcCode)).toEqual([
      GrpcCode.INTERNAL,
      GrpcCode.UNAUTHENTICATED,
      GrpcCode.PERMISSION_DENIED,
      GrpcCode.UNIMPLEMENTED,
      GrpcCode.UNAVAILABLE,
      GrpcCode.UNAVAILABLE,
      GrpcCode.UNAVAILABLE,
      GrpcCode.UNAVAILABLE,
      GrpcCode.UNKNOWN,
      GrpcCode.UNKNOWN,
      GrpcCode.INTERNAL,
    ]);
  });
  it("RST_STREAM codes before a status", () => {
    expect(rstCodeToGrpcCode(h2.NGHTTP2_REFUSED_STREAM)).toBe(GrpcCode.UNAVAILABLE);
    expect(rstCodeToGrpcCode(h2.NGHTTP2_CANCEL)).toBe(GrpcCode.CANCELLED);
    expect(rstCodeToGrpcCode(h2.NGHTTP2_ENHANCE_YOUR_CALM)).toBe(GrpcCode.RESOURCE_EXHAUSTED);
    expect(rstCodeToGrpcCode(h2.NGHTTP2_INADEQUATE_SECURITY)).toBe(GrpcCode.PERMISSION_DENIED);
    expect(rstCodeToGrpcCode(h2.NGHTTP2_PROTOCOL_ERROR)).toBe(GrpcCode.INTERNAL);
  });
  it("grpc-status / grpc-message headers", () => {
    expect(parseGrpcStatus({})).toBeUndefined();
    expect(parseGrpcStatus({ "grpc-status": "0" })).toEqual({ code: 0, message: "" });
    expect(parseGrpcStatus({ "grpc-status": "3", "grpc-message": "bad%20arg" })).toEqual({ code: 3, message: "bad arg" });
    expect(parseGrpcStatus({ "grpc-status": "x1" })?.code).toBe(GrpcCode.UNKNOWN);
    expect(parseGrpcStatus({ "grpc-status": "17" })).toEqual({ code: GrpcCode.UNKNOWN, message: 'malformed grpc-status "17"' });
  });
});

describe("UnaryMessageReader", () => {
  const msg = Buffer.from(Array.from({ length: 300 }, (_, i) => i & 0xff));
  const framed = frameMessage(msg);

  it("frames with flag 0 and a big-endian length", () => {
    expect([...framed.subarray(0, 5)]).toEqual([0, 0, 0, 1, 44]);
    expect(framed.subarray(5).equals(msg)).toBe(true);
  });
  it("one chunk: the message", () => {
    const r = new UnaryMessageReader(1 << 20);
    r.push(framed);
    expect(r.message()?.equals(msg)).toBe(true);
    expect(r.partial()).toBe(false);
  });
  it("split at every possible point, and byte by byte", () => {
    for (let cut = 1; cut < framed.length; cut++) {
      const r = new UnaryMessageReader(1 << 20);
      r.push(framed.subarray(0, cut));
      expect(r.message()).toBeUndefined();
      expect(r.partial()).toBe(true);
      r.push(framed.subarray(cut));
      expect(r.message()?.equals(msg), `cut at ${cut}`).toBe(true);
    }
    const r = new UnaryMessageReader(1 << 20);
    for (const b of framed) r.push(Buffer.from([b]));
    expect(r.message()?.equals(msg)).toBe(true);
  });
  it("an empty message (length 0) is a message", () => {
    const r = new UnaryMessageReader(10);
    r.push(Buffer.from([0, 0, 0]));
    r.push(Buffer.from([0, 0]));
    expect(r.message()?.length).toBe(0);
  });
  it("a second message is UNIMPLEMENTED (unary cardinality)", () => {
    const r = new UnaryMessageReader(1 << 20);
    r.push(framed);
    expect(() => r.push(frameMessage(Buffer.from("x")))).toThrow(expect.objectContaining({ code: GrpcCode.UNIMPLEMENTED }));
  });
  it("a declared length above the maximum is RESOURCE_EXHAUSTED from the prefix alone", () => {
    const r = new UnaryMessageReader(299);
    expect(() => r.push(framed.subarray(0, 5))).toThrow(GrpcCallFailure);
    expect(() => new UnaryMessageReader(299).push(framed)).toThrow(expect.objectContaining({ code: GrpcCode.RESOURCE_EXHAUSTED }));
  });
  it("compressed flag 1 and an unknown flag are INTERNAL with a clear message", () => {
    const c = Buffer.from(framed);
    c[0] = 1;
    expect(() => new UnaryMessageReader(1 << 20).push(c)).toThrow(/compressed response message/);
    c[0] = 7;
    expect(() => new UnaryMessageReader(1 << 20).push(c)).toThrow(expect.objectContaining({ code: GrpcCode.INTERNAL, message: expect.stringMatching(/flag 7/) }));
  });
});
