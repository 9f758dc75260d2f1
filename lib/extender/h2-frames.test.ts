// HTTP/2 frame encoders (h2-frames.ts): the exact octets of each frame the client sends (RFC 9113
// section 4.1 header: 24-bit length, type, flags, reserved bit + 31-bit stream id).
import { describe, expect, it } from "vitest";
import { CLIENT_PREFACE, encodeFrame, encodeGoaway, encodePing, encodeRstStream, encodeSettings, encodeWindowUpdate, ErrorCode, errorCodeName, Flag, FrameType, writeFrameHeader } from "./h2-frames.js";

const hex = (b: Buffer) => b.toString("hex");

describe("HTTP/2 frame encoders", () => {
  it("frame header: 24-bit length, type, flags, stream id without the reserved bit", () => {
    const b = Buffer.alloc(9);
    writeFrameHeader(b, 0, 0x123456, FrameType.HEADERS, Flag.END_HEADERS | Flag.END_STREAM, 0xffffffff);
    expect(hex(b)).toBe("123456" + "01" + "05" + "7fffffff");
    expect(hex(encodeFrame(FrameType.DATA, Flag.END_STREAM, 3, Buffer.from("ab")))).toBe("000002" + "00" + "01" + "00000003" + "6162");
  });

  it("SETTINGS, WINDOW_UPDATE, RST_STREAM, GOAWAY, PING", () => {
    expect(hex(encodeSettings([[2, 0], [4, 1 << 20]]))).toBe("00000c" + "04" + "00" + "00000000" + "0002" + "00000000" + "0004" + "00100000");
    expect(hex(encodeWindowUpdate(0, 4 * 1024 * 1024 - 65535))).toBe("000004" + "08" + "00" + "00000000" + "003f0001");
    expect(hex(encodeRstStream(5, ErrorCode.CANCEL))).toBe("000004" + "03" + "00" + "00000005" + "00000008");
    expect(hex(encodeGoaway(7, ErrorCode.PROTOCOL_ERROR, "x"))).toBe("000009" + "07" + "00" + "00000000" + "00000007" + "00000001" + "78");
    expect(hex(encodePing(Buffer.from("01234567"), true))).toBe("000008" + "06" + "01" + "00000000" + Buffer.from("01234567").toString("hex"));
  });

  it("the client preface and error code names", () => {
    expect(CLIENT_PREFACE.toString("latin1")).toBe("PRI * HTTP/2.0\r\n\r\nSM\r\n\r\n");
    expect(errorCodeName(ErrorCode.ENHANCE_YOUR_CALM)).toBe("ENHANCE_YOUR_CALM (11)");
    expect(errorCodeName(0x2a)).toBe("0x2a");
  });
});
