// Interference model outputs remembered per (workload profile, node slot), so that the pods of the
// same few workload classes, scored over and over between two states of a node, do not re-run the
// model on every candidate. A node's output depends only on its model row, its regime
// probabilities, the profile row and the model bundle:
//  - the row and probabilities live in the store's slab, whose per-slot version moves whenever
//    either is written or the slot changes hands (row-slab.ts); an entry is served only while the
//    slot's version equals the one it was computed for;
//  - the profile is keyed by its exact row values (bundle classes and pods' own profiles alike),
//    with at most `maxProfiles` profiles kept (least recently used dropped);
//  - everything is dropped when a scoring call comes with another bundle than the cached one (a
//    hot swap), and on clear().
// Only model outputs are cached, never a decision: staleness, absent features and unknown nodes
// are decided at call time. See docs/services.md ("Prediction cache").
import { growTyped } from "./grow-typed.js";

/** One profile's outputs by slot: version 0 = nothing cached (slab versions start at 1). */
export class PredictionTable {
  version = new Float64Array(0);
  predicted = new Float32Array(0);
  upper = new Float32Array(0);

  /** Makes room for slots 0 .. slotCount-1 (grow-only, doubling). */
  ensure(slotCount: number): void {
    if (slotCount <= this.version.length) return;
    this.version = growTyped(this.version, slotCount);
    this.predicted = growTyped(this.predicted, slotCount);
    this.upper = growTyped(this.upper, slotCount);
  }

  /**
   * Remembers the outputs computed for the slot at `version`. Non-finite outputs are not kept (the
   * node is scored as a model error by this call, and the next call asks the model again).
   */
  store(slot: number, version: number, predicted: number, upper: number): boolean {
    if (!Number.isFinite(predicted) || !Number.isFinite(upper) || slot >= this.version.length) return false;
    this.version[slot] = version;
    this.predicted[slot] = predicted;
    this.upper[slot] = upper;
    return true;
  }

  /** Bytes held by the arrays. */
  get bytes(): number {
    return this.version.byteLength + this.predicted.byteLength + this.upper.byteLength;
  }
}

/** Bytes per node slot per cached profile (version f64 + two f32 outputs). */
export const BYTES_PER_SLOT_PER_PROFILE = 16;

export class PredictionCache {
  private readonly tables = new Map<string, PredictionTable>();
  private bundle: object | undefined;
  /** Keys of profile rows seen (the engine reuses one row object per bundle profile; rows must not be mutated). */
  private readonly keys = new WeakMap<Float32Array, string>();

  constructor(readonly maxProfiles: number) {
    if (!Number.isInteger(maxProfiles) || maxProfiles < 0) throw new RangeError(`maxProfiles must be an integer >= 0, got ${maxProfiles}`);
  }

  get enabled(): boolean {
    return this.maxProfiles > 0;
  }

  /** Profiles currently cached. */
  get profiles(): number {
    return this.tables.size;
  }

  /** Bytes held by every profile's table. */
  get bytes(): number {
    let b = 0;
    for (const t of this.tables.values()) b += t.bytes;
    return b;
  }

  /**
   * The table of `profileRow` for `bundle`, sized for `slotCount` slots; undefined when disabled.
   * Another bundle than the cached one drops every table first. The table stays valid to write into
   * after an await even if it was dropped meanwhile (the writes are then simply lost).
   */
  table(bundle: object, profileRow: Float32Array, slotCount: number): PredictionTable | undefined {
    if (this.maxProfiles === 0) return undefined;
    if (bundle !== this.bundle) {
      this.tables.clear();
      this.bundle = bundle;
    }
    let key = this.keys.get(profileRow);
    if (key === undefined) this.keys.set(profileRow, (key = profileKey(profileRow)));
    let t = this.tables.get(key);
    if (t) this.tables.delete(key);
    else {
      t = new PredictionTable();
      if (this.tables.size >= this.maxProfiles) this.tables.delete(this.tables.keys().next().value!);
    }
    this.tables.set(key, t); // most recently used last
    t.ensure(slotCount);
    return t;
  }

  /** Drops everything (a new bundle was loaded). */
  clear(): void {
    this.tables.clear();
    this.bundle = undefined;
  }
}

/** The exact profile row: float32 values widened to double print exactly, so equal keys mean equal rows. */
export function profileKey(row: Float32Array): string {
  return row.join(",");
}
