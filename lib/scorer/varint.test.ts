import { BinaryWriter } from "@bufbuild/protobuf/wire";
import { describe, expect, it } from "vitest";
import { readVarint, varintSize, writeVarint } from "./varint.js";

describe("varints", () => {
  it.each([0, 1, 127, 128, 16_383, 16_384, 2_097_151, 2_097_152, 268_435_455, 268_435_456, 2 ** 32 - 1])("%d: the protobuf writer's bytes, size and round trip", (v) => {
    const want = new BinaryWriter().uint32(v).finish();
    const buf = new Uint8Array(8);
    const end = writeVarint(buf, 1, v);
    expect([...buf.subarray(1, end)]).toEqual([...want]);
    expect(varintSize(v)).toBe(want.length);
    const out = { pos: 0 };
    expect(readVarint(buf, 1, end, out)).toBe(v);
    expect(out.pos).toBe(end);
  });

  it("a varint cut short or longer than 5 bytes reads as -1", () => {
    expect(readVarint(Uint8Array.of(0x80, 0x80), 0, 2, { pos: 0 })).toBe(-1);
    expect(readVarint(Uint8Array.of(0x80, 0x80, 0x80, 0x80, 0x80, 0x01), 0, 6, { pos: 0 })).toBe(-1);
  });
});
