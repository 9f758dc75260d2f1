// Encoding of model inputs (docs/model-bundle.md): F values (absent -> 0) then F presence flags.
import { FeatureState, type FeatureVector } from "../../gen/overseer/v1/features.js";
import { Regime } from "../../gen/overseer/v1/regime.js";
import type { SoloProfile } from "../../gen/overseer/v1/scorer_service.js";
import { PROFILE_FIELD, type ProfileFeatureName } from "./manifest.js";

/** Writes the 2F node part of a model row for a validated vector at `offset`. */
export function writeFeatureRow(fv: FeatureVector, out: Float32Array, offset: number): void {
  const F = fv.values.length;
  for (let j = 0; j < F; j++) {
    const present = fv.states[j] === FeatureState.FEATURE_STATE_PRESENT;
    out[offset + j] = present ? fv.values[j]! : 0;
    out[offset + F + j] = present ? 1 : 0;
  }
}

/** The profile values in the bundle's profile_feature_names order. */
export function profileRow(p: SoloProfile, names: readonly ProfileFeatureName[]): Float32Array {
  const out = new Float32Array(names.length);
  names.forEach((n, i) => (out[i] = p[PROFILE_FIELD[n]] as number));
  return out;
}

export interface ArgmaxResult {
  regime: Regime;
  confidence: number;
}

/** Argmax of one row of probabilities (never the model's label output). Non-finite rows -> UNSPECIFIED. */
export function argmaxRegime(probs: Float32Array, offset: number, regimes: readonly Regime[]): ArgmaxResult {
  let best = -1;
  let bestP = -Infinity;
  for (let k = 0; k < regimes.length; k++) {
    const p = probs[offset + k]!;
    if (!Number.isFinite(p)) return { regime: Regime.REGIME_UNSPECIFIED, confidence: 0 };
    if (p > bestP) {
      bestP = p;
      best = k;
    }
  }
  return best < 0 ? { regime: Regime.REGIME_UNSPECIFIED, confidence: 0 } : { regime: regimes[best]!, confidence: bestP };
}
