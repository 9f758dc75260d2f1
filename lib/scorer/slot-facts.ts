// What the scoring engine's planning pass needs of each node, by store slot, in flat arrays: the
// observation time, the regime and a few flags. The records themselves are objects spread over the
// heap (a new one per state); reading these fields from them cost a cache miss or more per
// candidate, which at thousands of candidates per call was most of the planning pass. The store
// writes these whenever it writes the fields they mirror (node-state-store.ts).
import { growTyped } from "./grow-typed.js";

/** The node has a cached regime (any state). */
export const FACT_HAS_REGIME = 1;
/** The cached regime was classified for an older state. */
export const FACT_REGIME_STALE = 2;
/** The cached regime has probabilities (a model row with them; otherwise one row per regime). */
export const FACT_HAS_PROBS = 4;
/** A critical feature group is absent from the state. */
export const FACT_MISSING_GROUPS = 8;

export interface FactSource {
  observedAtMs: number;
  regime: { regime: number } | undefined;
  regimeStale: boolean;
  regimeProbs: unknown;
  missingGroups: readonly unknown[];
}

export class SlotFacts {
  observedAtMs = new Float64Array(1024);
  flags = new Uint8Array(1024);
  regime = new Int32Array(1024);

  /** Mirrors the record now in `slot`. */
  set(slot: number, rec: FactSource): void {
    this.ensure(slot);
    this.observedAtMs[slot] = rec.observedAtMs;
    this.regime[slot] = rec.regime ? rec.regime.regime : 0;
    this.flags[slot] =
      (rec.regime ? FACT_HAS_REGIME : 0) | (rec.regimeStale ? FACT_REGIME_STALE : 0) | (rec.regimeProbs ? FACT_HAS_PROBS : 0) | (rec.missingGroups.length > 0 ? FACT_MISSING_GROUPS : 0);
  }

  /** The slot was given up. */
  clear(slot: number): void {
    if (slot >= this.flags.length) return;
    this.observedAtMs[slot] = 0;
    this.regime[slot] = 0;
    this.flags[slot] = 0;
  }

  private ensure(slot: number): void {
    if (slot < this.flags.length) return;
    this.observedAtMs = growTyped(this.observedAtMs, slot + 1);
    this.flags = growTyped(this.flags, slot + 1);
    this.regime = growTyped(this.regime, slot + 1);
  }
}
