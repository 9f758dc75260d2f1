// A fast, byte-identical encoder for ScoreNodesResponse (the hot path's answer): one Buffer sized
// in a first pass, no per-node writer forks. Same wire format as the generated encoder (tested).
import { FilterNodesRequest, ScorerServiceService, type ScoreNodesResponse } from "../../gen/overseer/v1/scorer_service.js";
import { decodeIngestRequest } from "./ingest-codec.js";
import { varintSize, writeVarint } from "./varint.js";
import { decodeNamesRequest, decodeScoreNodesRequest, utf8Length, writeUtf8 } from "./score-nodes-codec.js";

/** int32 varint: negative values take 10 bytes (sign-extended), as protobuf encodes them. */
const int32Size = (v: number) => (v < 0 ? 10 : varintSize(v));


function writeInt32(buf: Buffer, off: number, v: number): number {
  if (v >= 0) return writeVarint(buf, off, v);
  let lo = v >>> 0;
  for (let i = 0; i < 4; i++) {
    buf[off++] = (lo & 0x7f) | 0x80;
    lo >>>= 7;
  }
  // Bits 28..63 of the sign-extended 64-bit value: the top nibble of lo plus ones.
  buf[off++] = (lo & 0x0f) | 0x70 | 0x80;
  for (let i = 0; i < 4; i++) buf[off++] = 0xff;
  buf[off++] = 0x01;
  return off;
}

export function encodeScoreNodesResponse(msg: ScoreNodesResponse): Buffer {
  const scores = msg.scores;
  const n = scores.length;
  const nameBytes = new Int32Array(n);
  const bodySize = new Int32Array(n);
  let total = 0;
  for (let i = 0; i < n; i++) {
    const s = scores[i]!;
    let size = 0;
    if (s.nodeName !== "") {
      const b = utf8Length(s.nodeName);
      nameBytes[i] = b;
      size += 1 + varintSize(b) + b;
    }
    if (s.score !== 0) size += 1 + int32Size(s.score);
    if (s.predictedSlowdown !== 0) size += 9;
    if (s.slowdownUpperBound !== 0) size += 9;
    if (s.regime !== 0) size += 1 + int32Size(s.regime);
    if (s.basis !== 0) size += 1 + int32Size(s.basis);
    bodySize[i] = size;
    total += 1 + varintSize(size) + size;
  }
  const versionBytes = msg.modelVersion !== "" ? Buffer.byteLength(msg.modelVersion, "utf8") : 0;
  if (msg.modelVersion !== "") total += 1 + varintSize(versionBytes) + versionBytes;
  const packed = msg.packedScores?.length ?? 0;
  if (packed !== 0) total += 1 + varintSize(packed) + packed;
  const buf = Buffer.allocUnsafe(total);
  let off = 0;
  for (let i = 0; i < n; i++) {
    const s = scores[i]!;
    buf[off++] = 0x0a;
    off = writeVarint(buf, off, bodySize[i]!);
    if (s.nodeName !== "") {
      buf[off++] = 0x0a;
      off = writeVarint(buf, off, nameBytes[i]!);
      off = writeUtf8(buf, off, s.nodeName, nameBytes[i]!);
    }
    if (s.score !== 0) {
      buf[off++] = 0x10;
      off = writeInt32(buf, off, s.score);
    }
    if (s.predictedSlowdown !== 0) {
      buf[off++] = 0x19;
      off = buf.writeDoubleLE(s.predictedSlowdown, off);
    }
    if (s.slowdownUpperBound !== 0) {
      buf[off++] = 0x21;
      off = buf.writeDoubleLE(s.slowdownUpperBound, off);
    }
    if (s.regime !== 0) {
      buf[off++] = 0x28;
      off = writeInt32(buf, off, s.regime);
    }
    if (s.basis !== 0) {
      buf[off++] = 0x30;
      off = writeInt32(buf, off, s.basis);
    }
  }
  if (msg.modelVersion !== "") {
    buf[off++] = 0x12;
    off = writeVarint(buf, off, versionBytes);
    off += buf.write(msg.modelVersion, off, "utf8");
  }
  if (packed !== 0) {
    buf[off++] = 0x1a;
    off = writeVarint(buf, off, packed);
    buf.set(msg.packedScores!, off);
    off += packed;
  }
  return buf;
}

/**
 * The ScorerService definition with the fast ScoreNodes/FilterNodes codecs and the ingest decoder
 * that keeps each state's wire bytes (wire-compatible).
 */
export const FAST_SCORER_SERVICE_DEFINITION = {
  ...ScorerServiceService,
  ingestNodeStates: { ...ScorerServiceService.ingestNodeStates, requestDeserialize: decodeIngestRequest },
  scoreNodes: { ...ScorerServiceService.scoreNodes, requestDeserialize: decodeScoreNodesRequest, responseSerialize: encodeScoreNodesResponse },
  filterNodes: { ...ScorerServiceService.filterNodes, requestDeserialize: (b: Buffer) => decodeNamesRequest(b, (x) => FilterNodesRequest.decode(x)) },
} as const;
