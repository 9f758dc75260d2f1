// Protobuf base-128 varints up to 32 bits, for the hand codecs of scorer-svc's hot messages
// (score-nodes-codec.ts, wire.ts, classify-codec.ts, ingest-codec.ts).

/** Bytes of the varint of a non-negative 32-bit value. */
export const varintSize = (v: number): number => (v < 0x80 ? 1 : v < 0x4000 ? 2 : v < 0x200000 ? 3 : v < 0x10000000 ? 4 : 5);

/** Writes the varint of a non-negative 32-bit value at `off`; returns the offset after it. */
export function writeVarint(buf: Uint8Array, off: number, v: number): number {
  while (v >= 0x80) {
    buf[off++] = (v & 0x7f) | 0x80;
    v >>>= 7;
  }
  buf[off++] = v;
  return off;
}

/**
 * Reads a varint (up to 32 bits) at `pos`; sets `out.pos` past it. Returns -1 when it runs past
 * `end` or is longer than 5 bytes.
 */
export function readVarint(buf: Uint8Array, pos: number, end: number, out: { pos: number }): number {
  let v = 0;
  for (let shift = 0; shift < 35; shift += 7) {
    if (pos >= end) return -1;
    const b = buf[pos++]!;
    v += (b & 0x7f) * 2 ** shift;
    if (b < 0x80) {
      out.pos = pos;
      return v;
    }
  }
  return -1;
}
