// ClassifyRequest bytes straight from model rows (scorer-svc -> regime-svc). A row is a record's
// slab row as the store writes it: F feature values (absent -> 0) then F presence flags (1/0),
// which is all the regime model reads (lib/bundle/model-input.ts). Each row goes out as the
// FeatureVector { schema_version, values (packed doubles), states (packed enums) }: present
// features with their value and FEATURE_STATE_PRESENT, absent ones as FEATURE_STATE_UNSPECIFIED
// with value 0 (the absence reason stays in the stored state). Byte for byte what the generated
// encoder writes for that vector (tested),
// without building the vectors: a background batch carries every node that changed in the last
// second, and those objects lived as long as the Classify call.
import { FeatureState } from "../../gen/overseer/v1/features.js";
import { FEATURE_COUNT, SCHEMA_VERSION } from "../features/catalog.js";
import { varintSize, writeVarint } from "./varint.js";

const F = FEATURE_COUNT;

// One FeatureVector: schema_version (field 1, varint), values (field 2, F packed doubles),
// states (field 3, F packed enums of one byte each: 0 or 1).
const VALUES_BYTES = 8 * F;
const VECTOR_BYTES = 1 + varintSize(SCHEMA_VERSION) + 1 + varintSize(VALUES_BYTES) + VALUES_BYTES + 1 + varintSize(F) + F;
/** One `vectors` entry of ClassifyRequest (field 1): tag, length, vector. */
const ENTRY_BYTES = 1 + varintSize(VECTOR_BYTES) + VECTOR_BYTES;

/** The serialized ClassifyRequest { vectors } for these rows, in order. */
export function encodeClassifyRows(rows: readonly Float32Array[]): Buffer {
  const buf = Buffer.allocUnsafe(rows.length * ENTRY_BYTES);
  let off = 0;
  for (const row of rows) {
    if (row.length < 2 * F) throw new RangeError(`a model row has ${row.length} floats, the regime model needs ${2 * F}`);
    buf[off++] = 0x0a;
    off = writeVarint(buf, off, VECTOR_BYTES);
    buf[off++] = 0x08;
    off = writeVarint(buf, off, SCHEMA_VERSION);
    buf[off++] = 0x12;
    off = writeVarint(buf, off, VALUES_BYTES);
    for (let j = 0; j < F; j++) off = buf.writeDoubleLE(row[F + j] === 1 ? row[j]! : 0, off);
    buf[off++] = 0x1a;
    off = writeVarint(buf, off, F);
    for (let j = 0; j < F; j++) buf[off++] = row[F + j] === 1 ? FeatureState.FEATURE_STATE_PRESENT : FeatureState.FEATURE_STATE_UNSPECIFIED;
  }
  return buf;
}
