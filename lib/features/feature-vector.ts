// DerivedFeatures <-> the FeatureVector contract message, and its validation.
import { FeatureState, type FeatureVector } from "../../gen/overseer/v1/features.js";
import { FEATURE_COUNT, FEATURE_NAMES, SCHEMA_VERSION } from "./catalog.js";
import type { DerivedFeatures } from "./derive.js";

export function toFeatureVector(d: DerivedFeatures, windowSec: number): FeatureVector {
  const absenceDetails: Record<number, string> = {};
  for (const [i, text] of d.details) absenceDetails[i] = text;
  const seconds = Math.floor(windowSec);
  return {
    schemaVersion: SCHEMA_VERSION,
    values: [...d.values],
    states: [...d.states],
    window: { seconds, nanos: Math.round((windowSec - seconds) * 1e9) },
    absenceDetails,
  };
}

export class FeatureVectorError extends Error {
  constructor(
    message: string,
    readonly field: string,
  ) {
    super(message);
  }
}

/**
 * Checks a FeatureVector against this build's catalog. Throws FeatureVectorError naming
 * the offending field. Present values must be finite; absent values are ignored.
 */
export function validateFeatureVector(fv: FeatureVector | undefined, field = "features"): FeatureVector {
  if (!fv) throw new FeatureVectorError(`${field} is required`, field);
  if (fv.schemaVersion !== SCHEMA_VERSION) {
    throw new FeatureVectorError(`${field}.schema_version is ${fv.schemaVersion}, this build understands ${SCHEMA_VERSION}`, `${field}.schema_version`);
  }
  if (fv.values.length !== FEATURE_COUNT) {
    throw new FeatureVectorError(`${field}.values has ${fv.values.length} entries, schema ${SCHEMA_VERSION} has ${FEATURE_COUNT}`, `${field}.values`);
  }
  if (fv.states.length !== FEATURE_COUNT) {
    throw new FeatureVectorError(`${field}.states has ${fv.states.length} entries, schema ${SCHEMA_VERSION} has ${FEATURE_COUNT}`, `${field}.states`);
  }
  for (let i = 0; i < FEATURE_COUNT; i++) {
    if (fv.states[i] === FeatureState.FEATURE_STATE_PRESENT && !Number.isFinite(fv.values[i])) {
      throw new FeatureVectorError(`${field}.values[${i}] (${FEATURE_NAMES[i]}) is ${fv.values[i]}, a present feature must be finite`, `${field}.values[${i}]`);
    }
  }
  return fv;
}

/** The presence mask (1 present, 0 absent) in catalog order. */
export function presenceMask(fv: FeatureVector): number[] {
  return fv.states.map((s) => (s === FeatureState.FEATURE_STATE_PRESENT ? 1 : 0));
}
