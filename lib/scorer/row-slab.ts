// Fixed-width Float32 rows carved out of large shared chunks (a slab), addressed by slot number,
// so the rows of thousands of nodes sit side by side in a few backing stores instead of one small
// off-heap allocation each: a scoring call that copies 5,000 rows into the model input reads a
// few dense regions (measured: the scattered per-node arrays made row building superlinear in
// the node count, the working set no longer fitting the per-core cache).
// A released slot is handed out again by the next alloc. Views write through to the slab.
// Each slot also carries a version (a slab-wide counter, never reused): alloc and release bump it,
// and writers of a slot's data call touch(); a reader that remembers (slot, version) knows its
// copy is still current when the version has not moved (the prediction cache does).
import { growTyped } from "./grow-typed.js";
export class RowSlab {
  private readonly chunks: Float32Array[] = [];
  /** The same chunks as 32-bit integers: rows copied as bits skip two float conversions per value. */
  private readonly bitChunks: Int32Array[] = [];
  private next = 0;
  private readonly free: number[] = [];
  private readonly shift: number;
  private readonly mask: number;
  private versionBySlot = new Float64Array(1024);
  private lastVersion = 0;

  /** `chunkBits`: log2 of the rows per chunk (default 1024 rows). */
  constructor(
    readonly width: number,
    chunkBits = 10,
  ) {
    if (!Number.isInteger(width) || width < 1) throw new RangeError(`row width must be a positive integer, got ${width}`);
    if (!Number.isInteger(chunkBits) || chunkBits < 0 || chunkBits > 20) throw new RangeError(`chunkBits must be an integer in 0..20, got ${chunkBits}`);
    this.shift = chunkBits;
    this.mask = (1 << chunkBits) - 1;
  }

  /** A slot whose row is zeroed. */
  alloc(): number {
    const reused = this.free.pop();
    if (reused !== undefined) {
      this.view(reused).fill(0);
      this.touch(reused);
      return reused;
    }
    const slot = this.next++;
    if (slot >>> this.shift === this.chunks.length) {
      const chunk = new Float32Array(this.width << this.shift);
      this.chunks.push(chunk);
      this.bitChunks.push(new Int32Array(chunk.buffer));
    }
    this.versionBySlot = growTyped(this.versionBySlot, slot + 1);
    this.touch(slot);
    return slot;
  }

  /** Marks the slot's data as changed: its version moves to a value no slot ever had. */
  touch(slot: number): void {
    this.versionBySlot[slot] = ++this.lastVersion;
  }

  /** The slot's current version (> 0 once allocated; exact integers up to 2^53 updates). */
  version(slot: number): number {
    return this.versionBySlot[slot]!;
  }

  /** Versions by slot (the array is replaced when it grows: read it again after an alloc). */
  get versions(): Float64Array {
    return this.versionBySlot;
  }

  /** One past the highest slot ever handed out. */
  get slotCount(): number {
    return this.next;
  }

  /** Gives a slot back; its views must not be used afterwards (a later alloc hands it out again). */
  release(slot: number): void {
    if (!Number.isInteger(slot) || slot < 0 || slot >= this.next) throw new RangeError(`slot ${slot} was never allocated`);
    this.free.push(slot);
    this.touch(slot);
  }

  /** The chunk holding `slot`'s row; the row starts at offset(slot). */
  chunk(slot: number): Float32Array {
    return this.chunks[slot >>> this.shift]!;
  }

  /** chunk(slot) as 32-bit integers (the same memory), for copying rows bit for bit. */
  bitChunk(slot: number): Int32Array {
    return this.bitChunks[slot >>> this.shift]!;
  }

  offset(slot: number): number {
    return (slot & this.mask) * this.width;
  }

  /** A view of `len` floats of the slot's row from `start` (writes go to the slab). */
  view(slot: number, start = 0, len = this.width - start): Float32Array {
    const o = this.offset(slot) + start;
    return this.chunk(slot).subarray(o, o + len);
  }

  /** Slots released and not yet handed out again (for tests). */
  get freeSlots(): number {
    return this.free.length;
  }
}
