import { describe, expect, it } from "vitest";
import { RowSlab } from "./row-slab.js";

describe("RowSlab", () => {
  it("hands out zeroed rows side by side in one chunk, views writing through to it", () => {
    const s = new RowSlab(3, 2);
    const a = s.alloc();
    const b = s.alloc();
    expect([a, b]).toEqual([0, 1]);
    expect(s.chunk(a)).toBe(s.chunk(b));
    expect([s.offset(a), s.offset(b)]).toEqual([0, 3]);
    s.view(b).set([1, 2, 3]);
    expect([...s.chunk(b).subarray(3, 6)]).toEqual([1, 2, 3]);
    expect([...s.view(a)]).toEqual([0, 0, 0]);
    expect([...s.view(b, 1, 2)]).toEqual([2, 3]);
  });

  it("starts a new chunk when one is full", () => {
    const s = new RowSlab(2, 1);
    const slots = [s.alloc(), s.alloc(), s.alloc(), s.alloc()];
    expect(slots).toEqual([0, 1, 2, 3]);
    expect(s.chunk(2)).not.toBe(s.chunk(1));
    expect(s.chunk(3)).toBe(s.chunk(2));
    expect(s.offset(3)).toBe(2);
  });

  it("gives each chunk's memory as 32-bit integers too: a row copied through them keeps every bit", () => {
    const s = new RowSlab(2, 1);
    const slots = [s.alloc(), s.alloc(), s.alloc()];
    s.view(slots[2]!).set([-0, 1.5]);
    const bits = s.bitChunk(slots[2]!);
    expect(bits.buffer).toBe(s.chunk(slots[2]!).buffer);
    expect(bits).not.toBe(s.bitChunk(slots[0]!));
    const copy = new Float32Array(2);
    new Int32Array(copy.buffer).set(bits.subarray(s.offset(slots[2]!), s.offset(slots[2]!) + 2));
    expect(Object.is(copy[0], -0)).toBe(true);
    expect(copy[1]).toBe(1.5);
  });

  it("reuses a released slot, zeroed", () => {
    const s = new RowSlab(2);
    const a = s.alloc();
    s.view(a).set([5, 6]);
    s.release(a);
    expect(s.freeSlots).toBe(1);
    const again = s.alloc();
    expect(again).toBe(a);
    expect([...s.view(again)]).toEqual([0, 0]);
    expect(s.freeSlots).toBe(0);
  });

  it("moves a slot's version on alloc, touch and release, never to a value any slot had", () => {
    const s = new RowSlab(2, 1);
    const seen = new Set<number>();
    const note = (v: number) => {
      expect(seen.has(v)).toBe(false);
      seen.add(v);
      return v;
    };
    const a = s.alloc();
    note(s.version(a));
    expect(s.version(a)).toBeGreaterThan(0);
    const b = s.alloc();
    note(s.version(b));
    s.touch(a);
    note(s.version(a));
    s.release(a);
    note(s.version(a));
    expect(s.alloc()).toBe(a);
    note(s.version(a));
    expect(s.versions[a]).toBe(s.version(a));
    // The version array grows with the slots (past its initial 1,024).
    for (let i = 0; i < 2000; i++) note(s.version(s.alloc()));
    expect(s.slotCount).toBe(2002);
  });

  it.each([
    ["width 0", () => new RowSlab(0), /row width must be a positive integer, got 0/],
    ["fractional width", () => new RowSlab(1.5), /row width/],
    ["chunkBits too large", () => new RowSlab(4, 21), /chunkBits must be an integer in 0..20, got 21/],
    ["release of a slot never allocated", () => new RowSlab(4).release(0), /slot 0 was never allocated/],
  ])("rejects %s", (_n, f, msg) => {
    expect(f).toThrow(msg);
  });
});
