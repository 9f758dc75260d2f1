// Grow-only model input buffers reused across scoring calls. A 5,000-node call builds a 1 MB input
// (off-heap: its allocation and release pressure the garbage collector with external memory); the
// engine takes a buffer here, lends it to the model (bundle.predict with donate: the worker runner
// transfers it and hands it back with the answer) and gives it back for the next call. Concurrent
// calls each take their own buffer; at most `maxKept` idle buffers are kept (the largest).
export class InputScratch {
  private readonly free: ArrayBuffer[] = [];

  constructor(readonly maxKept = 4) {
    if (!Number.isInteger(maxKept) || maxKept < 1) throw new RangeError(`maxKept must be an integer >= 1, got ${maxKept}`);
  }

  /**
   * A Float32Array of exactly `floats` elements at the start of a pooled buffer. Its contents are
   * whatever the last call left there: the caller must write every element it hands to the model.
   */
  take(floats: number): Float32Array {
    const bytes = floats * 4;
    let best = -1;
    for (let i = 0; i < this.free.length; i++) {
      const len = this.free[i]!.byteLength;
      if (len >= bytes && (best < 0 || len < this.free[best]!.byteLength)) best = i;
    }
    if (best >= 0) return new Float32Array(this.free.splice(best, 1)[0]!, 0, floats);
    let cap = 1024;
    while (cap < floats) cap *= 2;
    return new Float32Array(new ArrayBuffer(cap * 4), 0, floats);
  }

  /** Returns a buffer taken here (ignored when undefined or detached: a run that failed keeps it). */
  give(a: Float32Array | undefined): void {
    if (!a || a.buffer.byteLength === 0) return;
    const buf = a.buffer as ArrayBuffer;
    if (this.free.includes(buf)) return;
    if (this.free.length < this.maxKept) {
      this.free.push(buf);
      return;
    }
    let smallest = 0;
    for (let i = 1; i < this.free.length; i++) if (this.free[i]!.byteLength < this.free[smallest]!.byteLength) smallest = i;
    if (this.free[smallest]!.byteLength < buf.byteLength) this.free[smallest] = buf;
  }

  /** Idle buffers kept (for tests). */
  get idle(): number {
    return this.free.length;
  }
}
