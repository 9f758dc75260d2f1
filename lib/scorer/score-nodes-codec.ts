// Fast codecs for the placement hot path's big messages, wire-identical to the generated ones:
//  - server: ScoreNodesRequest / FilterNodesRequest decode (thousands of node names);
//  - client (the extender): the same request's encode and ScoreNodesResponse decode.
// Node names are ASCII (DNS-1123), so they are written and read with byte loops / one native
// slice instead of the generic TextEncoder/TextDecoder per string. Anything these decoders do not
// expect (an unknown or repeated field, a wire type they do not handle, a truncated message) is
// handed to the generated decoder for the whole message, so no field is ever silently dropped
// and malformed input fails exactly as before.
import {
  ScoreNodesRequest,
  ScoreNodesResponse,
  WorkloadSpec,
  type NodeScore,
} from "../../gen/overseer/v1/scorer_service.js";
import { readVarint, varintSize, writeVarint } from "./varint.js";


/** UTF-8 byte length of `s`; `s.length` for ASCII (checked by a char loop: cheaper than Buffer.byteLength on short strings). */
export function utf8Length(s: string): number {
  const n = s.length;
  for (let i = 0; i < n; i++) if (s.charCodeAt(i) >= 0x80) return Buffer.byteLength(s, "utf8");
  return n;
}

/** Writes `s` (whose UTF-8 length is `bytes`) at `off`; ASCII by a byte loop. Returns the new offset. */
export function writeUtf8(buf: Buffer, off: number, s: string, bytes: number): number {
  if (bytes !== s.length) return off + buf.write(s, off, "utf8");
  for (let i = 0; i < bytes; i++) buf[off + i] = s.charCodeAt(i);
  return off + bytes;
}


const EMPTY = Buffer.alloc(0);

const asBuffer = (b: Uint8Array): Buffer => (Buffer.isBuffer(b) ? b : Buffer.from(b.buffer, b.byteOffset, b.byteLength));

interface NamesRequest {
  workload?: WorkloadSpec | undefined;
  nodeNames: string[];
  /** ScoreNodesRequest only (field 3). */
  scoresOnly?: boolean;
}

/**
 * Decodes ScoreNodesRequest (and FilterNodesRequest, the same fields). Equal to the generated
 * decoder's result; unusual input goes to `fallback` (the generated decoder).
 */
export function decodeNamesRequest<T extends NamesRequest>(bytes: Uint8Array, fallback: (b: Uint8Array) => T, withScoresOnly = false): T {
  const buf = asBuffer(bytes);
  const end = buf.length;
  const cur = { pos: 0 };
  let pos = 0;
  let workload: WorkloadSpec | undefined;
  let sawWorkload = false;
  const nodeNames: string[] = [];
  let scoresOnly = false;
  // The run of node_names fields decoded here: [namesStart, namesEnd), -1 when none or interrupted.
  let namesStart = -1;
  let namesEnd = -1;
  let namesRun = true;
  /** The names began with the remembered list, not copied into nodeNames (yet). */
  let remembered = false;
  while (pos < end) {
    const tag = buf[pos]!;
    if (tag === 0x18 && withScoresOnly && pos + 1 < end && buf[pos + 1]! < 0x80) {
      scoresOnly = buf[pos + 1] !== 0;
      pos += 2;
      continue;
    }
    if (tag !== 0x0a && tag !== 0x12) return fallback(bytes);
    if (tag === 0x12 && nodeNames.length === 0 && !remembered && lastNames.bytes.length > 0 && startsWith(buf, pos, lastNames.bytes)) {
      // The same candidate list as an earlier request (kube-scheduler sends the same nodes for pod
      // after pod): its strings, whose hashes V8 has cached, make the store lookups cheaper. The
      // run goes on: a list that extends the remembered one (nodes added at the end) is
      // remembered in its place below.
      namesStart = pos;
      pos += lastNames.bytes.length;
      namesEnd = pos;
      remembered = true;
      continue;
    }
    const len = readVarint(buf, pos + 1, end, cur);
    if (len < 0 || cur.pos + len > end) return fallback(bytes);
    const start = cur.pos;
    if (tag === 0x12) {
      if (remembered) {
        // More names after the remembered list: one array of them all.
        for (const n of lastNames.names) nodeNames.push(n);
        remembered = false;
      }
      if (namesStart < 0) namesStart = pos;
      else if (namesEnd !== pos) namesRun = false;
      nodeNames.push(readUtf8(buf, start, start + len));
      namesEnd = start + len;
    }
    pos = start + len;
    if (tag === 0x0a) {
      if (sawWorkload) return fallback(bytes);
      sawWorkload = true;
      workload = WorkloadSpec.decode(buf.subarray(start, pos));
    }
  }
  if (namesRun && namesStart >= 0 && nodeNames.length >= MIN_REMEMBERED_NAMES) {
    lastNames = { bytes: Buffer.from(buf.subarray(namesStart, namesEnd)), names: Object.freeze(nodeNames.slice()) };
  }
  // Exactly the remembered list: its one frozen array, so that the scoring engine can recognise the
  // list by identity (it keeps the list's store slots, scoring-engine.ts).
  const names = remembered ? (lastNames.names as string[]) : nodeNames;
  return (withScoresOnly ? { workload, nodeNames: names, scoresOnly } : { workload, nodeNames: names }) as T;
}

/**
 * Candidate lists shorter than this are decoded / scanned / encoded every time (remembering them
 * would not pay); the same threshold for every "repeated list" memo of both services.
 */
export const MIN_REMEMBERED_NAMES = 64;
/** The node_names fields of the last decoded list (complete fields, as on the wire) and their strings. */
let lastNames: { bytes: Buffer; names: readonly string[] } = { bytes: EMPTY, names: [] };

function startsWith(buf: Buffer, pos: number, prefix: Buffer): boolean {
  return buf.length - pos >= prefix.length && buf.compare(prefix, 0, prefix.length, pos, pos + prefix.length) === 0;
}

export const decodeScoreNodesRequest = (b: Uint8Array): ScoreNodesRequest => decodeNamesRequest(b, (x) => ScoreNodesRequest.decode(x), true);

/**
 * The node_names fields of the last frozen list encoded (the extender's body scan hands out the same
 * frozen array for a repeated candidate list: its bytes are copied instead of re-encoded).
 */
let lastEncoded: { names: readonly string[] | undefined; bytes: Buffer } = { names: undefined, bytes: EMPTY };

/** The node_names fields (tag, length, bytes per name), as the generated encoder writes them. */
function encodeNames(names: readonly string[]): Buffer {
  if (names === lastEncoded.names) return lastEncoded.bytes;
  const n = names.length;
  const lens = new Int32Array(n);
  let total = 0;
  for (let i = 0; i < n; i++) {
    const b = utf8Length(names[i]!);
    lens[i] = b;
    total += 1 + varintSize(b) + b;
  }
  const buf = Buffer.allocUnsafe(total);
  let off = 0;
  for (let i = 0; i < n; i++) {
    buf[off++] = 0x12;
    off = writeVarint(buf, off, lens[i]!);
    off = writeUtf8(buf, off, names[i]!, lens[i]!);
  }
  // Only a frozen array cannot change under the remembered bytes.
  if (Object.isFrozen(names) && n >= MIN_REMEMBERED_NAMES) lastEncoded = { names, bytes: buf };
  return buf;
}

/**
 * Encodes ScoreNodesRequest / FilterNodesRequest, byte-identical to the generated encoder;
 * `grpcFramed`: behind the 5-byte gRPC message prefix (one buffer for the wire, no second copy).
 */
export function encodeNamesRequest(msg: NamesRequest, grpcFramed = false): Buffer {
  const w = msg.workload !== undefined ? WorkloadSpec.encode(msg.workload).finish() : undefined;
  const names = encodeNames(msg.nodeNames);
  const total = (w ? 1 + varintSize(w.length) + w.length : 0) + names.length + (msg.scoresOnly ? 2 : 0);
  const buf = Buffer.allocUnsafe(grpcFramed ? 5 + total : total);
  let off = 0;
  if (grpcFramed) {
    // gRPC length prefix (not compressed), so the HTTP/2 client sends this buffer as is.
    buf[0] = 0;
    buf.writeUInt32BE(total, 1);
    off = 5;
  }
  if (w) {
    buf[off++] = 0x0a;
    off = writeVarint(buf, off, w.length);
    buf.set(w, off);
    off += w.length;
  }
  off += names.copy(buf, off);
  if (msg.scoresOnly) {
    buf[off++] = 0x18;
    buf[off++] = 0x01;
  }
  return buf;
}

type SliceBuffer = Buffer & { latin1Slice(start: number, end: number): string; utf8Slice(start: number, end: number): string };

/** The UTF-8 string in buf[start, end): ASCII (every node name) through the cheaper latin1 slice. */
export function readUtf8(buf: Buffer, start: number, end: number): string {
  const b = buf as SliceBuffer;
  for (let i = start; i < end; i++) if (buf[i]! >= 0x80) return b.utf8Slice(start, end);
  return b.latin1Slice(start, end);
}

/** Reads one NodeScore body in [pos, end) into a message; undefined when it holds anything unexpected. */
function readNodeScore(buf: Buffer, view: DataView, pos: number, end: number, cur: { pos: number }): NodeScore | undefined {
  let nodeName = "";
  let score = 0;
  let predictedSlowdown = 0;
  let slowdownUpperBound = 0;
  let regime = 0;
  let basis = 0;
  while (pos < end) {
    const tag = buf[pos++]!;
    if (tag === 0x0a) {
      let len = buf[pos]!;
      if (len < 0x80) pos++;
      else {
        len = readVarint(buf, pos, end, cur);
        if (len < 0) return undefined;
        pos = cur.pos;
      }
      if (pos + len > end) return undefined;
      nodeName = readUtf8(buf, pos, pos + len);
      pos += len;
    } else if (tag === 0x19 || tag === 0x21) {
      if (pos + 8 > end) return undefined;
      const v = view.getFloat64(pos, true);
      if (tag === 0x19) predictedSlowdown = v;
      else slowdownUpperBound = v;
      pos += 8;
    } else if (tag === 0x10 || tag === 0x28 || tag === 0x30) {
      let v = pos < end ? buf[pos]! : -1;
      if (v >= 0 && v < 0x80) pos++;
      else {
        v = readVarint(buf, pos, end, cur);
        // Negative int32s are 10-byte varints: the generated decoder handles them.
        if (v < 0 || v > 0x7fffffff) return undefined;
        pos = cur.pos;
      }
      if (tag === 0x10) score = v;
      else if (tag === 0x28) regime = v;
      else basis = v;
    } else return undefined;
  }
  return { nodeName, score, predictedSlowdown, slowdownUpperBound, regime, basis };
}

/** Decodes ScoreNodesResponse; equal to the generated decoder's result (unusual input goes to it). */
export function decodeScoreNodesResponse(bytes: Uint8Array): ScoreNodesResponse {
  const buf = asBuffer(bytes);
  const end = buf.length;
  const cur = { pos: 0 };
  let pos = 0;
  let modelVersion = "";
  let packedScores = EMPTY;
  const scores: NodeScore[] = [];
  const view = new DataView(buf.buffer, buf.byteOffset, buf.byteLength);
  while (pos < end) {
    const tag = buf[pos]!;
    if (tag !== 0x0a && tag !== 0x12 && tag !== 0x1a) return ScoreNodesResponse.decode(bytes);
    const len = readVarint(buf, pos + 1, end, cur);
    if (len < 0 || cur.pos + len > end) return ScoreNodesResponse.decode(bytes);
    const start = cur.pos;
    pos = start + len;
    if (tag === 0x12) modelVersion = readUtf8(buf, start, pos);
    else if (tag === 0x1a) packedScores = Buffer.from(buf.subarray(start, pos));
    else {
      const s = readNodeScore(buf, view, start, pos, cur);
      if (!s) return ScoreNodesResponse.decode(bytes);
      scores.push(s);
    }
  }
  return { scores, modelVersion, packedScores };
}
