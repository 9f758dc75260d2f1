// Memory for the frames of outgoing requests, reused once the socket has written them. A
// 5,000-node ScoreNodes request is tens of kB; a new buffer per call is off-heap memory that V8
// counts against the old generation's limit until a collection frees it, and in the extender those
// piled up into mark-compacts (docs/extender.md, "What the hot path does per call"). Small writes
// (below `minPooled`) come from Node's own buffer pool as before.
export interface WritableSocket {
  write(data: Uint8Array, cb?: (err?: Error | null) => void): boolean;
}

export class WriteBuffers {
  /** Memory no write holds any more, kept for the next take (the largest seen). */
  private spare: ArrayBuffer | undefined;

  constructor(readonly minPooled = 4096) {}

  /** A buffer of exactly `size` octets, to fill and hand to write(). */
  take(size: number): Buffer {
    if (size < this.minPooled) return Buffer.allocUnsafe(size);
    const spare = this.spare;
    if (spare && spare.byteLength >= size) {
      this.spare = undefined;
      return Buffer.from(spare, 0, size);
    }
    let cap = this.minPooled;
    while (cap < size) cap *= 2;
    return Buffer.from(new ArrayBuffer(cap), 0, size);
  }

  /** Writes a buffer from take(); its memory is reused once the socket reports it written. */
  write(socket: WritableSocket, out: Buffer): void {
    if (out.length < this.minPooled) {
      socket.write(out);
      return;
    }
    const mem = out.buffer as ArrayBuffer;
    socket.write(out, (err) => {
      if (err) return;
      if (!this.spare || this.spare.byteLength < mem.byteLength) this.spare = mem;
    });
  }
}
