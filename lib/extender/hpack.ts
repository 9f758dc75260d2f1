// HPACK (RFC 7541) for the extender's HTTP/2 client (h2-connection.ts).
// Encoder: literal header fields without indexing (static-table name index where one exists, raw
// octets, no Huffman). It keeps no state, so a block for fixed headers can be encoded once and reused.
// Decoder: the whole of RFC 7541 — static and dynamic tables (eviction, size updates), every
// literal form, prefix integers, Huffman strings. Bad input throws HpackError (a COMPRESSION_ERROR
// for the connection), never reads out of bounds. Names and values are decoded as latin1, i.e. one
// character per octet (grpc-wire.ts's percent-decoding reads them as octets).
import { HUFFMAN_CODES, HUFFMAN_EOS, HUFFMAN_LENGTHS } from "./hpack-huffman.js";

export class HpackError extends Error {}

/** RFC 7541 Appendix A: index 1..61. */
export const STATIC_TABLE: readonly (readonly [string, string])[] = [
  [":authority", ""],
  [":method", "GET"],
  [":method", "POST"],
  [":path", "/"],
  [":path", "/index.html"],
  [":scheme", "http"],
  [":scheme", "https"],
  [":status", "200"],
  [":status", "204"],
  [":status", "206"],
  [":status", "304"],
  [":status", "400"],
  [":status", "404"],
  [":status", "500"],
  ["accept-charset", ""],
  ["accept-encoding", "gzip, deflate"],
  ["accept-language", ""],
  ["accept-ranges", ""],
  ["accept", ""],
  ["access-control-allow-origin", ""],
  ["age", ""],
  ["allow", ""],
  ["authorization", ""],
  ["cache-control", ""],
  ["content-disposition", ""],
  ["content-encoding", ""],
  ["content-language", ""],
  ["content-length", ""],
  ["content-location", ""],
  ["content-range", ""],
  ["content-type", ""],
  ["cookie", ""],
  ["date", ""],
  ["etag", ""],
  ["expect", ""],
  ["expires", ""],
  ["from", ""],
  ["host", ""],
  ["if-match", ""],
  ["if-modified-since", ""],
  ["if-none-match", ""],
  ["if-range", ""],
  ["if-unmodified-since", ""],
  ["last-modified", ""],
  ["link", ""],
  ["location", ""],
  ["max-forwards", ""],
  ["proxy-authenticate", ""],
  ["proxy-authorization", ""],
  ["range", ""],
  ["referer", ""],
  ["refresh", ""],
  ["retry-after", ""],
  ["server", ""],
  ["set-cookie", ""],
  ["strict-transport-security", ""],
  ["transfer-encoding", ""],
  ["user-agent", ""],
  ["vary", ""],
  ["via", ""],
  ["www-authenticate", ""],
];

/** First static index of each name (the encoder's name references). */
const STATIC_NAME_INDEX = new Map<string, number>();
STATIC_TABLE.forEach(([name], i) => {
  if (!STATIC_NAME_INDEX.has(name)) STATIC_NAME_INDEX.set(name, i + 1);
});

/** Default limit of a decoded header list (the client announces it as SETTINGS_MAX_HEADER_LIST_SIZE). */
export const DEFAULT_MAX_HEADER_LIST_SIZE = 1 << 20;

/** Largest integer the decoder accepts (a bigger one is an attack or garbage, not a header). */
const MAX_INT = 0x7fffffff;

// ---------------------------------------------------------------- encoder

/**
 * The header block for `headers` as literal fields without indexing (pattern 0000xxxx): a static
 * name index when the name is in the static table, else a literal name; values as raw octets
 * (latin1: characters above U+00FF are not representable and are cut to their low byte). Names
 * must be lower case (HTTP/2 requires it; not checked here).
 */
export function encodeHeaderBlock(headers: readonly (readonly [string, string])[]): Buffer {
  let size = 0;
  for (const [name, value] of headers) {
    const idx = STATIC_NAME_INDEX.get(name);
    size += (idx !== undefined ? intSize(4, idx) : 1 + intSize(7, name.length) + name.length) + intSize(7, value.length) + value.length;
  }
  const out = Buffer.allocUnsafe(size);
  let pos = 0;
  for (const [name, value] of headers) {
    const idx = STATIC_NAME_INDEX.get(name);
    if (idx !== undefined) pos = writeInt(out, pos, 0x00, 4, idx);
    else {
      out[pos++] = 0x00;
      pos = writeString(out, pos, name);
    }
    pos = writeString(out, pos, value);
  }
  return out;
}

/** Octets of the prefix-coded integer `value` with a `prefixBits`-bit prefix. */
function intSize(prefixBits: number, value: number): number {
  const max = (1 << prefixBits) - 1;
  if (value < max) return 1;
  let n = 2;
  for (value -= max; value >= 128; value = Math.floor(value / 128)) n++;
  return n;
}

function writeInt(out: Buffer, pos: number, first: number, prefixBits: number, value: number): number {
  const max = (1 << prefixBits) - 1;
  if (value < max) {
    out[pos++] = first | value;
    return pos;
  }
  out[pos++] = first | max;
  value -= max;
  while (value >= 128) {
    out[pos++] = (value & 0x7f) | 0x80;
    value = Math.floor(value / 128);
  }
  out[pos++] = value;
  return pos;
}

function writeString(out: Buffer, pos: number, s: string): number {
  pos = writeInt(out, pos, 0x00, 7, s.length);
  for (let i = 0; i < s.length; i++) out[pos++] = s.charCodeAt(i) & 0xff;
  return pos;
}

/** Huffman-encodes `bytes` (for tests and completeness; the client's encoder does not use it). */
export function huffmanEncode(bytes: Uint8Array): Buffer {
  const out: number[] = [];
  let acc = 0;
  let nbits = 0;
  for (const b of bytes) {
    let len = HUFFMAN_LENGTHS[b]!;
    const code = HUFFMAN_CODES[b]!;
    while (len > 0) {
      const take = Math.min(len, 8 - nbits);
      const bits = Math.floor(code / 2 ** (len - take)) & ((1 << take) - 1);
      acc = (acc << take) | bits;
      nbits += take;
      len -= take;
      if (nbits === 8) {
        out.push(acc);
        acc = 0;
        nbits = 0;
      }
    }
  }
  if (nbits > 0) out.push((acc << (8 - nbits)) | ((1 << (8 - nbits)) - 1)); // pad with the EOS prefix (1s)
  return Buffer.from(out);
}

// ---------------------------------------------------------------- Huffman decoding tree

/**
 * The code as a binary tree in two typed arrays: child[2*node + bit] is the next node, or
 * -(symbol + 1) at a leaf; 0 is "no such branch" (never valid: node 0 is the root).
 */
const HUFFMAN_TREE: Int32Array = (() => {
  const child = new Int32Array(2 * 512);
  let nodes = 1;
  for (let sym = 0; sym <= HUFFMAN_EOS; sym++) {
    const len = HUFFMAN_LENGTHS[sym]!;
    const code = HUFFMAN_CODES[sym]!;
    let node = 0;
    for (let i = len - 1; i >= 0; i--) {
      const bit = Math.floor(code / 2 ** i) & 1;
      const slot = 2 * node + bit;
      if (i === 0) child[slot] = -(sym + 1);
      else {
        if (child[slot] === 0) child[slot] = nodes++;
        node = child[slot]!;
      }
    }
  }
  return child;
})();

/** Decodes a Huffman string (RFC 7541 5.2) as latin1; throws on EOS inside, or padding that is not 1s or longer than 7 bits. */
export function huffmanDecode(buf: Uint8Array, start: number, end: number): string {
  let out = "";
  let node = 0;
  let depth = 0; // bits since the last complete symbol
  let allOnes = true;
  for (let i = start; i < end; i++) {
    const byte = buf[i]!;
    for (let b = 7; b >= 0; b--) {
      const bit = (byte >> b) & 1;
      const next = HUFFMAN_TREE[2 * node + bit]!;
      if (next < 0) {
        const sym = -next - 1;
        if (sym === HUFFMAN_EOS) throw new HpackError("Huffman string contains EOS");
        out += String.fromCharCode(sym);
        node = 0;
        depth = 0;
        allOnes = true;
      } else if (next === 0) {
        throw new HpackError("invalid Huffman code");
      } else {
        node = next;
        depth++;
        if (bit === 0) allOnes = false;
      }
    }
  }
  if (depth > 7) throw new HpackError("Huffman padding longer than 7 bits");
  if (!allOnes) throw new HpackError("Huffman padding is not the EOS prefix (all 1s)");
  return out;
}

// ---------------------------------------------------------------- decoder

/** A decoded header list, flat: name0, value0, name1, value1, ... */
export type HeaderList = string[];

export class HpackDecoder {
  /** Dynamic table, newest first. */
  private readonly names: string[] = [];
  private readonly values: string[] = [];
  private size = 0;
  private maxSize: number;

  /**
   * `settingsMaxSize`: our SETTINGS_HEADER_TABLE_SIZE (the ceiling for size updates); 4096 by default.
   * `maxListSize`: the largest decoded header list (RFC 9113 sizes: name + value + 32 per field); a
   * small block of references to large table entries could otherwise decode to gigabytes.
   */
  constructor(
    private readonly settingsMaxSize = 4096,
    private readonly maxListSize = DEFAULT_MAX_HEADER_LIST_SIZE,
  ) {
    this.maxSize = settingsMaxSize;
  }

  /** Current dynamic-table size in octets (RFC 7541 4.1: name + value + 32 per entry). */
  tableSize(): number {
    return this.size;
  }

  /** Dynamic entries, newest first (for tests). */
  entries(): [string, string][] {
    return this.names.map((n, i) => [n, this.values[i]!]);
  }

  /** Decodes one complete header block; throws HpackError on malformed input. */
  decode(buf: Uint8Array, start = 0, end = buf.length): HeaderList {
    const out: HeaderList = [];
    const cur = { pos: start };
    let fieldSeen = false;
    let listSize = 0;
    while (cur.pos < end) {
      const b = buf[cur.pos]!;
      let name: string;
      let value: string;
      if (b & 0x80) {
        // 6.1 indexed header field
        const idx = this.readInt(buf, cur, end, 7);
        if (idx === 0) throw new HpackError("indexed header field with index 0");
        name = this.name(idx);
        value = this.value(idx);
      } else if (b & 0x40) {
        // 6.2.1 literal with incremental indexing
        [name, value] = this.readLiteral(buf, cur, end, 6);
        this.add(name, value);
      } else if (b & 0x20) {
        // 6.3 dynamic table size update: only at the start of a block
        if (fieldSeen) throw new HpackError("dynamic table size update after a header field");
        const size = this.readInt(buf, cur, end, 5);
        if (size > this.settingsMaxSize) throw new HpackError(`dynamic table size update to ${size} above the limit ${this.settingsMaxSize}`);
        this.maxSize = size;
        this.evict(0);
        continue;
      } else {
        // 6.2.2 without indexing (0000) / 6.2.3 never indexed (0001)
        [name, value] = this.readLiteral(buf, cur, end, 4);
      }
      fieldSeen = true;
      listSize += name.length + value.length + 32;
      if (listSize > this.maxListSize) throw new HpackError(`decoded header list above ${this.maxListSize} octets`);
      out.push(name, value);
    }
    return out;
  }

  private readLiteral(buf: Uint8Array, cur: { pos: number }, end: number, prefixBits: number): [string, string] {
    const idx = this.readInt(buf, cur, end, prefixBits);
    const name = idx === 0 ? this.readString(buf, cur, end) : this.name(idx);
    return [name, this.readString(buf, cur, end)];
  }

  private readString(buf: Uint8Array, cur: { pos: number }, end: number): string {
    if (cur.pos >= end) throw new HpackError("header block truncated before a string");
    const huffman = (buf[cur.pos]! & 0x80) !== 0;
    const len = this.readInt(buf, cur, end, 7);
    if (len > end - cur.pos) throw new HpackError(`string of ${len} octets runs past the end of the header block`);
    const s = huffman ? huffmanDecode(buf, cur.pos, cur.pos + len) : latin1(buf, cur.pos, cur.pos + len);
    cur.pos += len;
    return s;
  }

  private readInt(buf: Uint8Array, cur: { pos: number }, end: number, prefixBits: number): number {
    const max = (1 << prefixBits) - 1;
    let value = buf[cur.pos++]! & max;
    if (value < max) return value;
    let shift = 0;
    for (;;) {
      if (cur.pos >= end) throw new HpackError("header block truncated inside an integer");
      const b = buf[cur.pos++]!;
      value += (b & 0x7f) * 2 ** shift;
      if (value > MAX_INT) throw new HpackError("integer overflow in header block");
      if ((b & 0x80) === 0) return value;
      shift += 7;
    }
  }

  private name(idx: number): string {
    if (idx <= STATIC_TABLE.length) return STATIC_TABLE[idx - 1]![0];
    const d = idx - STATIC_TABLE.length - 1;
    if (d >= this.names.length) throw new HpackError(`header index ${idx} out of range (${STATIC_TABLE.length + this.names.length} entries)`);
    return this.names[d]!;
  }

  private value(idx: number): string {
    if (idx <= STATIC_TABLE.length) return STATIC_TABLE[idx - 1]![1];
    return this.values[idx - STATIC_TABLE.length - 1]!; // name() checked the range
  }

  private add(name: string, value: string): void {
    const entry = name.length + value.length + 32;
    if (entry > this.maxSize) {
      // 4.4: an entry larger than the table empties it and is not added
      this.evict(this.maxSize);
      return;
    }
    this.evict(entry);
    this.names.unshift(name);
    this.values.unshift(value);
    this.size += entry;
  }

  /** Evicts oldest entries until `room` more octets fit. */
  private evict(room: number): void {
    while (this.size + room > this.maxSize && this.names.length > 0) {
      const n = this.names.pop()!;
      const v = this.values.pop()!;
      this.size -= n.length + v.length + 32;
    }
  }
}

function latin1(buf: Uint8Array, start: number, end: number): string {
  return Buffer.from(buf.buffer, buf.byteOffset + start, end - start).toString("latin1");
}
