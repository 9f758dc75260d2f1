import { describe, expect, it } from "vitest";
import { WriteBuffers, type WritableSocket } from "./write-buffers.js";

/** A socket that holds each write until told it was written (or failed). */
function heldSocket() {
  const writes: { data: Uint8Array; done?: (err?: Error | null) => void }[] = [];
  const socket: WritableSocket = {
    write(data, cb) {
      writes.push({ data, done: cb });
      return true;
    },
  };
  return { socket, writes };
}

describe("WriteBuffers", () => {
  it("hands out exactly the size asked for", () => {
    const wb = new WriteBuffers(1024);
    expect(wb.take(10)).toHaveLength(10);
    expect(wb.take(5000)).toHaveLength(5000);
  });

  it("reuses a large buffer's memory once the socket has written it, not before", () => {
    const wb = new WriteBuffers(1024);
    const { socket, writes } = heldSocket();
    const a = wb.take(3000);
    wb.write(socket, a);
    // still being written: the next request gets other memory
    const b = wb.take(2000);
    expect(b.buffer).not.toBe(a.buffer);
    writes[0]!.done!();
    const c = wb.take(2500);
    expect(c.buffer).toBe(a.buffer);
    expect(c).toHaveLength(2500);
    // taken again: not handed out twice
    expect(wb.take(2500).buffer).not.toBe(a.buffer);
  });

  it("a failed write's memory is not reused (the socket may still hold it)", () => {
    const wb = new WriteBuffers(1024);
    const { socket, writes } = heldSocket();
    const a = wb.take(3000);
    wb.write(socket, a);
    writes[0]!.done!(new Error("EPIPE"));
    expect(wb.take(3000).buffer).not.toBe(a.buffer);
  });

  it("keeps the larger memory when two writes finish", () => {
    const wb = new WriteBuffers(1024);
    const { socket, writes } = heldSocket();
    const big = wb.take(9000);
    const small = wb.take(1500);
    wb.write(socket, big);
    wb.write(socket, small);
    writes[0]!.done!();
    writes[1]!.done!();
    expect(wb.take(8000).buffer).toBe(big.buffer);
  });

  it("small writes go through without a callback and are never pooled", () => {
    const wb = new WriteBuffers(1024);
    const { socket, writes } = heldSocket();
    wb.write(socket, wb.take(100));
    expect(writes[0]!.done).toBeUndefined();
  });
});
